"""Release notes: from conventional commits (grouped by type, breaking first, linked to the
forge), and a release's notes read back from its planned changelog entry (forge releases).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Protocol

from release.commits import DEFAULT_LEVELS, Change
from release.unreleased import section_body
from release.version import Bump

_HEADINGS = {
    "breaking": "Breaking changes",
    "feat": "Features",
    "fix": "Bug fixes",
    "perf": "Performance",
    "revert": "Reverts",
    "refactor": "Refactoring",
    "build": "Build",
    "deps": "Dependencies",
    "docs": "Documentation",
    "chore": "Chores",
    "ci": "Continuous integration",
    "style": "Style",
    "test": "Tests",
}
_FIRST = ("feat", "fix", "perf", "revert")

# scp-like (git@host:path) or URL (scheme://[user[:secret]@]host[:port]/path) remotes.
_SCP = re.compile(r"^(?:[\w.-]+@)?(?P<host>[\w.-]+):(?!//)(?P<path>[^\\]+?)(?:\.git)?/?$")
_URL = re.compile(
    r"^(?:https?|ssh|git)://(?:[^@/]*@)?(?P<host>[\w.-]+)(?::\d+)?/(?P<path>.+?)(?:\.git)?/?$"
)


@dataclass(frozen=True)
class Forge:
    """Where a repository's commits, pull requests and issues have web pages."""

    kind: str  # "github", "gitlab" or "bitbucket"
    base: str  # https://host/owner/repo, never with credentials

    def commit(self, sha: str) -> str:
        return {
            "github": f"{self.base}/commit/{sha}",
            "gitlab": f"{self.base}/-/commit/{sha}",
            "bitbucket": f"{self.base}/commits/{sha}",
        }[self.kind]

    def ref(self, ref: str, *, request: bool) -> str:
        """A `#N` (issue or, named in a subject, pull request) or GitLab `!N` (merge request)."""
        number = ref[1:]
        if self.kind == "gitlab":
            kind = "merge_requests" if ref.startswith("!") else "issues"
            return f"{self.base}/-/{kind}/{number}"
        if self.kind == "bitbucket":
            return f"{self.base}/{'pull-requests' if request else 'issues'}/{number}"
        return f"{self.base}/{'pull' if request else 'issues'}/{number}"


def forge_for(remote_url: str | None) -> Forge | None:
    """The forge a remote URL points to; None for hosts whose links we do not know."""
    if not remote_url:
        return None
    url = remote_url.strip()
    match = _URL.match(url) or _SCP.match(url)
    if match is None:
        return None
    host = match.group("host").lower()
    path = match.group("path").strip("/")
    if host.startswith("www."):
        host = host[4:]
    if host == "github.com":
        kind = "github"
    elif host == "gitlab.com" or host.startswith("gitlab."):
        kind = "gitlab"
    elif host == "bitbucket.org":
        kind = "bitbucket"
    else:
        return None
    if path.count("/") < 1 or not re.fullmatch(r"[\w.\-/]+", path):
        return None
    return Forge(kind, f"https://{host}/{path}")


def noted(change: Change) -> bool:
    """Whether a change has a line in its type's section: a feature, fix or revert, or
    a change the project's rules count for the version (a breaking change of another
    type is listed under breaking changes only)."""
    if change.type in DEFAULT_LEVELS or change.type == "revert":
        return True
    return change.bump in (Bump.PATCH, Bump.MINOR)


def render_notes(
    changes: Sequence[Change], forge: Forge | None, *, markdown: bool, section: str = "-"
) -> str:
    """The notes' body: one section per type (breaking changes first), newest first within.

    Empty when no change is worth a note. `section` is the reStructuredText
    underline for section titles (Markdown uses `###`).
    """
    groups: dict[str, list[str]] = {}
    for change in changes:
        if change.breaking or (change.bump is Bump.MAJOR and change.type != "revert"):
            for text in change.breaking or (change.subject,):
                groups.setdefault("breaking", []).append(_line(change, text, forge, markdown))
        if noted(change):
            groups.setdefault(change.type, []).append(
                _line(change, change.subject, forge, markdown)
            )
    order = ["breaking", *_FIRST, *sorted(k for k in groups if k not in (*_FIRST, "breaking"))]
    out: list[str] = []
    for key in order:
        if key not in groups:
            continue
        heading = _HEADINGS.get(key, key.capitalize())
        out += [f"### {heading}" if markdown else f"{heading}\n{section * len(heading)}", ""]
        out += [*groups[key], ""]
    return "\n".join(out).rstrip() + ("\n" if out else "")


def _line(change: Change, text: str, forge: Forge | None, markdown: bool) -> str:
    text = " ".join(text.split())
    scope = f"**{change.scope}:** " if change.scope else ""
    refs = [_link(change.short, forge.commit(change.sha) if forge else "", markdown)]
    if change.pr:
        refs.append(_link(change.pr, forge.ref(change.pr, request=True) if forge else "", markdown))
    for issue in change.issues:
        refs.append(_link(issue, forge.ref(issue, request=False) if forge else "", markdown))
    bullet = "-" if markdown else "*"
    return f"{bullet} {scope}{text} ({', '.join(refs)})"


def _link(text: str, url: str, markdown: bool) -> str:
    if not url:
        return text
    # Anonymous reStructuredText links: the same text may link twice without a clash.
    return f"[{text}]({url})" if markdown else f"`{text} <{url}>`__"


def render_entry(
    version: str, date: str, body: str, *, markdown: bool, title: str = "=", section: str = "-"
) -> str:
    """A changelog entry: the release's title line, then the notes."""
    head = f"{version} ({date})"
    top = f"## {head}" if markdown else f"{head}\n{title * len(head)}"
    return f"{top}\n\n{body}" if body else f"{top}\n"


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
    elif len(added) > 1 and version in added[0] and re.fullmatch(r"([=\-~^])\1+", added[1]):
        del added[:2]  # a reStructuredText entry's title and its underline
    text = "\n".join(added).strip()
    if not text and entry.new:  # an Unreleased section renamed: its notes are the release's
        text = section_body(entry.new, version)
    return text or f"Release {version}."
