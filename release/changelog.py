"""Changelog: towncrier fragments rendered for the new version, or entries from the commits.

Everything here renders text; nothing is written. The writer in the push phase
writes exactly the text the plan holds.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from release.commits import Analysis
from release.config.settings import ChangelogSettings
from release.errors import ConfigError, Problem, UsageError
from release.notes import Forge, render_entry, render_notes
from release.paths import inside, no_links_under
from release.warmup import settle


@dataclass(frozen=True)
class Fragment:
    """One towncrier news fragment waiting for a release."""

    path: Path
    type: str


@dataclass(frozen=True)
class Fragments:
    """The project's towncrier setup and the fragments found with it."""

    config: Any  # towncrier's Config
    base: Path
    found: tuple[Fragment, ...]
    contents: Any
    changelog: Path
    start_string: str


def load_fragments(root: Path, settings: ChangelogSettings) -> Fragments:
    """Find fragments with the project's own towncrier config, or one built from ours."""
    settle("towncrier")
    from towncrier._builder import find_fragments
    from towncrier._settings.load import ConfigError as TowncrierConfigError
    from towncrier._settings.load import load_config, parse_toml

    try:
        config = load_config(str(root)) if has_towncrier_config(root) else None
        if config is None:
            config = parse_toml(
                str(root),
                {
                    "tool": {
                        "towncrier": {"directory": settings.fragments, "filename": settings.file}
                    }
                },
            )
        if config.directory:
            # Before towncrier reads them: a linked fragment would publish its target.
            no_links_under(root, root / config.directory, "[changelog].fragments")
        contents, files = find_fragments(str(root), config, strict=False)
        for path, _ in files:
            inside(root, Path(path).relative_to(root).as_posix(), "[changelog].fragments")
    except (TowncrierConfigError, ValueError) as exc:
        raise ConfigError(
            Problem(
                f"towncrier cannot use this project's settings: {exc}",
                str(root),
                "fix [tool.towncrier] in pyproject.toml or towncrier.toml",
            )
        ) from exc
    found = tuple(Fragment(Path(path), category) for path, category in sorted(files))
    return Fragments(config, root, found, contents, root / config.filename, config.start_string)


def left_alone_in_fragments(root: Path) -> set[str]:
    """File-name patterns (lower case) towncrier leaves alone in its fragments folder: its
    defaults, the project's template when it is a file (attrs keeps its template in
    changelog.d/), and the project's `ignore` setting."""
    patterns = {".gitignore", ".gitkeep", ".keep", "readme", "readme.md", "readme.rst"}
    patterns |= {"template.md", "template.rst", "template.jinja"}
    if not has_towncrier_config(root):
        return patterns
    settle("towncrier")
    from towncrier._settings.load import ConfigError as TowncrierConfigError
    from towncrier._settings.load import load_config

    try:
        config = load_config(str(root))
    except (TowncrierConfigError, ValueError):
        return patterns  # the plan reports a broken towncrier setup
    if config is not None:
        if isinstance(config.template, str):
            patterns.add(os.path.basename(config.template).lower())
        patterns |= {name.lower() for name in config.ignore or ()}
    return patterns


def uses_fragments(root: Path, settings: ChangelogSettings) -> bool:
    """Whether the project keeps news fragments: a fragments folder, or its own towncrier."""
    return (root / settings.fragments).exists() or has_towncrier_config(root)


def has_towncrier_config(root: Path) -> bool:
    """Whether the project configures towncrier itself (towncrier.toml or [tool.towncrier])."""
    if (root / "towncrier.toml").exists():
        return True
    pyproject = root / "pyproject.toml"
    return pyproject.exists() and "[tool.towncrier" in pyproject.read_text(encoding="utf-8")


