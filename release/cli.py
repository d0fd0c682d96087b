"""The command line: parse flags, call the package, turn errors into text and exit codes."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from rich.console import Console

from release import __version__
from release.config import LoadedConfig, find_config, load_config
from release.errors import ReleaseError, UsageError
from release.masking import mask
from release.plan import Options, build_plan
from release.render import plan_to_dict, print_plan
from release.version import Bump


def _project_args(command: argparse.ArgumentParser) -> None:
    which = command.add_mutually_exclusive_group(required=True)
    which.add_argument("--config", type=Path, help="a project config file")
    which.add_argument("--project", help="NAME for configs/projects/NAME.toml")
    command.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    command.add_argument(
        "--ci",
        action="store_true",
        help="non-interactive: plain timestamped lines, no colour, no prompts",
    )


def _acting_args(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--env-file",
        type=Path,
        metavar="FILE",
        help="read credentials from a KEY=VALUE file (mode 0600)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="release", description="Plan and publish releases.")
    parser.add_argument("--version", action="version", version=f"release {__version__}")
    sub = parser.add_subparsers(dest="verb", required=True)
    plan = sub.add_parser("plan", help="show exactly what a push would do; changes nothing")
    push = sub.add_parser("push", help="release: validate, bump, changelog, tag, publish, verify")
    rollback = sub.add_parser("rollback", help="undo the last release (or --to-version)")
    journal = sub.add_parser("journal", help="list the journaled releases and their state")
    for command in (plan, push, rollback, journal):
        _project_args(command)
    for command in (plan, push):
        command.add_argument(
            "--bump", choices=["major", "minor", "patch"], help="override the bump"
        )
        command.add_argument("--prerelease", metavar="TOKEN", help="a pre-release such as rc")
    plan.add_argument(
        "--no-changelog",
        action="store_true",
        help="decide the version only (faster on long histories)",
    )
    push.add_argument("--dry-run", action="store_true", help="print the plan and stop")
    push.add_argument(
        "--resume",
        action="store_true",
        help="finish an interrupted release: redo only the steps not done",
    )
    rollback.add_argument("--dry-run", action="store_true", help="show what would be undone")
    rollback.add_argument("--to-version", metavar="VERSION", help="a journaled release to undo")
    for command in (push, rollback):
        _acting_args(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    ci = bool(getattr(args, "ci", False)) or os.environ.get("CI", "").lower() in ("1", "true")
    console = Console(highlight=False, soft_wrap=True, no_color=ci or None, stderr=args.json)
    errors = Console(stderr=True, highlight=False, soft_wrap=True, no_color=ci or None)
    try:
        if args.verb == "plan" or (args.verb == "push" and args.dry_run):
            return _plan(args, console)
        if args.verb == "journal":
            return _journal(args, console)
        return _act(args, console, ci)
    except ReleaseError as exc:
        if args.json:
            problems = [{k: mask(v) for k, v in asdict(p).items()} for p in exc.problems]
            print(json.dumps({"error": problems, "exit_code": exc.exit_code}))
        errors.print("[bold red]error[/]")
        errors.print(mask(str(exc)), markup=False)
        return exc.exit_code
    except KeyboardInterrupt:
        errors.print("interrupted", markup=False)
        return 130


def _load(args: argparse.Namespace) -> LoadedConfig:
    if args.config is not None and not args.config.exists():
        raise UsageError(f"--config {args.config}: no such file")
    return load_config(args.config if args.config else find_config(args.project))


def _options(args: argparse.Namespace) -> Options:
    return Options(
        bump=Bump.from_label(args.bump) if args.bump else None,
        prerelease=args.prerelease,
        changelog=not getattr(args, "no_changelog", False),
    )


def _plan(args: argparse.Namespace, console: Console) -> int:
    plan = build_plan(_load(args), _options(args))
    if args.json:
        print(json.dumps(plan_to_dict(plan), indent=2))
    else:
        print_plan(plan, console)
    return 0


def _act(args: argparse.Namespace, console: Console, ci: bool) -> int:
    from release.progress import Progress

    loaded = _load(args)
    if args.env_file is not None:
        from release.envfile import apply_env_file

        apply_env_file(args.env_file)
    progress = Progress(console, plain=ci)
    if args.verb == "push":
        from release.push import PushOptions, push

        options = PushOptions(plan=_options(args), ci=ci, resume=args.resume)
        report = push(loaded, options, progress)
    else:
        from release.rollback import RollbackOptions, rollback_release

        report = rollback_release(loaded, RollbackOptions(args.dry_run, args.to_version), progress)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        report.print(console)
    return report.exit_code


def _journal(args: argparse.Namespace, console: Console) -> int:
    from release.journal import journals, state_dir, summarize

    loaded = _load(args)
    directory = state_dir(loaded.root, loaded.config.name)
    rows = []
    for journal in journals(directory):
        summary = summarize(journal)
        if summary is None:
            continue
        record = summary.header["record"]
        rows.append(
            {
                "version": record["version"],
                "tag": record["tag"],
                "state": summary.state,
                "steps_done": list(summary.done),
                "failed_step": summary.failed,
                "journal": str(journal.path),
            }
        )
    if args.json:
        print(json.dumps({"project": loaded.config.name, "releases": rows}, indent=2))
        return 0
    if not rows:
        console.print(f"no journaled releases of {loaded.config.name} in {directory}")
    for row in rows:
        console.print(
            f"{row['tag']:<16} {row['state']:<16} done: {', '.join(row['steps_done'])}",
            markup=False,
        )
    return 0
