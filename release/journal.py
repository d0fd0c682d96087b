"""The release journal: one append-only JSON-lines file per release, fsynced before each effect."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from release.errors import Problem, ReleaseError
from release.masking import mask


def state_dir(root: Path, project: str) -> Path:
    """Where a project's journals, reports and lock live: inside .git, so never committed."""
    git_dir = root / ".git"
    base = git_dir if git_dir.is_dir() else root / ".release-state"
    return base / "release" / project


class Journal:
    """Records of one release; each record is durable before the step it announces runs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)

    @classmethod
    def create(cls, directory: Path, release_id: str) -> Journal:
        return cls(directory / "journals" / f"{release_id}.jsonl")

    def write(self, event: str, **fields: Any) -> None:
        record = {"ts": round(time.time(), 3), "event": event, **fields}
        line = mask(json.dumps(record, sort_keys=True, default=str)) + "\n"
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())

    def records(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text("utf-8").splitlines() if line]


class LockHeld(ReleaseError):
    """Another release of this project is running; wait for it or check the holder."""


@contextmanager
def release_lock(directory: Path, project: str) -> Iterator[None]:
    """One release per project at a time; a second one is refused with the holder's details."""
    directory.mkdir(parents=True, exist_ok=True)
    lock_path = directory / "release.lock"
    info_path = directory / "release.lock.info"
    lock = FileLock(str(lock_path))
    try:
        lock.acquire(timeout=0)
    except Timeout as exc:
        holder = info_path.read_text("utf-8").strip() if info_path.exists() else "unknown"
        raise LockHeld(
            Problem(
                f"another release of {project} is running ({holder})",
                str(lock_path),
                "wait for it to finish; the lock frees itself when that process exits",
            )
        ) from exc
    try:
        info_path.write_text(
            f"pid {os.getpid()} on {os.uname().nodename} since {time.strftime('%Y-%m-%d %H:%M:%S')}"
        )
        yield
    finally:
        info_path.unlink(missing_ok=True)
        lock.release()