def render_fragments(fragments: Fragments, version: str, date: str, name: str) -> str:
    """The release notes towncrier would write for `version` (its draft output, exactly)."""
    settle("towncrier")
    from towncrier._builder import render_fragments as towncrier_render
    from towncrier._builder import split_fragments

    config = fragments.config
    if isinstance(config.template, tuple):
        template = (
            resources.files(config.template[0]).joinpath(config.template[1]).read_text("utf-8")
        )
        extension = os.path.splitext(config.template[1])[1]
    else:
        template = Path(config.template).read_text(encoding="utf-8")
        extension = os.path.splitext(config.template)[1]
    is_markdown = extension.lower() == ".md"
    split = split_fragments(fragments.contents, config.types, all_bullets=config.all_bullets)
    project_name = config.name or name
    render_title = config.title_format == ""
    level = 1
    if is_markdown:
        if config.title_format:
            m = re.search(r"^#+(?=\s)", config.title_format, re.MULTILINE)
            level = len(m[0]) if m else 0
        else:
            level = 1 if render_title else 0
    rendered: str = towncrier_render(
        template,
        config.issue_format,
        split,
        config.types,
        config.underlines[1:],
        config.wrap,
        {"name": project_name, "version": version, "date": date},
        top_underline=config.underlines[0],
        all_bullets=config.all_bullets,
        render_title=render_title,
        md_header_level=level,
    )
    if config.title_format:
        top = config.title_format.format(name=project_name, version=version, project_date=date)
        parts = [top] if is_markdown else [top, config.underlines[0] * len(top)]
        return "\n".join([*parts, rendered])
    return rendered


@dataclass(frozen=True)
class Entry:
    """The release's changelog entry, its notes, and where it goes."""

    text: str
    notes: str  # from commits: the entry without its title (e.g. a forge release's body)
    changelog: str
    start: str
    markdown: bool
    why: str
    consumed: tuple[str, ...] = ()


_START = "<!-- towncrier release notes start -->"
_RST_START = ".. towncrier release notes start"


def compose_entry(
    settings: ChangelogSettings,
    root: Path,
    name: str,
    version: str,
    date: str,
    analysis: Analysis,
    fragments: Fragments | None,
    *,
    forge: Forge | None,
    existing: str | None,
    allow_empty: bool,
) -> Entry | None:
    """The entry from fragments when there are any, else from the commits, in the
    changelog's format (by its suffix); a UsageError when it would say nothing,
    unless that is allowed (then None: no entry)."""
    if fragments and fragments.found:
        path = str(fragments.changelog.relative_to(root))
        text = render_fragments(fragments, version, date, name)
        return Entry(
            text,
            text,
            path,
            fragments.start_string,
            not path.endswith(".rst"),
            f"changelog from {len(fragments.found)} fragments (towncrier)",
            tuple(str(f.path.relative_to(root)) for f in fragments.found),
        )
    path = settings.file
    markdown = not path.lower().endswith((".rst", ".rest"))
    title, section = ("=", "-") if markdown else rst_styles(existing)
    body = render_notes(analysis.changes, forge, markdown=markdown, section=section)
    if not body and not allow_empty:
        raise UsageError(
            Problem(
                f"the release {version} has no notes: no news fragment and no commit that is "
                f"a feature, fix or breaking change ({analysis.commits_read} commits read)",
                f"{settings.file} / {settings.fragments}/",
                f"add a news fragment to {settings.fragments}/ saying what changed, "
                "or pass --allow-empty-notes to release with an empty entry",
            )
        )
    if not body:
        return None  # allowed: like towncrier with nothing to say, no entry at all
    text = render_entry(version, date, body, markdown=markdown, title=title, section=section)
    start = _START if markdown else _RST_START
    return Entry(text, body, path, start, markdown, "changelog from commits")


