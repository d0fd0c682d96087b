"""`release push`: plan, validate, then carry out the plan step by step, or put everything back."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from release.changelog import uses_fragments
from release.config import LoadedConfig
from release.errors import Problem, ReleaseError
from release.journal import Journal, Summary, journals, release_lock, state_dir, summarize
from release.masking import register_env_secrets
from release.ops.git import RemoteGit
from release.ops.process import child_clock
from release.packages import members
from release.phases.build import builds_ahead, builds_anything
from release.plan import Options, Plan, build_plan
from release.prebuild import Prebuild
from release.progress import Progress
from release.record import ReleaseRecord
from release.recovery import (
    WorldRelease,
    journal_disagrees,
    package_names,
    world_problem,
    world_release,
)
from release.registries import registries_from_env
from release.setplan import SetPlan, build_set_plan
from release.warmup import Task, warm

# What runs once the builds have started (the checks, the steps, the report) is imported
# there, in the functions that use it: its import then overlaps the builds.
if TYPE_CHECKING:
    from release.report import Report
    from release.steps import Context, Step


@dataclass(frozen=True)
class PushOptions:
    plan: Options
    ci: bool = False
    resume: bool = False
    skips: dict[str, str] = field(default_factory=dict)  # gate name -> the reason given
    # Asked after validation, before the first change (interactive pushes); False cancels.
    confirm: Callable[[Plan | SetPlan], bool] | None = None
    # Asked on a terminal when the last release is found incomplete; True finishes it.
    ask: Callable[[str], bool] | None = None
    packages: tuple[str, ...] = ()  # --package: only these (and their dependents)
    dependents: bool = True  # --no-dependents: not even those


# How long the checks wait for the builds made ahead to start (their preparation is Python
# work, which the checks' Python work would only slow): long enough for a small project's
# export, short enough that a large one's costs the gates little.
_BUILD_START_WAIT = 0.5


class IncompleteRelease(ReleaseError):
    """The last release of this project never finished: resume it or roll it back first."""

    exit_code = 3


def last_summary(directory: Path) -> Summary | None:
    found = journals(directory)
    return summarize(found[-1]) if found else None


def push(loaded: LoadedConfig, options: PushOptions, progress: Progress) -> Report:
    """Release one project; the report says what happened and who acts next."""
    started = time.monotonic()
    clock = child_clock.seconds
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    register_env_secrets(loaded.config.secret_env_names())
    # Set once the builds run (or none will): then the checks' imports cost nothing.
    checks = threading.Event()
    warm(_later_imports(loaded, checks))
    try:
        RemoteGit(loaded.root).ensure_repository()  # before the state folder is made inside it
        directory = state_dir(loaded.root, loaded.config.name)
        with release_lock(directory, loaded.config.name):
            last = last_summary(directory)
            world = None if last is not None and not last.complete else world_release(loaded)
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
                    checks.set()
                    report = _recover(loaded, world, directory, stamp, progress)
                elif world.only_unverified:
                    progress.warn(
                        f"{world.record.tag} was never recorded as verified; "
                        f"`release push --project {loaded.config.name} --resume` verifies it"
                    )
                    report = _fresh(loaded, options, directory, stamp, progress, checks)
                else:
                    raise IncompleteRelease(world_problem(world, loaded.config.name))
            elif options.resume:
                if last is None or last.complete:
                    from release.report import Report

                    # Nothing is wrong (a CI retry after a finished run): nobody needs paging.
                    return Report.quiet(
                        loaded.config.name,
                        None,
                        None,
                        "nothing to resume: the last release finished, or there was none",
                    )
                checks.set()
                report = _resume(loaded, last, directory, progress)
            else:
                if last is not None and not last.complete:
                    raise IncompleteRelease(_incomplete_problem(last, loaded.config.name))
                report = _fresh(loaded, options, directory, stamp, progress, checks)
            report.started = stamp
            report.seconds = time.monotonic() - started
            report.commands_seconds = child_clock.seconds - clock
            report.write(directory / "reports", f"{stamp}-{report.outcome.value}")
    finally:
        checks.set()  # a push that ends early leaves no warm-up waiting for it
    from release.notify import notify

    notify(loaded, report, progress)  # outside the lock: a slow webhook holds up no one
    return report


def _later_imports(loaded: LoadedConfig, checks: threading.Event) -> list[Task]:
    """What this push's later steps import, in the order they need it, for the warm-up;
    what the checks and the commit need, once `checks` is set."""
    cfg = loaded.config
    later: list[Task] = []
    if uses_fragments(loaded.root, cfg.changelog):  # the plan's entry
        later.append(Task("towncrier", ("towncrier._builder", "towncrier._settings.load")))
    if any(".toml" in f for m in members(loaded) for f in m.config.version.files):
        # The plan's version edits of TOML files.
        later.append(Task("tomlkit", ("tomlkit", "tomlkit.exceptions")))
    if cfg.gates.secrets.enabled:  # a small change is scanned in the push's process
        modules = ("detect_secrets.core.secrets_collection", "detect_secrets.settings")
        later.append(Task("detect_secrets", modules, (_detectors,), checks))
    return [*later, Task("git", ("git",), after=checks)]  # the release commit and tag


def _detectors() -> object:
    # detect-secrets imports each of its plugins on the first call, then keeps the table.
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    return get_mapping_from_secret_type_to_class()


def _asked(options: PushOptions, world: WorldRelease) -> bool:
    r = world.record
    question = f"{r.tag} is incomplete ({'; '.join(world.missing)}). Finish it now?"
    return options.ask is not None and options.ask(question)


def _recover(
    loaded: LoadedConfig, world: WorldRelease, directory: Path, stamp: str, progress: Progress
) -> Report:
    """Finish a release found incomplete in the world: no journal needed, nothing repeated."""
    from release.pipeline import finishing_steps
    from release.transaction import make_context

    record = world.record
    progress.phase(1, "recover")
    progress.info(
        f"{record.tag} is on {record.remote} but the release is incomplete: "
        f"{'; '.join(world.missing)}; finishing it"
    )
    if world.believed:
        progress.info(world.believed)
    registries = registries_from_env(loaded)
    if registries.problems:
        raise ReleaseError(registries.problems)
    journal = Journal.create(directory, f"{stamp}-{record.tag}-recovered")
    journal.write(
        "release", record=record.to_dict(), recovered_from="world", missing=list(world.missing)
    )
    ctx, _ = make_context(loaded, record, journal, directory, progress)
    steps = finishing_steps(record, loaded)
    if world.only_unverified:
        # Every file is out: verify what the registries hold, never rebuild and compare (a
        # release made before builds were reproducible would never match its rebuild).
        steps = tuple(
            s
            for s in steps
            if (base := str(getattr(s, "base", s.name))).startswith("verify ") or base == "record"
        )
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
    loaded: LoadedConfig,
    options: PushOptions,
    directory: Path,
    stamp: str,
    progress: Progress,
    checks: threading.Event,
) -> Report:
    from release.steps import Phase

    progress.phase(1, Phase.VALIDATION.title)
    git = RemoteGit(loaded.root)
    # The builds get a scratch repository while the plan is worked out, and start from
    # the planned release commit while the gates run (tests, above all).
    ahead = Prebuild.open(git, loaded.config.name) if builds_anything(loaded) else None
    try:
        prepared = _prepare(loaded, options, git, progress)
        if not isinstance(prepared, tuple):
            return prepared  # the report of a push with nothing to release
        shown, record = prepared
        started = ahead is not None and ahead.start(record, builds_ahead(record, loaded))
        prebuild = ahead if started else None
        if prebuild is not None:
            prebuild.wait_until_building(_BUILD_START_WAIT)
        checks.set()
        return _validated(loaded, options, directory, stamp, progress, shown, record, prebuild)
    finally:
        if ahead is not None:
            ahead.close()


def _validated(
    loaded: LoadedConfig,
    options: PushOptions,
    directory: Path,
    stamp: str,
    progress: Progress,
    shown: Plan | SetPlan,
    record: ReleaseRecord,
    prebuild: Prebuild | None,
) -> Report:
    from release.outcome import invalid
    from release.phases import validate as validation
    from release.report import Report
    from release.transaction import make_context, validate_set

    git = RemoteGit(loaded.root)
    if isinstance(shown, SetPlan):
        problems, gates = validate_set(shown, record.branch, git, options.skips, progress)
    else:
        registries = registries_from_env(loaded)
        problems, gates = validation.validate(
            shown, loaded, git, registries, package_names(loaded), options.skips, progress
        )
        problems = [*registries.problems, *problems]
    if problems:
        report = invalid(record, problems)
        report.gates = [g.to_dict() for g in gates]
        return report
    if options.confirm is not None and not options.confirm(shown):
        report = Report.quiet(
            record.project,
            record.version,
            record.tag,
            "cancelled at the prompt; nothing was changed",
        )
        report.gates = [g.to_dict() for g in gates]
        return report
    journal = Journal.create(directory, f"{stamp}-{record.key}")
    journal.write("release", record=record.to_dict(), gates=[g.to_dict() for g in gates])
    ctx, _ = make_context(loaded, record, journal, directory, progress)
    ctx.prebuild = prebuild
    report = _run(ctx, resume=False)
    report.gates = [g.to_dict() for g in gates]
    return report


def _prepare(
    loaded: LoadedConfig, options: PushOptions, git: RemoteGit, progress: Progress
) -> Report | tuple[Plan | SetPlan, ReleaseRecord]:
    """The plan, shown; and the release record made from it (a set's: its packages')."""
    from release.report import Report

    if loaded.is_set:
        with progress.step("plan"):
            plan = build_set_plan(loaded, options.plan, options.packages, options.dependents)
        if plan.nothing_to_release:
            return Report.quiet(loaded.config.name, None, None, plan.why_nothing)
        for package in plan.releasing:
            p = package.plan
            progress.info(
                f"{package.name}: {p.current_version or '-'} -> {p.next_version_str} "
                f"({p.bump.label}), tag {p.tag}; {package.why}"
            )
        branch = git.branch() or loaded.config.branch
        from release.transaction import set_records

        records = set_records(plan, branch)
        return plan, ReleaseRecord.for_set(loaded.config.name, records)
    with progress.step("plan"):
        single = build_plan(loaded, options.plan)
    if single.nothing_to_release:
        return Report.quiet(single.project, None, None, single.why_nothing)
    progress.info(
        f"{single.current_version or '-'} -> {single.next_version_str} "
        f"({single.bump.label}), tag {single.tag}"
    )
    # The release goes out from the branch it is made on (the branch gate says which may).
    single = replace(single, branch=git.branch() or single.branch)
    record = ReleaseRecord.from_plan(single, *package_names(loaded))
    record.path = git.prefix()  # a project in a folder of its repository builds there
    return single, record


def _resume(loaded: LoadedConfig, last: Summary, directory: Path, progress: Progress) -> Report:
    from release.phases.commit import Commit
    from release.pipeline import finishing_steps
    from release.transaction import make_context

    record = ReleaseRecord.from_dict(last.header["record"])
    progress.phase(1, "resume")
    progress.info(
        f"resuming {record.project} {record.version} (tag {record.tag}); "
        f"journal {last.journal.path}"
    )
    git = RemoteGit(loaded.root)
    ctx, problems = make_context(loaded, record, last.journal, directory, progress)
    if problems:
        raise ReleaseError(problems)
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


def _run(ctx: Context, *, resume: bool, steps: tuple[Step, ...] | None = None) -> Report:
    from release.executor import execute
    from release.outcome import conflict, outcome
    from release.pipeline import pipeline
    from release.steps import ArtifactConflict

    try:
        execution = execute(steps or pipeline(ctx.record, ctx.loaded), ctx, resume=resume)
    except ArtifactConflict as exc:
        # Found before anything was uploaded: a stop, never a rollback and never an overwrite.
        ctx.journal.write("stopped", error=str(exc))
        return conflict(ctx, exc)
    finally:
        shutil.rmtree(ctx.scratch, ignore_errors=True)
    report = outcome(ctx, execution)
    if not execution.stopped_resumable:
        # A stop past the point of no return leaves the journal open, for --resume.
        ctx.journal.write("outcome", outcome=report.outcome.value, action=report.operator_action)
    report.journal = str(ctx.journal.path)
    return report
