"""The command line's grammar: every verb, its flags and their help, as argparse reads them."""

from __future__ import annotations

import argparse
from pathlib import Path

from release import __version__


def _project_args(command: argparse.ArgumentParser, *, many: bool, path: bool = False) -> None:
    which = command.add_mutually_exclusive_group(required=True)
    which.add_argument("--config", type=Path, help="a project config file")
    if many:
        which.add_argument(
            "--project",
            action="append",
            metavar="NAME",
            help="configs/projects/NAME.toml (repeat for several)",
        )
        which.add_argument(
            "--all",
            action="store_true",
            help="every config in configs/projects/, one after another",
        )
    else:
        which.add_argument("--project", metavar="NAME", help="configs/projects/NAME.toml")
    if path:
        which.add_argument(
            "--path",
            type=Path,
            metavar="DIR",
            help="a repository with no config: infer one and print it",
        )
    command.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    command.add_argument(
        "--verbose",
        action="store_true",
        help="show every command the tool runs and its output (masked)",
    )
    command.add_argument(
        "--ci",
        action="store_true",
        help="non-interactive: plain timestamped lines, no colour, no prompts",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="release", description="Plan and publish releases.")
    parser.add_argument("--version", action="version", version=f"release {__version__}")
    sub = parser.add_subparsers(dest="verb", required=True)
    plan = sub.add_parser("plan", help="show exactly what a push would do; changes nothing")
    push = sub.add_parser("push", help="release: validate, bump, changelog, tag, publish, verify")
    rollback = sub.add_parser("rollback", help="undo the last release (or --to-version)")
    journal = sub.add_parser("journal", help="list the journaled releases and their state")
    status = sub.add_parser("status", help="what is released where: files, tags, registries")
    config = sub.add_parser("config", help="check every project config, or print the schema")
    config.add_argument("action", choices=["check", "schema", "reference"])
    config.add_argument("files", nargs="*", type=Path, help="configs to check (default: all)")
    config.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    config.add_argument("--ci", action="store_true", help="plain output")
    init = sub.add_parser("init", help="write a config for an existing repository")
    init.add_argument("--path", type=Path, required=True, metavar="DIR", help="the repository")
    init.add_argument("--name", help="the project name (default: inferred)")
    init.add_argument(
        "--scaffold",
        action="store_true",
        help="also add a towncrier setup to a project without one (new files only, listed)",
    )
    init.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    init.add_argument("--ci", action="store_true", help="plain output")
    gates = sub.add_parser("gates", help="run the release gates alone and print their results")
    _project_args(gates, many=False)
    _project_args(status, many=True)
    status.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when anything has drifted (for a scheduled CI job)",
    )
    status.add_argument(
        "--env-file",
        type=Path,
        metavar="FILE",
        help="credentials for registries that need them to be read",
    )
    _project_args(plan, many=True, path=True)
    _project_args(push, many=True)
    _project_args(rollback, many=False)
    _project_args(journal, many=False)
    for command in (plan, push):
        command.add_argument(
            "--bump", choices=["major", "minor", "patch"], help="override the bump"
        )
        command.add_argument("--prerelease", metavar="TOKEN", help="a pre-release such as rc")
        command.add_argument(
            "--allow-empty-notes",
            action="store_true",
            help="release even when no fragment or commit gives the changelog a note",
        )
        command.add_argument(
            "--version",
            dest="next_version",
            metavar="X",
            help="release exactly this version (checked against the scheme and the tags)",
        )
    for command in (plan, push, status):
        command.add_argument(
            "--package",
            action="append",
            default=[],
            metavar="NAME",
            help="a repository of several packages: only this one (repeat for several); "
            "its dependents follow unless --no-dependents",
        )
    for command in (plan, push):
        command.add_argument(
            "--no-dependents",
            action="store_true",
            help="with --package: leave the dependents of the packages named alone",
        )
    plan.add_argument(
        "--date",
        metavar="YYYY-MM-DD",
        help="plan a release on this date (the changelog's date and CalVer's period)",
    )
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
    push.add_argument(
        "--skip-gate",
        action="append",
        default=[],
        metavar="NAME",
        help="skip a gate marked skippable (with --reason); repeat for several",
    )
    push.add_argument(
        "--reason",
        action="append",
        default=[],
        metavar="TEXT",
        help="why the matching --skip-gate is skipped (goes in the report)",
    )
    push.add_argument("--yes", action="store_true", help="do not ask before the first change")
    push.add_argument(
        "--open", action="store_true", help="after a release, open its page on the first registry"
    )
    push.add_argument(
        "--fail-fast",
        action="store_true",
        help="with several projects, stop at the first that fails",
    )
    rollback.add_argument("--dry-run", action="store_true", help="show what would be undone")
    rollback.add_argument("--to-version", metavar="VERSION", help="a journaled release to undo")
    for command in (push, rollback):
        command.add_argument("--quiet", action="store_true", help="no progress lines")
        command.add_argument(
            "--env-file",
            type=Path,
            metavar="FILE",
            help="read credentials from a KEY=VALUE file (mode 0600)",
        )
    return parser
