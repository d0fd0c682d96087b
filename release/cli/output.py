"""What the command line prints: the console, reports and their summary, errors, verbose logs."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from dataclasses import asdict
from typing import TYPE_CHECKING

from release.errors import ReleaseError
from release.masking import mask
from release.screen import Screen

if TYPE_CHECKING:
    from release.report import Report

# rich and the report are imported where they are used: a --json plan never loads them
# (start-up time is most of a small plan's time).

# Several projects: the worst result decides the exit code (operator > failed > bad input).
_SEVERITY = {0: 0, 2: 1, 1: 2, 3: 3}


def worst(codes: Iterable[int]) -> int:
    """The exit code of several projects' results: the most severe of them."""
    return max(codes, key=lambda c: _SEVERITY.get(c, 3))


def new_console(ci: bool, *, stderr: bool) -> Screen:
    return Screen(stderr=stderr, no_color=ci)


def problems(exc: ReleaseError) -> list[dict[str, str]]:
    return [{k: mask(v) for k, v in asdict(p).items()} for p in exc.problems]


def emit(reports: list[Report], args: argparse.Namespace, console: Screen) -> None:
    if args.ci:
        from release.ops.ci import publish_summary

        for report in reports:
            publish_summary(report.to_markdown())
    if args.json:
        if len(reports) == 1:
            print(json.dumps(reports[0].to_dict(), indent=2))
        else:
            print(
                json.dumps(
                    {
                        "reports": [r.to_dict() for r in reports],
                        "exit_code": worst(r.exit_code for r in reports),
                    },
                    indent=2,
                )
            )
        return
    from rich.table import Table

    for report in reports:
        report.print(console)
    if len(reports) > 1:
        table = Table("project", "version", "outcome", "exit", "next actor", title="Summary")
        for r in reports:
            table.add_row(
                r.project, r.version or "-", r.outcome.value, str(r.exit_code), r.next_actor
            )
        console.print(table)


def verbose_logging() -> None:
    import logging
    import sys

    from release.masking import MaskingFilter

    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(MaskingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    logger = logging.getLogger("release")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
