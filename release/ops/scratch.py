"""Scratch folders under the system temp directory: made with an owner mark, swept when dead."""

from __future__ import annotations

import os
import shutil
import tempfile
from functools import cache
from pathlib import Path

_OWNER = ".release-owner"


def make(prefix: str) -> Path:
    """A new private folder `release-PREFIX-*`, marked with this process's id."""
    directory = Path(tempfile.mkdtemp(prefix=f"release-{prefix}-"))
    (directory / _OWNER).write_text(str(os.getpid()), encoding="ascii")
    return directory


@cache
def sweep_once() -> None:
    """sweep(), the first time a process asks: the folders of runs dead before it started
    do not come back, and a push asks for scratch room more than once."""
    sweep()


def sweep() -> list[Path]:
    """Remove the scratch folders of runs that died (kill -9 leaves them); return them.

    Only folders this tool marked are touched, and only when their process is gone.
    """
    removed = []
    for directory in Path(tempfile.gettempdir()).glob("release-*"):
        try:
            pid = int((directory / _OWNER).read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            continue  # not ours, or still being made
        if pid != os.getpid() and not _alive(pid):
            shutil.rmtree(directory, ignore_errors=True)
            removed.append(directory)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True
