"""Imports a push needs later, loaded on a spare core while the push waits on its first commands.

A push spends its first second mostly waiting: on git (the plan, the remote), on the
registries (validation). The libraries its later steps load (towncrier for the entry,
detect-secrets for the secrets gate, gitpython for the release commit) cost a tenth of a
second or more of the tool's own time when imported where they are used; imported in a
thread while the main one waits, they cost the release nothing.

Two threads importing one package at once can deadlock on its circular imports, so a
package is imported by one thread only: the code that needs it calls `settle(key)` first,
which waits for the warm-up's import of it, or claims it (the warm-up then skips it) when
the warm-up has not reached it yet. A warm-up task that fails is forgotten: the step that
needs the package imports it again, and reports.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Task:
    """One package's warm-up: `key` names it for settle(); modules, then calls."""

    key: str
    modules: tuple[str, ...]
    calls: tuple[Callable[[], object], ...] = field(default=())
    # Not before this is set: a package needed late waits for the long commands (the
    # builds), so that its import does not take turns with the work they wait on.
    after: threading.Event | None = None


_lock = threading.Lock()
_started: dict[str, threading.Event] = {}  # key: set when the warm-up is done with it
_claimed: set[str] = set()  # keys a caller imports itself: the warm-up leaves them alone


def warm(tasks: Sequence[Task]) -> threading.Thread:
    """Start the tasks, in order, in a daemon thread; the caller never waits for it."""
    thread = threading.Thread(target=_run, args=(tuple(tasks),), name="warmup", daemon=True)
    thread.start()
    return thread


def settle(key: str) -> None:
    """Before importing `key`'s package: wait for the warm-up's import, or claim it."""
    with _lock:
        done = _started.get(key)
        if done is None:
            _claimed.add(key)
            return
    done.wait()


def _run(tasks: tuple[Task, ...]) -> None:
    for task in tasks:
        if task.after is not None:
            task.after.wait()
        with _lock:
            if task.key in _claimed or task.key in _started:
                continue
            done = _started[task.key] = threading.Event()
        try:
            for name in task.modules:
                importlib.import_module(name)
            for call in task.calls:
                call()
        except Exception:  # noqa: S112 - the step that needs it does it again, and reports
            continue
        finally:
            done.set()
