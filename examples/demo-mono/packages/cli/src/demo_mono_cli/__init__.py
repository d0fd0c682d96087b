"""The command line of the monorepo example: `demo-mono NAME`."""

import sys

from demo_mono_core import greet


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print(greet(args[0] if args else "world"))
    return 0
