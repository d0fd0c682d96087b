"""The release journal: one append-only JSON-lines file per release, fsynced before each effect."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from release.errors import Problem, ReleaseError
from release.masking import mask_data

# The appended bytes and the file's new length reach the disk; fdatasync skips the times
# fsync also writes (a third of each record's cost here). macOS has only fsync.
_sync = getattr(os, "fdatasync", os.fsync)


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
        plain = json.loads(json.dumps(record, default=str))
        line = json.dumps(mask_data(plain), sort_keys=True) + "\n"
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            _sync(handle.fileno())

    def records(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text("utf-8").splitlines() if line]


def journals(directory: Path) -> list[Journal]:
    """The project's journals, oldest first (names start with a UTC timestamp)."""
    folder = directory / "journals"
    return [Journal(p) for p in sorted(folder.glob("*.jsonl"))] if folder.is_dir() else []


@dataclass(frozen=True)
class Summary:
    """A journal read back: the release it describes and how far it got."""

    journal: Journal
    header: dict[str, Any]
    done: tuple[str, ...]
    undone: tuple[str, ...]
    failed: str | None
    outcome: str | None  # None: the process never finished (a crash)

    @property
    def complete(self) -> bool:
        """Finished one way or the other; a release left to an operator is not."""
        return self.outcome is not None and self.outcome != "needs_operator"

    @property
    def state(self) -> str:
        return self.outcome or "incomplete"


def summarize(journal: Journal) -> Summary | None:
    records = journal.records()
    header = next((r for r in records if r["event"] == "release"), None)
    if header is None:
        return None
    done: list[str] = []
    undone: list[str] = []
    failed = None
    outcome = None
    for record in records:
        event, step = record["event"], record.get("step")
        if event in ("done", "skipped") and isinstance(step, str) and step not in done:
            done.append(step)
        if event == "done" and step == "release commit":
            header["record"]["release_sha"] = record["sha"]
        if event == "done" and "artifacts" in record:
            _keep_artifacts(header["record"], record)
        elif event == "undone" and isinstance(step, str):
            undone.append(step)
        elif event == "failed":
            failed = step
        elif event == "outcome":
            outcome = record["outcome"]
    return Summary(journal, header, tuple(done), tuple(undone), failed, outcome)


def _keep_artifacts(release: dict[str, Any], done: dict[str, Any]) -> None:
    """A build's artifacts, into the record of the package that built them."""
    package = done.get("package")
    for member in release.get("packages", []) if package else [release]:
        if package is None or member["project"] == package:
            member["artifacts"] = done["artifacts"]


class LockHeld(ReleaseError):
    """Another release into this repository is running; wait for it or check the holder."""


# A holder writes its details just after it takes the lock; a contender that arrives in that
# instant waits this long for them, so the refusal always names who holds the repository.
_HOLDER_WAIT = 2.0


def _holder(info_path: Path) -> str:
    deadline = time.monotonic() + _HOLDER_WAIT
    while True:
        text = info_path.read_text("utf-8").strip() if info_path.exists() else ""
        if text or time.monotonic() >= deadline:
            return text or "holder not named: its process may have been killed just after start"
        time.sleep(0.05)


@contextmanager
def release_lock(directory: Path, project: str) -> Iterator[None]:
    """One release per repository at a time, whatever config or project name reaches it.

    `directory` is the project's state directory; the lock lives one level up, in the
    repository's own release folder, so two configs of one repository share it. A second
    release is refused with the holder's project, pid, host and start time.
    """
    shared = directory.parent
    shared.mkdir(parents=True, exist_ok=True)
    lock_path = shared / "release.lock"
    info_path = shared / "release.lock.info"
    lock = FileLock(str(lock_path))
    try:
        lock.acquire(timeout=0)
    except Timeout as exc:
        raise LockHeld(
            Problem(
                f"another release into this repository is running ({_holder(info_path)})",
                str(lock_path),
                "wait for it to finish; the lock frees itself when that process exits",
            )
        ) from exc
    try:
        started = time.strftime("%Y-%m-%d %H:%M:%S")
        info = f"{project}: pid {os.getpid()} on {os.uname().nodename} since {started}"
        # Written whole and renamed, so a contender never reads half a line.
        partial = info_path.with_suffix(".partial")
        partial.write_text(info, "utf-8")
        partial.replace(info_path)
        yield
    finally:
        info_path.unlink(missing_ok=True)
        lock.release()
