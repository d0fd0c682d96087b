"""Steps and the executor: each step journaled before and after, undone in reverse on failure."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

from release.config import LoadedConfig
from release.errors import Problem, ReleaseError
from release.journal import Journal
from release.masking import mask
from release.ops.git import RemoteGit
from release.ops.pypi import Index
from release.plan import Plan
from release.progress import Progress

# A test-only switch, inert unless set: fail on purpose when this step starts.
FAIL_AT_ENV = "RELEASE_TEST_FAIL_AT"


class Phase(Enum):
    VALIDATION = 1
    VERSION = 2
    CHANGELOG = 3
    COMMIT = 4
    DEPLOY = 5
    REPORT = 6

    @property
    def title(self) -> str:
        return {
            1: "validation",
            2: "version",
            3: "docs and changelog",
            4: "commit and tag",
            5: "remote deployment",
            6: "report",
        }[self.value]


class StepStatus(Enum):
    DONE = "done"
    FAILED = "failed"
    UNDONE = "undone"
    UNDO_FAILED = "undo_failed"
    NOT_UNDONE = "not_undone"  # no undo exists: an operator must act


@dataclass
class StepRecord:
    name: str
    phase: Phase
    status: StepStatus
    seconds: float
    detail: str = ""


@dataclass
class Context:
    """What the steps share while a release runs."""

    plan: Plan
    loaded: LoadedConfig
    git: RemoteGit
    journal: Journal
    progress: Progress
    scratch: Path
    indexes: dict[str, Index]
    pre_sha: str
    release_sha: str | None = None
    artifacts: list[Path] = field(default_factory=list)
    distribution: str = ""
    target_status: dict[str, str] = field(default_factory=dict)
    target_detail: dict[str, str] = field(default_factory=dict)
    reverted: bool = False  # the post-push rollback already restored content with a revert
    operator_actions: list[str] = field(default_factory=list)
    records: list[StepRecord] = field(default_factory=list)

    @property
    def root(self) -> Path:
        return self.loaded.root


class Step(Protocol):
    name: str
    phase: Phase
    leaves_machine: bool

    def apply(self, ctx: Context) -> dict[str, Any]:
        """Do the step; return what the journal needs to undo or verify it."""
        ...

    def undo(self, ctx: Context) -> str | None:
        """Undo the step; return None when done, or the action an operator must take."""
        ...


class InjectedFailure(ReleaseError):
    """Raised by the test-only fault injection switch."""

    exit_code = 1


@dataclass
class Execution:
    failed_step: str | None = None
    error: BaseException | None = None
    rollback_complete: bool = True
    left_machine: bool = False


def execute(steps: tuple[Step, ...], ctx: Context) -> Execution:
    """Run the steps in order; on any failure undo the completed ones in reverse order."""
    done: list[Step] = []
    result = Execution()
    phase: Phase | None = None
    for step in steps:
        if step.phase is not phase:
            phase = step.phase
            ctx.progress.phase(phase.value, phase.title)
        start = time.monotonic()
        try:
            ctx.journal.write("start", step=step.name, phase=phase.value)
            if os.environ.get(FAIL_AT_ENV) == step.name:
                raise InjectedFailure(Problem(f"injected failure at {step.name}"))
            with ctx.progress.step(step.name):
                details = step.apply(ctx)
        # The executor is the one place that must see every failure, to roll back.
        except BaseException as exc:
            took = time.monotonic() - start
            ctx.journal.write("failed", step=step.name, error=mask(str(exc)))
            ctx.records.append(
                StepRecord(step.name, step.phase, StepStatus.FAILED, took, _brief(exc))
            )
            result.failed_step, result.error = step.name, exc
            result.left_machine = any(s.leaves_machine for s in done)
            result.rollback_complete = rollback(done, ctx)
            return result
        took = time.monotonic() - start
        ctx.journal.write("done", step=step.name, seconds=round(took, 3), **details)
        ctx.records.append(StepRecord(step.name, step.phase, StepStatus.DONE, took))
        done.append(step)
    result.left_machine = any(s.leaves_machine for s in done)
    return result


def rollback(done: list[Step], ctx: Context) -> bool:
    """Undo completed steps newest first; True when nothing is left for an operator."""
    if not done:
        return True
    ctx.progress.phase(0, "rollback")
    complete = True
    for step in reversed(done):
        start = time.monotonic()
        ctx.journal.write("undo_start", step=step.name)
        try:
            with ctx.progress.step(f"undo {step.name}"):
                action = step.undo(ctx)
        except ReleaseError as exc:
            complete = False
            ctx.journal.write("undo_failed", step=step.name, error=mask(str(exc)))
            ctx.operator_actions.append(f"undo of {step.name} failed: {_brief(exc)}")
            _mark(ctx, step, StepStatus.UNDO_FAILED, time.monotonic() - start, _brief(exc))
            continue
        if action:
            complete = False
            ctx.operator_actions.append(action)
            ctx.journal.write("undo_needs_operator", step=step.name, action=action)
            _mark(ctx, step, StepStatus.NOT_UNDONE, time.monotonic() - start, action)
        else:
            ctx.journal.write("undone", step=step.name)
            _mark(ctx, step, StepStatus.UNDONE, time.monotonic() - start)
    return complete


def _mark(ctx: Context, step: Step, status: StepStatus, seconds: float, detail: str = "") -> None:
    for record in ctx.records:
        if record.name == step.name:
            record.status, record.detail = status, detail
            record.seconds += seconds


def _brief(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    text = mask(str(exc)).strip()
    return text or type(exc).__name__
