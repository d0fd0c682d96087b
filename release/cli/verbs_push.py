"""`release push` and `release rollback`: run them on each config, with prompts, and report."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from release.cli.inputs import configs, load, options
from release.cli.output import emit, worst
from release.config import LoadedConfig, load_config
from release.errors import Problem, ReleaseError, UsageError
from release.masking import mask

if TYPE_CHECKING:
    from release.report import Report
    from release.screen import Screen


def act_command(args: argparse.Namespace, console: Screen, ci: bool) -> int:
    from release.progress import Progress

    if args.env_file is not None:
        from release.envfile import apply_env_file

        apply_env_file(args.env_file)
    progress = Progress(console, plain=ci, quiet=args.quiet)
    if args.verb == "rollback":
        from release.rollback import RollbackOptions, rollback_release

        rollback_options = RollbackOptions(args.dry_run, args.to_version)
        report = rollback_release(load(args), rollback_options, progress)
        emit([report], args, console)
        return report.exit_code
    from release.push import PushOptions, push
    from release.report import Outcome

    if len(args.skip_gate) != len(args.reason) or any(not r.strip() for r in args.reason):
        raise UsageError(
            Problem(
                "every --skip-gate needs its own --reason",
                "--skip-gate",
                'write --skip-gate NAME --reason "why", once per gate',
            )
        )
    skips = dict(zip(args.skip_gate, args.reason, strict=True))
    reports = []
    paths = configs(args)
    for path in paths:
        try:
            loaded = load_config(path)
            confirm = _asker(console) if _interactive(args, ci) else None
            ask = _yes_no(console) if _interactive(args, ci) else None
            push_options = PushOptions(
                options(args),
                ci,
                args.resume,
                skips,
                confirm,
                ask,
                tuple(args.package),
                not args.no_dependents,
            )
            report = push(loaded, push_options, progress)
            if args.open and report.outcome is Outcome.RELEASED:
                _open_release_page(loaded, report)
        except ReleaseError as exc:
            if len(paths) == 1:
                raise
            report = _error_report(path.stem, exc)
        reports.append(report)
        if args.fail_fast and report.exit_code != 0:
            break
    emit(reports, args, console)
    return worst(r.exit_code for r in reports)


def _error_report(project: str, exc: ReleaseError) -> Report:
    from release.report import Outcome, Report

    return Report(
        project=project,
        version=None,
        tag=None,
        outcome=Outcome.FAILED,
        exit_code=exc.exit_code,
        next_actor="developer",
        operator_action="; ".join(p.fix for p in exc.problems if p.fix) or "read the problems",
        summary="the release could not start",
        problems=[mask(str(p)) for p in exc.problems],
    )


def _interactive(args: argparse.Namespace, ci: bool) -> bool:
    return not (ci or args.yes or args.json or args.resume) and sys.stdin.isatty()


def _asker(console: Screen) -> Any:
    from rich.prompt import Confirm

    from release.render import print_plan

    def confirm(plan: Any) -> bool:
        print_plan(plan, console)
        if hasattr(plan, "releasing"):  # a set of packages
            tags = ", ".join(p.plan.tag for p in plan.releasing)
            question = f"Release {plan.project}: {tags}?"
        else:
            question = f"Release {plan.project} {plan.next_version_str} (tag {plan.tag})?"
        return bool(Confirm.ask(question, console=console.console, default=False))

    return confirm


def _yes_no(console: Screen) -> Any:
    from rich.prompt import Confirm

    def ask(question: str) -> bool:
        return bool(Confirm.ask(question, console=console.console, default=False))

    return ask


def _open_release_page(loaded: LoadedConfig, report: Report) -> None:
    from release.ops.browser import open_page, release_page
    from release.recovery import package_names

    target = next(iter(loaded.config.registries), None)
    if target is not None and report.version:
        open_page(release_page(target, package_names(loaded), report.version))
