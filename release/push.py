"""`release push`: plan, validate, then carry out the plan step by step, or put everything back."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from release.config import LoadedConfig
from release.errors import Problem, ReleaseError
from release.journal import Journal, Summary, journals, release_lock, state_dir, summarize
from release.masking import register_env_secrets
from release.notify import notify
from release.ops.git import RemoteGit
from release.ops.process import child_clock
from release.ops.pypi import scratch_dir
from release.phases import forge, npm, pypi
from release.phases import validate as validation
from release.phases.commit import Commit, Tag
from release.phases.deploy import Preflight, Push, RecordVerified, RemoteMovedOn
from release.phases.files import VersionCommand, WriteFiles
from release.plan import Options, Plan, build_plan
from release.progress import Progress
from release.record import ReleaseRecord
from release.recovery import (
    WorldRelease,
    journal_disagrees,
    last_release,
    package_names,
    world_problem,
)
from release.report import Outcome, Report, StepReport, TargetReport
from release.steps import ArtifactConflict, Context, Execution, Phase, Step, execute


@dataclass(frozen=True)
class PushOptions:
    plan: Options
    ci: bool = False
    resume: bool = False
    skips: dict[str, str] = field(default_factory=dict)  # gate name -> the reason given
    # Asked after validation, before the first change (interactive pushes); False cancels.
    confirm: Callable[[Plan], bool] | None = None
    # Asked on a terminal when the last release is found incomplete; True finishes it.
    ask: Callable[[str], bool] | None = None


class IncompleteRelease(ReleaseError):
    """The last release of this project never finished: resume it or roll it back first."""

    exit_code = 3


def pipeline(record: ReleaseRecord, loaded: LoadedConfig) -> tuple[Step, ...]:
    """Phases 2 to 5 as one literal sequence of steps; targets publish in config order."""
    version: tuple[Step, ...] = (
        (VersionCommand(record.version_command),)
        if record.version_command
        else (WriteFiles("version files", Phase.VERSION, "version"),)
    )
    targets = loaded.config.registries
    kinds = {t.kind for t in targets}
    build: tuple[Step, ...] = (
        *((pypi.Build(), pypi.Check()) if "pypi" in kinds else ()),
        *((npm.Pack(),) if "npm" in kinds else ()),
    )
    return (
        *version,
        WriteFiles("changelog and docs", Phase.CHANGELOG, "changelog"),
        Commit(),
        Tag(),
        *build,
        Preflight(),
        Push(),
        *(pypi.Publish(t.name) if t.kind == "pypi" else npm.Publish(t.name) for t in targets),
        *(pypi.Verify(t.name) if t.kind == "pypi" else npm.Verify(t.name) for t in targets),
        # Forge releases follow the verified packages, so their files are what users get.
        *(forge.PublishRelease(t.name) for t in loaded.config.forges),
        *(forge.VerifyRelease(t.name) for t in loaded.config.forges),
        RecordVerified(),
    )


def finishing_steps(record: ReleaseRecord, loaded: LoadedConfig) -> tuple[Step, ...]:
    """What finishes a release whose tag is already out: build, publish, verify, record."""
    return tuple(
        s
        for s in pipeline(record, loaded)
        if s.phase is Phase.DEPLOY and s.name not in ("preflight", "push")
    )


def last_summary(directory: Path) -> Summary | None:
    found = journals(directory)
    return summarize(found[-1]) if found else None


def push(loaded: LoadedConfig, options: PushOptions, progress: Progress) -> Report:
    """Release one project; the report says what happened and who acts next."""
    started = time.monotonic()
    clock = child_clock.seconds
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    register_env_secrets(loaded.config.secret_env_names())
    RemoteGit(loaded.root).ensure_repository()  # before the state folder is made inside it
    directory = state_dir(loaded.root, loaded.config.name)
    with release_lock(directory, loaded.config.name):
        last = last_summary(directory)
        world = None if last is not None and not last.complete else _world(loaded)
        if (
            world is not None
            and not world.complete
            and last is not None
            and last.header["record"]["tag"] == world.record.tag
        ):
            # The journal says finished; the world disagrees: the world is believed.
            world = replace(world, believed=journal_disagrees(last, world))
        if world is not None and not world.complete:
            if options.ci or options.resume or _asked(options, world):
                report = _recover(loaded, world, directory, stamp, progress)
            elif world.only_unverified:
                progress.warn(
                    f"{world.record.tag} was never recorded as verified; "
                    f"`release push --project {loaded.config.name} --resume` verifies it"
                )
                report = _fresh(loaded, options, directory, stamp, progress)
            else:
                raise IncompleteRelease(world_problem(world, loaded.config.name))
        elif options.resume:
            if last is None or last.complete:
                # Nothing is wrong (a CI retry after a finished run): nobody needs paging.
                return Report.quiet(
                    loaded.config.name,
                    None,
                    None,
                    "nothing to resume: the last release finished, or there was none",
                )
            report = _resume(loaded, last, directory, progress)
        else:
            if last is not None and not last.complete:
                raise IncompleteRelease(_incomplete_problem(last, loaded.config.name))
            report = _fresh(loaded, options, directory, stamp, progress)
        report.started = stamp
        report.seconds = time.monotonic() - started
        report.commands_seconds = child_clock.seconds - clock
        report.write(directory / "reports", f"{stamp}-{report.outcome.value}")
    notify(loaded, report, progress)  # outside the lock: a slow webhook holds up no one
    return report


def _asked(options: PushOptions, world: WorldRelease) -> bool:
    r = world.record
    question = f"{r.tag} is incomplete ({'; '.join(world.missing)}). Finish it now?"
    return options.ask is not None and options.ask(question)


def _world(loaded: LoadedConfig) -> WorldRelease | None:
    registries = validation.registries_from_env(loaded)
    return last_release(loaded, RemoteGit(loaded.root), registries, package_names(loaded))


def _recover(
    loaded: LoadedConfig, world: WorldRelease, directory: Path, stamp: str, progress: Progress
) -> Report:
    """Finish a release found incomplete in the world: no journal needed, nothing repeated."""
    record = world.record
    progress.phase(1, "recover")
    progress.info(
        f"{record.tag} is on {record.remote} but the release is incomplete: "
        f"{'; '.join(world.missing)}; finishing it"
    )
    if world.believed:
        progress.info(world.believed)
    registries = validation.registries_from_env(loaded)
    if registries.problems:
        raise ReleaseError(registries.problems)
    journal = Journal.create(directory, f"{stamp}-{record.tag}-recovered")
    journal.write(
        "release", record=record.to_dict(), recovered_from="world", missing=list(world.missing)
    )
    git = RemoteGit(loaded.root)
    ctx = _context(loaded, record, journal, directory, git, registries, progress)
    steps = finishing_steps(record, loaded)
    if world.only_unverified:
        # Every file is out: verify what the registries hold, never rebuild and compare (a
        # release made before builds were reproducible would never match its rebuild).
        steps = tuple(s for s in steps if s.name.startswith("verify ") or s.name == "record")
    report = _run(ctx, resume=True, steps=steps)
    note = f"completed an interrupted release of {record.tag} ({'; '.join(world.missing)})"
    if world.believed:
        note += f"; {world.believed}"
    report.summary = f"{note}. {report.summary}"
    return report


def _incomplete_problem(last: Summary, project: str) -> Problem:
    record = last.header["record"]
    done = ", ".join(last.done) or "none"
    return Problem(
        f"the last release of {project} ({record['version']}, tag {record['tag']}) did not "
        f"finish: steps done: {done}",
        str(last.journal.path),
        f"finish it with `release push --project {project} --resume` (redoes only what is "
        f"not done) or undo it with `release rollback --project {project}`",
    )


def _fresh(
    loaded: LoadedConfig, options: PushOptions, directory: Path, stamp: str, progress: Progress
) -> Report:
    progress.phase(1, Phase.VALIDATION.title)
    with progress.step("plan"):
        plan = build_plan(loaded, options.plan)
    if plan.nothing_to_release:
        return Report.quiet(plan.project, None, None, plan.why_nothing)
    progress.info(
        f"{plan.current_version or '-'} -> {plan.next_version_str} "
        f"({plan.bump.label}), tag {plan.tag}"
    )
    git = RemoteGit(loaded.root)
    # The release goes out from the branch it is made on (the branch gate says which may).
    plan = replace(plan, branch=git.branch() or plan.branch)
    registries = validation.registries_from_env(loaded)
    problems = list(registries.problems)
    names = package_names(loaded)
    found, gates = validation.validate(
        plan, loaded, git, registries, names, options.skips, progress
    )
    problems += found
    if problems:
        report = _invalid(plan, problems)
        report.gates = [g.to_dict() for g in gates]
        return report
    if options.confirm is not None and not options.confirm(plan):
        report = Report.quiet(
            plan.project,
            plan.next_version_str,
            plan.tag,
            "cancelled at the prompt; nothing was changed",
        )
        report.gates = [g.to_dict() for g in gates]
        return report
    record = ReleaseRecord.from_plan(plan, *names)
    journal = Journal.create(directory, f"{stamp}-{plan.tag}")
    journal.write("release", record=record.to_dict(), gates=[g.to_dict() for g in gates])
    ctx = _context(loaded, record, journal, directory, git, registries, progress)
    report = _run(ctx, resume=False)
    report.gates = [g.to_dict() for g in gates]
    return report


def _resume(loaded: LoadedConfig, last: Summary, directory: Path, progress: Progress) -> Report:
    record = ReleaseRecord.from_dict(last.header["record"])
    progress.phase(1, "resume")
    progress.info(
        f"resuming {record.project} {record.version} (tag {record.tag}); "
        f"journal {last.journal.path}"
    )
    git = RemoteGit(loaded.root)
    registries = validation.registries_from_env(loaded)
    if registries.problems:
        raise ReleaseError(registries.problems)
    ctx = _context(loaded, record, last.journal, directory, git, registries, progress)
    if last.header.get("recovered_from") == "world":
        # A recovery cut short: the tag is out, so only the deploy steps remain, whatever
        # the branch has gained since.
        last.journal.write("resume")
        return _run(ctx, resume=True, steps=finishing_steps(record, loaded))
    Commit().done(ctx)  # a commit made just before a crash is recognised, not made twice
    head = git.head()
    if head not in (record.pre_sha, record.release_sha):
        raise IncompleteRelease(
            Problem(
                f"HEAD is {head and head[:12]}, neither the pre-release commit "
                f"{record.pre_sha[:12]} nor the release commit",
                str(loaded.root),
                f"check out {record.branch} as the release left it, or roll back instead",
            )
        )
    last.journal.write("resume")
    return _run(ctx, resume=True)


def _context(
    loaded: LoadedConfig,
    record: ReleaseRecord,
    journal: Journal,
    directory: Path,
    git: RemoteGit,
    registries: validation.Registries,
    progress: Progress,
) -> Context:
    ctx = Context(
        record=record,
        loaded=loaded,
        git=git,
        journal=journal,
        progress=progress,
        scratch=scratch_dir(loaded.config.name),
        artifacts_dir=directory / "artifacts" / record.tag,
        indexes=registries.indexes,
        npm=registries.npm,
    )
    ctx.target_status = {t.name: "pending" for t in record.targets}
    return ctx


def _run(ctx: Context, *, resume: bool, steps: tuple[Step, ...] | None = None) -> Report:
    try:
        execution = execute(steps or pipeline(ctx.record, ctx.loaded), ctx, resume=resume)
    except ArtifactConflict as exc:
        # Found before anything was uploaded: a stop, never a rollback and never an overwrite.
        ctx.journal.write("stopped", error=str(exc))
        return _conflict(ctx, exc)
    finally:
        shutil.rmtree(ctx.scratch, ignore_errors=True)
    report = _outcome(ctx, execution)
    if not execution.stopped_resumable:
        # A stop past the point of no return leaves the journal open, for --resume.
        ctx.journal.write("outcome", outcome=report.outcome.value, action=report.operator_action)
    report.journal = str(ctx.journal.path)
    return report


def _conflict(ctx: Context, exc: ArtifactConflict) -> Report:
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
        targets=_targets([(t.name, t.kind, t.url, t.version) for t in r.targets], {}),
        problems=[str(p) for p in exc.problems],
        journal=str(ctx.journal.path),
    )


def _targets(
    record_targets: list[tuple[str, str, str, str]], status: dict[str, str]
) -> list[TargetReport]:
    return [TargetReport(n, k, u, v, status.get(n, "pending")) for n, k, u, v in record_targets]


def _invalid(plan: Plan, problems: list[Problem]) -> Report:
    fixes = "; ".join(dict.fromkeys(p.fix for p in problems if p.fix))
    return Report(
        project=plan.project,
        version=plan.next_version_str,
        tag=plan.tag,
        outcome=Outcome.FAILED,
        exit_code=2,
        next_actor="developer",
        operator_action=f"fix the problems listed, then run the push again: {fixes}",
        summary=f"validation found {len(problems)} problem(s); nothing was changed",
        targets=_targets(
            [(t.name, t.kind, t.url, t.version) for t in plan.targets],
            {t.name: "not started" for t in plan.targets},
        ),
        problems=[str(p) for p in problems],
    )


def _outcome(ctx: Context, execution: Execution) -> Report:
    r = ctx.record
    for name, status in ctx.target_status.items():
        if status in ("pending", "publishing"):
            ctx.target_status[name] = "not published"
    report = Report(
        project=r.project,
        version=r.version,
        tag=r.tag,
        outcome=Outcome.RELEASED,
        exit_code=0,
        next_actor="none",
        operator_action="none",
        summary=f"{r.tag} pushed to {r.remote}; published and verified on "
        f"{len(r.targets)} target(s)",
        steps=[
            StepReport(s.name, s.phase.value, s.status.value, s.seconds, s.detail)
            for s in ctx.records
        ],
        targets=_targets(
            [(t.name, t.kind, t.url, t.version) for t in r.targets], ctx.target_status
        ),
    )
    if execution.failed_step is None:
        return report
    error = str(execution.error).strip() if execution.error else "unknown error"
    report.problems = [f"{execution.failed_step}: {error}"]
    project = r.project
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
