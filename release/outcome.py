"""The report of a push: what happened to every target (of every package), and who acts next."""

from __future__ import annotations

from release.errors import Problem
from release.executor import Execution
from release.phases.deploy import RemoteMovedOn
from release.record import ReleaseRecord
from release.report import Outcome, Report, StepReport, TargetReport
from release.steps import ArtifactConflict, Context


def conflict(ctx: Context, exc: ArtifactConflict) -> Report:
    r = ctx.record
    return Report(
        project=r.project,
        version=r.version,
        tag=r.tag,
        outcome=Outcome.NEEDS_OPERATOR,
        exit_code=exc.exit_code,
        next_actor="operator",
        operator_action="; ".join(p.fix for p in exc.problems if p.fix),
        summary=f"stopped: a registry holds other bytes for {r.tag}; nothing was overwritten",
        targets=target_reports(r, ctx.target_status, ctx.package_status),
        problems=[str(p) for p in exc.problems],
        journal=str(ctx.journal.path),
    )


def target_reports(
    record: ReleaseRecord,
    status: dict[str, str],
    package_status: dict[str, dict[str, str]] | None = None,
    default: str = "pending",
) -> list[TargetReport]:
    """Each target's state; in a set, each package's targets, named `package: target`."""
    if not record.packages:
        return [
            TargetReport(t.name, t.kind, t.url, t.version, status.get(t.name, default))
            for t in record.targets
        ]
    states = package_status or {}
    return [
        TargetReport(
            f"{p.project}: {t.name}",
            t.kind,
            t.url,
            t.version,
            states.get(p.project, {}).get(t.name, default),
        )
        for p in record.packages
        for t in p.targets
    ]


def invalid(record: ReleaseRecord, problems: list[Problem]) -> Report:
    fixes = "; ".join(dict.fromkeys(p.fix for p in problems if p.fix))
    return Report(
        project=record.project,
        version=record.version,
        tag=record.tag,
        outcome=Outcome.FAILED,
        exit_code=2,
        next_actor="developer",
        operator_action=f"fix the problems listed, then run the push again: {fixes}",
        summary=f"validation found {len(problems)} problem(s); nothing was changed",
        targets=target_reports(record, {}, {}, default="not started"),
        problems=[str(p) for p in problems],
    )


def outcome(ctx: Context, execution: Execution) -> Report:
    r = ctx.record
    for states in (ctx.target_status, *ctx.package_status.values()):
        for name, status in states.items():
            if status in ("pending", "publishing"):
                states[name] = "not published"
    published = sum(len(p.targets) for p in r.packages) or len(r.targets)
    report = Report(
        project=r.project,
        version=r.version,
        tag=r.tag,
        outcome=Outcome.RELEASED,
        exit_code=0,
        next_actor="none",
        operator_action="none",
        summary=f"{r.tag} pushed to {r.remote}; published and verified on {published} target(s)",
        steps=[
            StepReport(s.name, s.phase.value, s.status.value, s.seconds, s.detail)
            for s in ctx.records
        ],
        targets=target_reports(r, ctx.target_status, ctx.package_status),
    )
    if execution.failed_step is None:
        return report
    error = str(execution.error).strip() if execution.error else "unknown error"
    report.problems = [f"{execution.failed_step}: {error}"]
    project = r.project
    if execution.finish_forward:
        report.outcome, report.exit_code, report.next_actor = Outcome.NEEDS_OPERATOR, 3, "operator"
        report.operator_action = (
            f"finish the release with `release push --project {project} --resume` (it redoes "
            "only what is not done); a rollback cannot take back what is already published "
            "for good"
        )
        report.summary = (
            f"stopped at {execution.failed_step} after a publish that cannot be taken back; "
            f"tried again and failed; finishing forward: {_states(report)}"
        )
        return report
    if execution.stopped_resumable:
        report.outcome, report.exit_code, report.next_actor = Outcome.NEEDS_OPERATOR, 3, "operator"
        report.operator_action = (
            f"the release stopped after publishing; finish it with `release push --project "
            f"{project} --resume`, or undo it with `release rollback --project {project}`"
        )
        report.summary = (
            f"stopped at {execution.failed_step}: a registry could not be reached; the "
            "release is out, the journal is resumable (--resume checks again)"
            if getattr(execution.error, "resumable", False)
            else f"stopped before {execution.failed_step}; the journal is resumable"
        )
        return report
    if not execution.rollback_complete:
        report.outcome, report.exit_code, report.next_actor = Outcome.NEEDS_OPERATOR, 3, "operator"
        report.operator_action = "; ".join(ctx.operator_actions)
        report.summary = (
            f"failed at {execution.failed_step}; the rollback could not undo everything"
        )
        return report
    # Said from what the rollback found and changed, not from which step failed: a
    # rejected atomic push fails the push step without anything leaving the machine.
    where = (
        "after the release left the machine: " + "; ".join(ctx.undone_remotely)
        if ctx.undone_remotely
        else "before anything left the machine: the repository is as it was"
    )
    report.outcome, report.exit_code, report.next_actor = Outcome.FAILED, 1, "developer"
    # The error's own fix when it has one that says what to do (pull, then push again).
    fixes = (
        [p.fix for p in execution.error.problems if p.fix]
        if isinstance(execution.error, RemoteMovedOn)
        else []
    )
    report.operator_action = "; ".join(fixes) or "none"
    report.summary = f"failed at {execution.failed_step}; rolled back {where}"
    return report


def _states(report: Report) -> str:
    """Every target's state in one line, so a split release is never left unsaid."""
    return ", ".join(f"{t.name} {t.version} {t.status}" for t in report.targets) or "no targets"
