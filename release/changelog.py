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

from release.commits import Change
from release.config import ChangelogSettings
from release.errors import ConfigError, Problem
from release.paths import inside, no_links_under


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


def has_towncrier_config(root: Path) -> bool:
    """Whether the project configures towncrier itself (towncrier.toml or [tool.towncrier])."""
    if (root / "towncrier.toml").exists():
        return True
    pyproject = root / "pyproject.toml"
    return pyproject.exists() and "[tool.towncrier" in pyproject.read_text(encoding="utf-8")


def render_fragments(fragments: Fragments, version: str, date: str, name: str) -> str:
    """The release notes towncrier would write for `version` (its draft output, exactly)."""
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


_SECTIONS = (
    ("breaking", "Breaking changes"),
    ("feat", "Features"),
    ("fix", "Bug fixes"),
    ("perf", "Performance"),
    ("revert", "Reverts"),
)


def render_commits(changes: list[Change], version: str, date: str, markdown: bool) -> str:
    """Release notes from conventional commits, grouped by type (newest first within a group)."""
    groups: dict[str, list[str]] = {key: [] for key, _ in _SECTIONS}
    for change in changes:
        scope = (
            f"**{change.scope}:** "
            if change.scope and markdown
            else (f"{change.scope}: " if change.scope else "")
        )
        line = f"- {scope}{change.subject} ({change.short})"
        if change.breaking:
            groups["breaking"].extend(f"- {text} ({change.short})" for text in change.breaking)
        if change.type in groups:
            groups[change.type].append(line)
    title = f"{version} ({date})"
    out = [f"## {title}" if markdown else f"{title}\n{'=' * len(title)}", ""]
    for key, heading in _SECTIONS:
        if groups[key]:
            out += [f"### {heading}" if markdown else f"{heading}\n{'-' * len(heading)}", ""]
            out += [*groups[key], ""]
    return "\n".join(out)


def insert_entry(existing: str | None, entry: str, start_string: str) -> str:
    """The changelog with `entry` added where towncrier would add it.

    After the start marker when there is one; otherwise after a leading title
    line (`# Changelog`) or at the top.
    """
    entry = entry.rstrip() + "\n"
    if not existing:
        return entry
    marker = start_string.rstrip("\n")
    if marker and marker in existing:
        head, body = existing.split(marker, 1)
        body = body.lstrip()
        return f"{head.rstrip()}\n\n{marker}\n\n{entry}" + (f"\n{body}" if body else "")
    title = re.match(r"\A(#[^#\n][^\n]*\n|[^\n]+\n=+\n)\s*", existing)
    if title:
        rest = existing[title.end() :]
        return f"{title.group(1)}\n{entry}" + (f"\n{rest}" if rest else "")
    return f"{entry}\n{existing.lstrip()}"


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
