"""The executor: runs the steps in order, each journaled, and undoes what was done on failure.

Past the point of no return a failing step is tried again and the run stops resumable;
steps of one concurrency key run side by side; a stop signal is honoured between steps.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

from release.errors import Problem, ReleaseError
from release.masking import mask
from release.steps import (
    FAIL_AT_ENV,
    ArtifactConflict,
    Context,
    Phase,
    Step,
    StepRecord,
    StepStatus,
    maybe_die,
)


class InjectedFailure(ReleaseError):
    """Raised by the test-only fault injection switch."""

    exit_code = 1


class StopRequested(ReleaseError):
    """SIGINT or SIGTERM arrived: the release stops at the next safe point."""

    exit_code = 1


@dataclass
class Execution:
    failed_step: str | None = None
    error: BaseException | None = None
    rollback_complete: bool = True
    stopped_resumable: bool = False
    finish_forward: bool = False  # stopped past a publish that cannot be taken back


# Tries of a step failing past an irreversible publish, and the pause before each one.
RETRIES = 2
RETRY_PAUSE = 1.0


def past_irreversible(done: list[Step], ctx: Context) -> bool:
    """Whether a publish no rollback can take back (PyPI) is among the steps done."""
    for step in done:
        check = getattr(step, "irreversible", None)
        if check is not None and step.point_of_no_return and check(ctx):
            return True
    return False


@contextmanager
def stop_at_safe_points() -> Iterator[list[int]]:
    """Turn SIGINT/SIGTERM into a request the executor honours between steps."""
    received: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def execute(steps: tuple[Step, ...], ctx: Context, *, resume: bool = False) -> Execution:
    """Run the steps in order; on failure undo what was done, newest first.

    With `resume`, a step whose effect is already in the world is skipped. Once a
    publish has happened (the point of no return), a stop request ends the run with a
    resumable journal instead of a rollback.
    """
    done: list[Step] = []
    result = Execution()
    phase: Phase | None = None
    together: tuple[Step, ...] = ()
    with stop_at_safe_points() as signals:
        for index, step in enumerate(steps):
            if any(step is other for other in together):
                continue  # ran beside the step that opened its group
            if signals:
                result.failed_step = step.name
                result.error = StopRequested(f"stopped by signal {signals[0]} before {step.name}")
                if any(s.point_of_no_return for s in done):
                    ctx.journal.write("stopped", step=step.name, signal=signals[0])
                    result.stopped_resumable = True
                else:
                    result.rollback_complete = rollback(done, ctx)
                return result
            if step.phase is not phase:
                phase = step.phase
                ctx.progress.phase(phase.value, phase.title)
            if resume and step.done(ctx):
                ctx.journal.write("skipped", step=step.name)
                ctx.records.append(StepRecord(step.name, step.phase, StepStatus.SKIPPED, 0.0))
                ctx.progress.info(f"{step.name}: already done")
                done.append(step)
                continue
            together = () if resume else _group(steps, index)
            if len(together) > 1:
                if _run_together(together, ctx, done, result):
                    return result
                continue
            start = time.monotonic()
            # Past a publish nothing can take back, the release finishes forward: a failing
            # step is tried again (bounded) before the run stops resumable.
            tries = 1 + (RETRIES if past_irreversible(done, ctx) else 0)
            try:
                details = _apply(step, ctx, phase, tries)
            # The executor is the one place that must see every failure, to roll back.
            except BaseException as exc:
                _fail(step, exc, time.monotonic() - start, ctx, done, result)
                if isinstance(exc, KeyboardInterrupt | SystemExit):
                    raise
                return result
            took = time.monotonic() - start
            ctx.journal.write("done", step=step.name, seconds=round(took, 3), **details)
            ctx.records.append(StepRecord(step.name, step.phase, StepStatus.DONE, took))
            done.append(step)
    return result


def _apply(step: Step, ctx: Context, phase: Phase, tries: int) -> dict[str, Any]:
    """Apply the step, trying again up to `tries` times in all; the last failure is raised."""
    for attempt in range(1, tries + 1):
        try:
            ctx.journal.write("start", step=step.name, phase=phase.value)
            maybe_die(step.name)
            if os.environ.get(FAIL_AT_ENV) == step.name:
                raise InjectedFailure(Problem(f"injected failure at {step.name}"))
            with ctx.progress.step(step.name):
                details = step.apply(ctx)
            maybe_die(f"{step.name}:after")
            return details
        except Exception as exc:
            if attempt == tries or isinstance(exc, ArtifactConflict):
                raise
            ctx.journal.write("retry", step=step.name, error=mask(str(exc)))
            ctx.progress.warn(f"{step.name} failed; trying again ({attempt}/{tries - 1})")
            time.sleep(RETRY_PAUSE * attempt)
    raise AssertionError("unreachable: the last try returns or raises")


def _group(steps: tuple[Step, ...], index: int) -> tuple[Step, ...]:
    """The step at `index` and the steps right after it that may run beside it: the same
    concurrency key (verifications; a set's builds; a set's publishes of one dependency level)
    in the same phase."""
    group = steps[index : index + 1]
    key = getattr(steps[index], "concurrent", "")
    if not key:
        return group
    for step in steps[index + 1 :]:
        if getattr(step, "concurrent", "") != key or step.phase is not steps[index].phase:
            break
        group += (step,)
    return group


def _run_together(
    group: tuple[Step, ...], ctx: Context, done: list[Step], result: Execution
) -> bool:
    """Independent steps (the verifications of several targets) side by side, as many at
    once as there are cores; each journaled as it starts and ends. True when one failed:
    then all of them, and what was done before, are rolled back."""
    lock = threading.Lock()
    outcomes: dict[str, tuple[float, BaseException | None, dict[str, Any]]] = {}

    def one(step: Step) -> None:
        start = time.monotonic()
        with lock:
            ctx.journal.write("start", step=step.name, phase=step.phase.value)
        try:
            maybe_die(step.name)
            if os.environ.get(FAIL_AT_ENV) == step.name:
                raise InjectedFailure(Problem(f"injected failure at {step.name}"))
            details = step.apply(ctx)
            maybe_die(f"{step.name}:after")
        # Collected, not lost: the executor reports the first and rolls everything back.
        except BaseException as exc:
            outcomes[step.name] = (time.monotonic() - start, exc, {})
            with lock:
                ctx.journal.write("failed", step=step.name, error=mask(str(exc)))
            return
        outcomes[step.name] = (time.monotonic() - start, None, details)
        with lock:
            ctx.journal.write(
                "done", step=step.name, seconds=round(outcomes[step.name][0], 3), **details
            )

    workers = max(1, min(len(group), os.cpu_count() or 1))
    with ctx.progress.step(" + ".join(s.name for s in group)), ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, group))
    first: tuple[Step, BaseException] | None = None
    for step in group:
        took, error, _ = outcomes[step.name]
        if error is None:
            ctx.records.append(StepRecord(step.name, step.phase, StepStatus.DONE, took))
            continue
        ctx.records.append(
            StepRecord(step.name, step.phase, StepStatus.FAILED, took, _brief(error))
        )
        first = first or (step, error)
    if first is None:
        done.extend(group)
        return False
    result.failed_step, result.error = first[0].name, first[1]
    errors = [e for _, e, _ in outcomes.values() if e is not None]
    succeeded = [s for s in group if outcomes[s.name][1] is None]
    if _stops_resumable(errors, first[0].name, ctx, [*done, *succeeded], result):
        return True
    result.rollback_complete = rollback([*done, *group], ctx)
    if isinstance(first[1], KeyboardInterrupt | SystemExit):
        raise first[1]
    return True


def _fail(
    step: Step, exc: BaseException, took: float, ctx: Context, done: list[Step], result: Execution
) -> None:
    """A step failed: journal it, then stop resumable or undo what was done."""
    ctx.journal.write("failed", step=step.name, error=mask(str(exc)))
    ctx.records.append(StepRecord(step.name, step.phase, StepStatus.FAILED, took, _brief(exc)))
    result.failed_step, result.error = step.name, exc
    if not _stops_resumable([exc], step.name, ctx, done, result):
        # The failed step may have half-happened: its undo checks the world first.
        result.rollback_complete = rollback([*done, step], ctx)


def _stops_resumable(
    errors: list[BaseException], step: str, ctx: Context, done: list[Step], result: Execution
) -> bool:
    """Past the point of no return, a registry that went away (every error says a retry
    may succeed) ends the run resumable: undoing a good release would help no one."""
    if not errors or any(isinstance(e, ArtifactConflict) for e in errors):
        return False
    if past_irreversible(done, ctx):
        # Undoing the rest would leave a split release behind the files no one can delete.
        ctx.journal.write("stopped", step=step, reason="finish forward")
        result.stopped_resumable = result.finish_forward = True
        return True
    if not all(getattr(e, "resumable", False) for e in errors):
        return False
    if not any(s.point_of_no_return for s in done):
        return False
    ctx.journal.write("stopped", step=step, reason="registry unavailable")
    result.stopped_resumable = True
    return True


def rollback(steps: list[Step], ctx: Context) -> bool:
    """Undo steps newest first, each after checking the world; True when nothing is left over."""
    if not steps:
        return True
    ctx.progress.phase(0, "rollback")
    complete = True
    for step in reversed(steps):
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
            return
    ctx.records.append(StepRecord(step.name, step.phase, status, seconds, detail))


def _brief(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    text = mask(str(exc)).strip()
    return text or type(exc).__name__
