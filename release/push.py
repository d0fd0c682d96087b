"""`release push`: plan, validate, then carry out the plan step by step, or put everything back."""

from __future__ import annotations

import shutil
import time
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from release.config import LoadedConfig, PypiTarget
from release.errors import Problem, ReleaseError
from release.journal import Journal, release_lock, state_dir
from release.masking import register_env_secrets
from release.ops.git import RemoteGit
from release.ops.process import child_clock
from release.ops.pypi import scratch_dir
from release.phases import validate as validation
from release.phases.commit import Commit, Tag
from release.phases.deploy import Build, Check, Preflight, Publish, Push, Verify
from release.phases.files import VersionCommand, WriteFiles
from release.plan import Options, Plan, build_plan
from release.progress import Progress
from release.report import Outcome, Report, StepReport, TargetReport
from release.steps import Context, Execution, Phase, Step, execute


@dataclass(frozen=True)
class PushOptions:
    plan: Options
    ci: bool = False


def pipeline(plan: Plan, loaded: LoadedConfig) -> tuple[Step, ...]:
    """Phases 2 to 5 as one literal sequence of steps."""
    cfg = loaded.config
    version: tuple[Step, ...] = (
        (VersionCommand(plan.commands_by_name()["version command"]),)
        if cfg.version.command
        else (WriteFiles("version files", Phase.VERSION, "version"),)
    )
    pypi = [t.name for t in cfg.targets if isinstance(t, PypiTarget)]
    build: tuple[Step, ...] = (Build(), Check()) if pypi else ()
    return (
        *version,
        WriteFiles("changelog and docs", Phase.CHANGELOG, "changelog"),
        Commit(),
        Tag(),
        *build,
        Preflight(),
        Push(),
        *(Publish(name) for name in pypi),
        *(Verify(name) for name in pypi),
    )


def push(loaded: LoadedConfig, options: PushOptions, progress: Progress) -> Report:
    """Release one project; the report says what happened and who acts next."""
    started = time.monotonic()
    clock_start = child_clock.seconds
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    register_env_secrets(_secret_names(loaded))
    directory = state_dir(loaded.root, loaded.config.name)
    with release_lock(directory, loaded.config.name):
        progress.phase(1, Phase.VALIDATION.title)
        with progress.step("plan"):
            plan = build_plan(loaded, options.plan)
        if plan.nothing_to_release:
            return _finish(_nothing(plan), directory, stamp, started, clock_start)
        progress.info(
            f"{plan.current_version or '-'} -> {plan.next_version_str} "
            f"({plan.bump.label}), tag {plan.tag}"
        )
        git = RemoteGit(loaded.root)
        indexes, problems = validation.indexes_from_env(loaded)
        distribution = _distribution(loaded) if indexes else ""
        problems += validation.validate(plan, loaded, git, indexes, distribution, progress)
        if problems:
            return _finish(_invalid(plan, problems), directory, stamp, started, clock_start)
        journal = Journal.create(directory, f"{stamp}-{plan.tag}")
        scratch = scratch_dir(loaded.config.name)
        ctx = Context(
            plan=plan,
            loaded=loaded,
            git=git,
            journal=journal,
            progress=progress,
            scratch=scratch,
            indexes=indexes,
            pre_sha=plan.head,
            distribution=distribution,
        )
        ctx.target_status = {t.name: "pending" for t in plan.targets}
        journal.write(
            "release",
            project=plan.project,
            version=plan.next_version_str,
            tag=plan.tag,
            pre_sha=plan.head,
            branch=plan.branch,
            remote=plan.remote,
            files=[{"path": f.path, "old": f.old, "new": f.new} for f in plan.files],
        )
        try:
            execution = execute(pipeline(plan, loaded), ctx)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        report = _outcome(plan, ctx, execution)
        journal.write("outcome", outcome=report.outcome.value, action=report.operator_action)
        report.journal = str(journal.path)
        return _finish(report, directory, stamp, started, clock_start)


def _finish(report: Report, directory: Path, stamp: str, started: float, clock: float) -> Report:
    report.started = stamp
    report.seconds = time.monotonic() - started
    report.commands_seconds = child_clock.seconds - clock
    report.write(directory / "reports", f"{stamp}-{report.outcome.value}")
    return report


def _secret_names(loaded: LoadedConfig) -> list[str]:
    names: list[str] = []
    for t in loaded.config.targets:
        names += [n for n in (getattr(t, "password_env", None), getattr(t, "token_env", None)) if n]
    return names


def _distribution(loaded: LoadedConfig) -> str:
    pyproject = loaded.root / "pyproject.toml"
    try:
        name = tomllib.loads(pyproject.read_text("utf-8"))["project"]["name"]
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise ReleaseError(
            Problem(
                "cannot read [project].name from pyproject.toml",
                str(pyproject),
                "a PyPI target needs a pyproject.toml with [project] name = ...",
            )
        ) from exc
    return str(name)


def _targets(plan: Plan, status: dict[str, str], detail: dict[str, str]) -> list[TargetReport]:
    return [
        TargetReport(
            t.name, t.kind, t.url, t.version, status.get(t.name, "pending"), detail.get(t.name, "")
        )
        for t in plan.targets
    ]


def _nothing(plan: Plan) -> Report:
    return Report(
        project=plan.project,
        version=None,
        tag=None,
        outcome=Outcome.NOTHING,
        exit_code=0,
        next_actor="none",
        operator_action="none",
        summary=plan.why_nothing,
    )


def _invalid(plan: Plan, problems: list[Problem]) -> Report:
    return Report(
        project=plan.project,
        version=plan.next_version_str,
        tag=plan.tag,
        outcome=Outcome.FAILED,
        exit_code=2,
        next_actor="developer",
        operator_action="fix the problems listed, then run the push again: "
        + "; ".join(p.fix for p in problems if p.fix),
        summary=f"validation found {len(problems)} problem(s); nothing was changed",
        targets=_targets(plan, {t.name: "not started" for t in plan.targets}, {}),
        problems=[str(p) for p in problems],
    )


def _outcome(plan: Plan, ctx: Context, execution: Execution) -> Report:
    for name, status in ctx.target_status.items():
        if status in ("pending", "publishing"):
            ctx.target_status[name] = "not published"
    report = Report(
        project=plan.project,
        version=plan.next_version_str,
        tag=plan.tag,
        outcome=Outcome.RELEASED,
        exit_code=0,
        next_actor="none",
        operator_action="none",
        summary=f"{plan.tag} pushed to {plan.remote}; published and verified on "
        f"{len(plan.targets)} target(s)",
        steps=[
            StepReport(r.name, r.phase.value, r.status.value, r.seconds, r.detail)
            for r in ctx.records
        ],
        targets=_targets(plan, ctx.target_status, ctx.target_detail),
    )
    if execution.failed_step is None:
        return report
    error = str(execution.error).strip() if execution.error else "unknown error"
    report.problems = [f"{execution.failed_step}: {error}"]
    if not execution.rollback_complete:
        report.outcome, report.exit_code, report.next_actor = Outcome.NEEDS_OPERATOR, 3, "operator"
        report.operator_action = "; ".join(ctx.operator_actions)
        report.summary = (
            f"failed at {execution.failed_step}; the rollback could not undo everything"
        )
        return report
    where = (
        "after the push: the remote tag was deleted and a revert commit pushed"
        if execution.left_machine
        else "before anything left the machine: the repository is as it was"
    )
    report.outcome, report.exit_code, report.next_actor = Outcome.FAILED, 1, "developer"
    report.operator_action = "none"
    report.summary = f"failed at {execution.failed_step}; rolled back {where}"
    return report