def insert_entry(existing: str | None, entry: str, start_string: str, *, markdown: bool) -> str:
    """The changelog with `entry` added where a maintainer would add it.

    After towncrier's start marker when there is one. Otherwise after the
    document's title and the labels and introduction under it: just before the
    newest release's heading (and the labels that belong to it), or at the end
    of a changelog that has none yet.
    """
    # The space a template leaves after its entry (attrs': two blank lines) stays, as
    # towncrier keeps it; an entry that leaves none gets one blank line.
    spaced = entry if entry.endswith("\n\n") else entry.rstrip() + "\n\n"
    entry = entry.rstrip() + "\n"
    if not existing or not existing.strip():
        return entry
    marker = start_string.rstrip("\n")
    if marker and marker in existing:
        head, body = existing.split(marker, 1)
        body = body.lstrip()
        return f"{head.rstrip()}\n\n{marker}\n\n" + (f"{spaced}{body}" if body else entry)
    lines = existing.splitlines(keepends=True)
    heads = _md_headings(lines) if markdown else [h.start for h in _rst_headings(lines)]
    if not heads:
        return f"{entry}\n{existing.lstrip()}"
    titled = not markdown or lines[heads[0]].startswith("# ")
    if titled and len(heads) == 1:
        return f"{existing.rstrip()}\n\n{entry}"
    at = heads[1] if titled else heads[0]
    if not markdown:
        # Labels (`.. _v1.2.0:`) and comments just above a section belong to it.
        while at > 0 and (not lines[at - 1].strip() or lines[at - 1].startswith(".. ")):
            at -= 1
        while at < len(lines) and not lines[at].strip():
            at += 1
    before = "".join(lines[:at]).rstrip()
    after = "".join(lines[at:])
    return (f"{before}\n\n" if before else "") + f"{entry}\n{after}"


def _md_headings(lines: list[str]) -> list[int]:
    out, fenced = [], False
    for i, line in enumerate(lines):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(r"#{1,6}\s", line):
            out.append(i)
    return out


@dataclass(frozen=True)
class _RstHeading:
    start: int  # the overline's line when there is one
    char: str
    overline: bool


_ADORNMENT = re.compile(r"""^([=\-~^"'`#*+:._])\1*\s*$""")


def _rst_headings(lines: list[str]) -> list[_RstHeading]:
    out: list[_RstHeading] = []
    i = 0
    while i + 1 < len(lines):
        text, under = lines[i].rstrip(), lines[i + 1].rstrip()
        adorned = _ADORNMENT.match(under)
        if (
            text.strip()
            and not _ADORNMENT.match(text)
            and adorned
            and len(under) >= len(text.strip())
        ):
            over = i > 0 and lines[i - 1].rstrip() == under
            out.append(_RstHeading(i - 1 if over else i, under[0], over))
            i += 2
            continue
        i += 1
    return out


def rst_styles(existing: str | None) -> tuple[str, str]:
    """Underline characters for a release's title and its sections, as the file uses them."""
    headings = _rst_headings((existing or "").splitlines(keepends=True))
    styles = [(h.char, h.overline) for h in headings]
    release = styles[1] if len(styles) > 1 else None
    if release is None or release[1]:
        used = {s[0] for s in styles if not s[1]}
        title = next(c for c in "=-~^\"'+" if c not in used)
    else:
        title = release[0]
    later = [s for s in styles[2:] if not s[1] and s[0] != title]
    section = (
        later[0][0]
        if later
        else next(c for c in "-~^\"'+" if c != title and (c, False) not in styles[:1])
    )
    return title, section


def has_entry(text: str | None, version: str) -> bool:
    """Whether a hand-written changelog has a heading for `version`.

    A line that starts with the version, after an optional Markdown `#`, a `[`, a `v`
    or one word (`Version 1.2.3`, `towncrier 24.8.0 (2024-08-23)`).
    """
    if not text:
        return False
    spelled = re.escape(version)
    heading = rf"^(?:#+\s*)?(?:[\w.\-]+\s+)?\[?v?{spelled}(?![\w\-]|\.\d)"
    return re.search(heading, text, re.MULTILINE | re.IGNORECASE) is not None
