"""The release's notes for forge releases: its changelog entry, read from the planned files.

One function, `release_notes`, so commit-based notes can replace it in one place.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Protocol

_CHANGELOG_NAMES = ("changelog", "changes", "history", "news", "releases")


class PlannedFile(Protocol):
    """A file the release rewrites (the plan's FileChange and the journal's FileRecord)."""

    @property
    def path(self) -> str: ...
    @property
    def old(self) -> str | None: ...
    @property
    def new(self) -> str | None: ...
    @property
    def phase(self) -> str: ...


def release_notes(version: str, files: Sequence[PlannedFile], changelog_file: str) -> str:
    """The lines the release adds to its changelog, without the entry's own version heading;
    a release without a changelog entry (a pre-release) says what it is."""
    changelog = [
        f
        for f in files
        if f.phase == "changelog"
        and f.new is not None
        and (
            f.path == changelog_file
            or PurePosixPath(f.path).stem.lower().startswith(_CHANGELOG_NAMES)
        )
    ]
    if not changelog:
        return f"Release {version}."
    entry = changelog[0]
    added = [
        line[1:]
        for line in difflib.unified_diff(
            (entry.old or "").splitlines(), (entry.new or "").splitlines(), n=0, lineterm=""
        )
        if line.startswith("+") and not line.startswith("+++")
    ]
    while added and not added[0].strip():
        added.pop(0)
    if added and added[0].lstrip().startswith("#") and version in added[0]:
        added.pop(0)
    text = "\n".join(added).strip()
    return text or f"Release {version}."
