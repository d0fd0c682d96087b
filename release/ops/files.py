"""File writes for the release: atomic replacement and removal, nothing else."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from release.errors import Problem, ReleaseError


def write_text(path: Path, text: str | None) -> None:
    """Replace `path` with `text` atomically (None removes it); an existing file keeps its mode.

    A symbolic link is never replaced or removed: the plan refuses them, this is the last guard.
    """
    if path.is_symlink():
        raise ReleaseError(
            Problem(f"{path} is a symbolic link", str(path), "replace it by a regular file")
        )
    if text is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_text(path: Path) -> str | None:
    """The file's text exactly as stored (no newline translation), or None when absent."""
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return None


def sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()
