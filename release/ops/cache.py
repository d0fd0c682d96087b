"""The parsed-commit cache under .git/release/cache: safe to delete, rebuilt as plans run."""

from __future__ import annotations

import marshal
import os
import tempfile
from pathlib import Path
from typing import Any

# marshal, not pickle: loading it can only ever produce data, never run code.
_LIMIT = 500_000  # entries; past this the cache starts over rather than grow without end


def cache_path(git_dir: Path) -> Path:
    return git_dir / "release" / "cache" / "commits.marshal"


def load(path: Path, key: str) -> dict[str, Any]:
    try:
        stored = marshal.loads(path.read_bytes())  # noqa: S302 - data only, never executed
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if not isinstance(stored, tuple) or len(stored) != 2 or stored[0] != key:
        return {}
    entries = stored[1]
    return entries if isinstance(entries, dict) else {}


def save(path: Path, key: str, entries: dict[str, Any]) -> None:
    """Write atomically; a failure to write a cache is never an error."""
    if len(entries) > _LIMIT:
        entries = {}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".commits.")
        with os.fdopen(fd, "wb") as handle:
            handle.write(marshal.dumps((key, entries)))
        os.replace(tmp, path)
    except OSError:
        return
