"""`release rollback`: undo a journaled release after checking the world (git, remote, indexes)."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from release.config import LoadedConfig
from release.errors import Problem, ReleaseError, UsageError
from release.executor import rollback
from release.journal import Journal, Summary, journals, release_lock, state_dir, summarize
from release.masking import register_env_secrets
from release.notify import notify
from release.ops.git import RemoteGit
from release.outcome import target_reports
from release.phases.deploy import Push
from release.pipeline import finishing_steps, pipeline
from release.progress import Progress
from release.record import ReleaseRecord
from release.recovery import WorldRelease, rolled_back_since, world_release
from release.report import Outcome, Report, StepReport
from release.steps import Context, Step
from release.transaction import make_context


@dataclass(frozen=True)
class RollbackOptions:
    dry_run: bool = False
    to_version: str | None = None


def _choose(summaries: list[Summary], to_version: str | None, project: str) -> Summary | None:
    if not summaries:
        return None
    if to_version is None:
        return summaries[-1]
    matches = [s for s in summaries if s.header["record"]["version"] == to_version]
    if not matches:
        known = ", ".join(dict.fromkeys(s.header["record"]["version"] for s in summaries))
        raise UsageError(
            Problem(
                f"no journaled release {to_version} of {project}",
                "--to-version",
                f"journaled versions: {known}",
            )
        )
    chosen = matches[-1]
    newer = [s for s in summaries[summaries.index(chosen) + 1 :] if s.state == "released"]
    if newer:
        raise UsageError(
            Problem(
                f"{newer[-1].header['record']['version']} was released after {to_version}",
                "--to-version",
                "roll back the newer release first",
            )
        )
    return chosen


def rollback_release(loaded: LoadedConfig, options: RollbackOptions, progress: Progress) -> Report:
    """Undo the chosen release; running it twice does nothing the second time."""
    started = time.monotonic()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    register_env_secrets(loaded.config.secret_env_names())
    RemoteGit(loaded.root).ensure_repository()  # before the state folder is made inside it
    directory = state_dir(loaded.root, loaded.config.name)
    with release_lock(directory, loaded.config.name):
        summaries = [s for j in journals(directory) if (s := summarize(j))]
        chosen = _choose(summaries, options.to_version, loaded.config.name)
        found = ""
        if chosen is None:
            world = _from_world(loaded, options.to_version)
            if world is None:
                return Report.quiet(
                    loaded.config.name,
                    None,
                    None,
                    "no journaled release to roll back, and no release made by this tool "
                    "on the remote",
                )
            found = _found(world)
            progress.info(found)
            journal = Journal.create(directory, f"{stamp}-{world.record.key}-from-world")
            if not options.dry_run:
                journal.write("release", record=world.record.to_dict(), recovered_from="world")
            chosen = Summary(journal, {"record": world.record.to_dict()}, (), (), None, None)
        record = ReleaseRecord.from_dict(chosen.header["record"])
        ctx, problems = make_context(
            loaded, record, chosen.journal, directory, progress, status="unknown"
        )
        if problems:
            raise UsageError(problems)
        # Without a journal only what left the machine is undone: the clone is fresh.
        from_world = bool(found) or chosen.header.get("recovered_from") == "world"
        steps = list(finishing_steps(record, loaded) if from_world else pipeline(record, loaded))
        if from_world:
            steps.insert(0, Push())
        present = [s for s in steps if _safe_done(s, ctx)]
        if options.dry_run:
            report = _dry_run(record, present, None if found else chosen)
            report.summary = f"{found}; {report.summary}" if found else report.summary
            return report
        chosen.journal.write("rollback_start", steps=[s.name for s in present])
        try:
            complete = rollback(steps, ctx)
        finally:
            shutil.rmtree(ctx.scratch, ignore_errors=True)
        outcome = Outcome.ROLLED_BACK if complete else Outcome.NEEDS_OPERATOR
        chosen.journal.write(
            "outcome", outcome=outcome.value, action="; ".join(ctx.operator_actions)
        )
        for states in (ctx.target_status, *ctx.package_status.values()):
            for name, state in states.items():
                if state == "unknown":
                    states[name] = "not published"
        report = Report(
            project=record.project,
            version=record.version,
            tag=record.tag,
            outcome=outcome,
            exit_code=0 if complete else 3,
            next_actor="none" if complete else "operator",
            operator_action="none" if complete else "; ".join(ctx.operator_actions),
            summary=(found and f"{found}; ")
            + (f"{record.tag} rolled back (" + _what(present, ctx) + ")")
            if complete
            else f"{record.tag}: the rollback could not undo everything",
            steps=[
                StepReport(s.name, s.phase.value, s.status.value, s.seconds, s.detail)
                for s in ctx.records
            ],
            targets=target_reports(record, ctx.target_status, ctx.package_status),
            journal=str(chosen.journal.path),
        )
        report.started = stamp
        report.seconds = time.monotonic() - started
        report.write(directory / "reports", f"{stamp}-rollback-{outcome.value}")
    notify(loaded, report, progress)
    return report


def _from_world(loaded: LoadedConfig, version: str | None) -> WorldRelease | None:
    git = RemoteGit(loaded.root)
    world = world_release(loaded, version)
    if world is None or version is not None:
        return world
    assert world.record.release_sha
    revert = rolled_back_since(git, world.record.release_sha)
    if revert:
        # A later release was rolled back here already: rolling back one more is a choice.
        raise UsageError(
            Problem(
                f"the last release on the remote ({world.record.tag}) is followed by the "
                f"revert {revert} of a later release, which was rolled back",
                "--to-version",
                f"to roll back {world.record.tag} too, run `release rollback --project "
                f"{loaded.config.name} --to-version {world.record.version}`",
            )
        )
    return world


def _found(world: WorldRelease) -> str:
    r = world.record
    state = "complete" if world.complete else "incomplete: " + "; ".join(world.missing)
    return (
        f"no journal here; found on {r.remote}: {r.tag} at {(r.release_sha or '')[:12]}, "
        f"made by release-push, {state}"
    )


def _safe_done(step: Step, ctx: Context) -> bool:
    try:
        return step.done(ctx)
    except ReleaseError:  # a check that cannot run (index down) says nothing is there
        return False


# Steps whose undo changes nothing anyone sees (checks, builds into the scratch folder):
# a summary lists only what this run changed.
_CHANGES_NOTHING = ("preflight", "build", "twine check", "npm pack")


def _base(step: Step) -> str:
    """A step's own name, without the package it acted on."""
    return str(getattr(step, "base", step.name))


def _what(present: list[Step], ctx: Context) -> str:
    local = [
        s.name
        for s in reversed(present)
        if _base(s) not in _CHANGES_NOTHING
        and not _base(s).startswith("verify ")
        and not getattr(s, "leaves_machine", False)
    ]
    remote = list(ctx.undone_remotely)
    if not local and not remote:
        return "nothing was left to undo"
    said = []
    if remote:
        # Said from what this run changed out there, not from which steps were present.
        said.append("post-push procedure: " + "; ".join(remote))
    if local:
        said.append(("here: " if remote else "before the push: ") + ", ".join(local))
    return "; ".join(said)


def _dry_run(record: ReleaseRecord, present: list[Step], chosen: Summary | None) -> Report:
    names = [s.name for s in reversed(present)]
    summary = "dry run; nothing to undo"
    if names:
        summary = "dry run; a rollback would undo, in order: " + ", ".join(names)
    report = Report.quiet(record.project, record.version, record.tag, summary)
    report.journal = str(chosen.journal.path) if chosen else None
    return report
