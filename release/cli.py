"""The command line: parse flags, call the package, turn errors into text and exit codes."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from release import __version__
from release.config import LoadedConfig, config_dir, find_config, load_config
from release.errors import Problem, ReleaseError, UsageError
from release.masking import mask, mask_data
from release.names import SAFE_NAME_RULE, name_problem
from release.plan import Options, Plan, build_plan
from release.version import Bump

if TYPE_CHECKING:
    from rich.console import Console

    from release.report import Report
    from release.setplan import SetPlan

# rich, the report and the renderer are imported where they are used: a --json plan
# never loads them (start-up time is most of a small plan's time).

# Several projects: the worst result decides the exit code (operator > failed > bad input).
_SEVERITY = {0: 0, 2: 1, 1: 2, 3: 3}


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


def _parser() -> argparse.ArgumentParser:
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


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if getattr(args, "verbose", False):
        _verbose_logging()
    ci = bool(args.ci) or os.environ.get("CI", "").lower() in ("1", "true")
    try:
        if args.verb == "plan" or (args.verb == "push" and args.dry_run):
            return _plan(args, ci)
        console = _console(ci, stderr=args.json)
        if args.verb == "journal":
            return _journal(args, console)
        if args.verb == "status":
            return _status(args, console)
        if args.verb == "gates":
            return _gates(args, console)
        if args.verb == "config":
            return _config(args, console)
        if args.verb == "init":
            return _init(args, console)
        return _act(args, console, ci)
    except ReleaseError as exc:
        if args.json:
            print(json.dumps({"error": _problems(exc), "exit_code": exc.exit_code}))
        errors = _console(ci, stderr=True)
        errors.print("[bold red]error[/]")
        errors.print(mask(str(exc)), markup=False)
        return exc.exit_code
    except KeyboardInterrupt:
        _console(ci, stderr=True).print("interrupted", markup=False)
        return 130


def _console(ci: bool, *, stderr: bool) -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True, no_color=ci or None, stderr=stderr)


def _problems(exc: ReleaseError) -> list[dict[str, str]]:
    return [{k: mask(v) for k, v in asdict(p).items()} for p in exc.problems]


def _configs(args: argparse.Namespace) -> list[Path]:
    if args.config is not None:
        if not args.config.exists():
            raise UsageError(Problem(f"no such file: {args.config}", "--config", "check the path"))
        return [args.config]
    if getattr(args, "all", False):
        found = sorted(config_dir().glob("*.toml"))
        if not found:
            raise UsageError(
                Problem(
                    f"no configs in {config_dir()}", "--all", "add configs/projects/NAME.toml files"
                )
            )
        kept = [path for path in found if _in_all(path)]
        for path in found:
            if path not in kept:
                print(
                    f"--all leaves out {path.stem} (in_all = false in {path.name}); "
                    f"name it to include it: --project {path.stem}",
                    file=sys.stderr,
                )
        return kept
    names = args.project if isinstance(args.project, list) else [args.project]
    return [find_config(name) for name in names]


def _in_all(path: Path) -> bool:
    # Read raw: a config too broken to load stays in, so its loading reports the problem.
    try:
        return tomllib.loads(path.read_text("utf-8")).get("in_all", True) is not False
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return True


def _load(args: argparse.Namespace) -> LoadedConfig:
    (path,) = _configs(args)
    return load_config(path)


def _options(args: argparse.Namespace) -> Options:
    return Options(
        bump=Bump.from_label(args.bump) if args.bump else None,
        prerelease=args.prerelease,
        changelog=not getattr(args, "no_changelog", False),
        allow_empty_notes=args.allow_empty_notes,
        version=getattr(args, "next_version", None),
        date=_date(getattr(args, "date", None)),
    )


def _date(text: str | None) -> str:
    if text is None:
        return ""
    import datetime as dt

    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise UsageError(
            Problem(f"{text!r} is not a date", "--date", "write it as YYYY-MM-DD")
        ) from None


def _plan(args: argparse.Namespace, ci: bool) -> int:
    from release.render import plan_to_dict

    if getattr(args, "path", None) is not None:
        from release.detect import inferred

        if not args.path.is_dir():
            raise UsageError(
                Problem(f"{args.path} is not a folder", "--path", "point --path at a clone")
            )
        loaded, text = inferred(args.path)
        if not args.json:
            console = _console(ci, stderr=False)
            console.print("[bold]Inferred config[/] (save it to keep it):")
            console.print(text, markup=False)
        plans: list[Plan | SetPlan] = [_plan_of(loaded, args)]
        inferred_text: str | None = text
    else:
        plans = [_plan_of(load_config(p), args) for p in _configs(args)]
        inferred_text = None
    if args.json:
        data = [plan_to_dict(p) for p in plans]
        out: dict[str, Any] = data[0] if len(data) == 1 else {"plans": data}
        if inferred_text is not None:
            out["inferred_config"] = inferred_text
        json.dump(mask_data(out), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    from release.render import print_plan

    console = _console(ci, stderr=False)
    for plan in plans:
        print_plan(plan, console)
    return 0


def _whole_plan(loaded: LoadedConfig) -> Plan | SetPlan:
    """The plan of a config as it is: one package's, or the set's. A release without notes
    yet is a state of the repository, not a problem of the config or the gates."""
    options = Options(allow_empty_notes=True)
    if not loaded.is_set:
        return build_plan(loaded, options)
    from release.setplan import build_set_plan

    return build_set_plan(loaded, options)


def _plan_of(loaded: LoadedConfig, args: argparse.Namespace) -> Plan | SetPlan:
    if not loaded.is_set:
        if args.package:
            raise UsageError(
                Problem(
                    f"{loaded.config.name} is one package: --package names one of a set",
                    "--package",
                    "leave --package out, or add [[packages]] to the config",
                )
            )
        return build_plan(loaded, _options(args))
    from release.setplan import build_set_plan

    return build_set_plan(loaded, _options(args), tuple(args.package), not args.no_dependents)


def _act(args: argparse.Namespace, console: Console, ci: bool) -> int:
    from release.progress import Progress

    if args.env_file is not None:
        from release.envfile import apply_env_file

        apply_env_file(args.env_file)
    progress = Progress(console, plain=ci, quiet=args.quiet)
    if args.verb == "rollback":
        from release.rollback import RollbackOptions, rollback_release

        options = RollbackOptions(args.dry_run, args.to_version)
        report = rollback_release(_load(args), options, progress)
        _emit([report], args, console)
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
    configs = _configs(args)
    for path in configs:
        try:
            loaded = load_config(path)
            confirm = _asker(console) if _interactive(args, ci) else None
            ask = _yes_no(console) if _interactive(args, ci) else None
            push_options = PushOptions(
                _options(args),
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
            if len(configs) == 1:
                raise
            report = _error_report(path.stem, exc)
        reports.append(report)
        if args.fail_fast and report.exit_code != 0:
            break
    _emit(reports, args, console)
    return max((r.exit_code for r in reports), key=lambda c: _SEVERITY.get(c, 3))


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


def _emit(reports: list[Report], args: argparse.Namespace, console: Console) -> None:
    if args.ci:
        from release.ops.ci import publish_summary

        for report in reports:
            publish_summary(report.to_markdown())
    if args.json:
        if len(reports) == 1:
            print(json.dumps(reports[0].to_dict(), indent=2))
        else:
            worst = max((r.exit_code for r in reports), key=lambda c: _SEVERITY.get(c, 3))
            print(
                json.dumps(
                    {"reports": [r.to_dict() for r in reports], "exit_code": worst}, indent=2
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


def _status(args: argparse.Namespace, console: Console) -> int:
    from release.status import statuses

    if args.env_file is not None:
        from release.envfile import apply_env_file

        apply_env_file(args.env_file)
    found = statuses([load_config(p) for p in _configs(args)], tuple(args.package))
    # --check: drift (or a registry that cannot be asked) fails a scheduled CI job.
    drifted = args.check and any(
        s.drift or not s.remote_reachable or not all(t.reachable for t in s.targets) for s in found
    )
    if args.json:
        print(json.dumps(mask_data({"projects": [s.to_dict() for s in found]}), indent=2))
        return 1 if drifted else 0
    from rich.markup import escape
    from rich.table import Table

    for s in found:
        table = Table("where", "version", title=f"{s.project}", title_justify="left", box=None)
        table.add_row("version files", s.files_version or "-")
        table.add_row("last local tag", s.local_tag or "-")
        table.add_row(
            "last remote tag", (s.remote_tag or "-") if s.remote_reachable else "(unreachable)"
        )
        for t in s.targets:
            tags = ", ".join(f"{k}={v}" for k, v in t.dist_tags.items() if k != "latest")
            value = (t.latest or "nothing") + (f"  [{tags}]" if tags else "")
            table.add_row(f"{t.name} ({t.kind})", value if t.reachable else "(unreachable)")
        if s.journal_version:
            table.add_row("journal", f"{s.journal_version}: {s.journal_state}")
        console.print(table)
        for note in s.drift:
            console.print(f"  [yellow]drift[/] {escape(mask(note))}")
        if not s.drift:
            console.print("  [green]in sync[/]")
    return 1 if drifted else 0


def _gates(args: argparse.Namespace, console: Console) -> int:
    from release.phases.gates import run_gates
    from release.progress import Progress

    loaded = _load(args)
    progress = Progress(_console(args.ci, stderr=True), plain=True, quiet=not args.ci)
    plan = _whole_plan(loaded)
    if isinstance(plan, Plan):
        results, problems = run_gates(plan, loaded, {}, progress)
    else:
        # A set: each package's gates, the repository's own (branch, secrets, ...) once.
        from dataclasses import replace

        results, problems = [], []
        for index, package in enumerate(plan.packages):
            found, failed = run_gates(
                package.plan, package.loaded, {}, progress, repository=index == 0
            )
            results += [replace(r, name=f"{r.name} [{package.name}]") for r in found]
            problems += [replace(p, what=f"{package.name}: {p.what}") for p in failed]
    if args.json:
        print(
            json.dumps(
                {
                    "project": loaded.config.name,
                    "gates": [r.to_dict() for r in results],
                    "passed": not problems,
                    "problems": [mask(str(p)) for p in problems],
                },
                indent=2,
            )
        )
    else:
        from rich.markup import escape
        from rich.table import Table

        table = Table("gate", "result", "detail", title=f"gates of {loaded.config.name}")
        for r in results:
            colour = {"passed": "green", "failed": "red"}.get(r.status, "yellow")
            table.add_row(escape(r.name), f"[{colour}]{r.status}[/]", escape(mask(r.detail)))
        console.print(table)
        for problem in problems:
            console.print(f"  - {escape(mask(str(problem)))}")
    return 2 if problems else 0


def _config(args: argparse.Namespace, console: Console) -> int:
    if args.action == "schema":
        from release.schema import schema_text

        print(schema_text(), end="")
        return 0
    if args.action == "reference":
        from release.schema import reference_markdown

        print(reference_markdown(), end="")
        return 0
    files = args.files or sorted(config_dir().glob("*.toml"))
    results: list[dict[str, Any]] = []
    for path in files:
        try:
            # The plan's own reading of the repository (all but the network): "ok" here
            # means `plan` accepts the config too.
            _whole_plan(load_config(path))
            results.append({"config": str(path), "ok": True, "problems": []})
        except ReleaseError as exc:
            results.append({"config": str(path), "ok": False, "problems": _problems(exc)})
    if args.json:
        print(json.dumps({"configs": results}, indent=2))
    else:
        for r in results:
            console.print(f"{'ok  ' if r['ok'] else 'FAIL'} {r['config']}", markup=False)
            for p in r["problems"]:
                console.print(f"     {p['what']}\n       fix: {p['fix']}", markup=False)
    return 0 if all(r["ok"] for r in results) else 2


def _interactive(args: argparse.Namespace, ci: bool) -> bool:
    import sys

    return not (ci or args.yes or args.json or args.resume) and sys.stdin.isatty()


def _asker(console: Console) -> Any:
    from rich.prompt import Confirm

    from release.render import print_plan

    def confirm(plan: Any) -> bool:
        print_plan(plan, console)
        if hasattr(plan, "releasing"):  # a set of packages
            tags = ", ".join(p.plan.tag for p in plan.releasing)
            question = f"Release {plan.project}: {tags}?"
        else:
            question = f"Release {plan.project} {plan.next_version_str} (tag {plan.tag})?"
        return bool(Confirm.ask(question, console=console, default=False))

    return confirm


def _yes_no(console: Console) -> Any:
    from rich.prompt import Confirm

    def ask(question: str) -> bool:
        return bool(Confirm.ask(question, console=console, default=False))

    return ask


def _open_release_page(loaded: LoadedConfig, report: Report) -> None:
    from release.ops.browser import open_page, release_page
    from release.recovery import package_names

    target = next(iter(loaded.config.registries), None)
    if target is not None and report.version:
        open_page(release_page(target, package_names(loaded), report.version))


def _verbose_logging() -> None:
    import logging
    import sys

    from release.masking import MaskingFilter

    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(MaskingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    logger = logging.getLogger("release")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)


def _init(args: argparse.Namespace, console: Console) -> int:
    from release.detect import init_files
    from release.initreport import init_json, print_init
    from release.ops.files import write_text

    if not (args.path / ".git").exists():
        raise UsageError(
            Problem(
                f"{args.path} is not a git repository",
                "--path",
                "point --path at the project's clone",
            )
        )
    if args.name is not None and (problem := name_problem(args.name)):
        raise UsageError(Problem(f"{problem}: {SAFE_NAME_RULE}", "--name", "choose another --name"))
    files, found = init_files(args.path, config_dir(), args.name, args.scaffold)
    config = next(iter(files))
    if problem := name_problem(config.stem):
        raise UsageError(
            Problem(f"the inferred name {problem}", "--name", f"pass --name: {SAFE_NAME_RULE}")
        )
    if config.exists():
        raise UsageError(
            Problem(
                f"{config} already exists",
                "--name",
                "choose another --name, or edit the existing config",
            )
        )
    for path, text in files.items():
        write_text(path, text)
    load_config(config)  # what init wrote must load
    added = [str(p) for p in files if p != config]
    if args.json:
        print(json.dumps(init_json(config, list(files), found), indent=2))
        return 0
    print_init(console, args.path, found)
    console.print(f"wrote {config}", markup=False)
    for item in added:
        console.print(f"added to the repository (--scaffold): {item}", markup=False)
    console.print(f"next: release plan --project {config.stem}", markup=False)
    return 0
