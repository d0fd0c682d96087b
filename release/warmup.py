"""Imports a push needs later, loaded on a spare core while the push waits on its first commands.

A push spends its first second mostly waiting: on git (the plan, the remote), on the
registries (validation). The libraries its later steps load (detect-secrets for the
secrets gate, gitpython for the release commit) cost a tenth of a second or more of the
tool's own time when imported where they are used; imported in a thread while the main
one waits, they cost the release nothing. Python's import lock makes this safe: a step
that needs a module still being loaded waits for it, and an import that fails here is
retried, and reported, where the step imports it.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Sequence

# A module to import, or a call that only fills a cache (a library's plugin table).
Task = str | Callable[[], object]


def warm(tasks: Sequence[Task]) -> threading.Thread:
    """Start the tasks, in order, in a daemon thread; the caller never waits for it."""
    thread = threading.Thread(target=_run, args=(tuple(tasks),), name="warmup", daemon=True)
    thread.start()
    return thread


def _run(tasks: tuple[Task, ...]) -> None:
    for task in tasks:
        try:
            if isinstance(task, str):
                importlib.import_module(task)
            else:
                task()
        except Exception:  # noqa: S112 - the step that needs it does it again, and reports
            continue
