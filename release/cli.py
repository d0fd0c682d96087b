"""The command line: parse flags, call the package, turn errors into text and exit codes."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from release import __version__
from release.config import find_config, load_config
from release.errors import ReleaseError, UsageError
from release.masking import mask
from release.plan import Options, build_plan
from release.render import plan_to_dict, print_plan
from release.version import Bump


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="release", description="Plan and publish releases.")
    parser.add_argument("--version", action="version", version=f"release {__version__}")
    sub = parser.add_subparsers(dest="verb", required=True)
    plan = sub.add_parser("plan", help="show exactly what a push would do; changes nothing")
    which = plan.add_mutually_exclusive_group(required=True)
    which.add_argument("--config", type=Path, help="a project config file")
    which.add_argument("--project", help="NAME for configs/projects/NAME.toml")
    plan.add_argument("--bump", choices=["major", "minor", "patch"], help="override the bump")
    plan.add_argument("--prerelease", metavar="TOKEN", help="a pre-release such as rc or beta")
    plan.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    plan.add_argument(
        "--no-changelog",
        action="store_true",
        help="decide the version only (faster on long histories)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    console = Console(highlight=False, soft_wrap=True)
    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        return _plan(args, console)
    except ReleaseError as exc:
        if getattr(args, "json", False):
            print(
                json.dumps(
                    {"error": [_problem(p) for p in exc.problems], "exit_code": exc.exit_code}
                )
            )
        errors.print("[bold red]error[/]", markup=True)
        errors.print(mask(str(exc)), markup=False)
        return exc.exit_code
    except KeyboardInterrupt:
        errors.print("interrupted", markup=False)
        return 130


def _problem(problem: object) -> dict[str, str]:
    return (
        {k: mask(v) for k, v in vars(problem).items()}
        if hasattr(problem, "__dict__")
        else {
            "what": mask(getattr(problem, "what", "")),
            "where": mask(getattr(problem, "where", "")),
            "fix": mask(getattr(problem, "fix", "")),
        }
    )


def _plan(args: argparse.Namespace, console: Console) -> int:
    path = args.config if args.config else find_config(args.project)
    if args.config and not args.config.exists():
        raise UsageError(f"--config {args.config}: no such file")
    loaded = load_config(path)
    options = Options(
        bump=Bump.from_label(args.bump) if args.bump else None,
        prerelease=args.prerelease,
        changelog=not args.no_changelog,
    )
    plan = build_plan(loaded, options)
    if args.json:
        print(json.dumps(plan_to_dict(plan), indent=2))
    else:
        print_plan(plan, console)
    return 0
