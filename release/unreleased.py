"""A hand-written changelog's "Unreleased" section, released: its heading becomes the version's.

Many maintainers write the next release's notes as they go, under `## Unreleased` (Keep a
Changelog), `## Dev` (httpx), `Next` or `Upcoming`, and rename that heading when they
release. A release does the renaming for them, in the style of the file's newest release
heading: `## 0.28.0 (28th November, 2024)` makes `## 0.28.1 (6th December, 2024)`, as httpx
wrote it by hand. A Keep a Changelog file (`## [Unreleased]`) also gets a fresh empty
`[Unreleased]` section and, when it keeps compare links, the new version's link.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, partial

_NAMES = (
    "unreleased",
    "dev",
    "development",
    "in development",
    "next",
    "next release",
    "upcoming",
    "upcoming release",
    "in progress",
    "not released yet",
    "not yet released",
    "pending",
    "head",
)
_MD_HEADING = re.compile(r"^(#{2,6})[ \t]+(.*)$")
_RST_ADORNMENT = re.compile(r"""^([=\-~^"'`#*+:._])\1+\s*$""")
_VERSION = re.compile(r"(?<![\w.])v?\d+(?:\.\d+)+(?:[\w.+\-]*\w)?")


@dataclass(frozen=True)
class Section:
    """The Unreleased section: its heading's lines, where its body ends, and its heading."""

    start: int  # the heading's first line (an RST overline, when there is one)
    body: int  # the first line after the heading
    end: int  # the next heading at its level or above, or the end of the file
    title: str  # the heading's text
    markdown: bool
    prefix: str  # Markdown: the heading's `##`; RST: its underline character
    overline: bool

    @property
    def keep_a_changelog(self) -> bool:
        return self.title.strip().lower() == "[unreleased]"


def find(text: str | None, markdown: bool) -> Section | None:
    """The Unreleased section at the top of a changelog, when it holds notes."""
    if not text:
        return None
    lines = text.splitlines()
    headings = _md(lines) if markdown else _rst(lines)
    for index, (start, body, title, prefix, overline) in enumerate(headings):
        if _VERSION.search(title):
            return None  # a release's heading comes first: nothing waits above it
        if not _is_unreleased(title):
            continue
        later = [h for h in headings[index + 1 :] if _ends(h, headings[index], markdown)]
        end = later[0][0] if later else len(lines)
        section = Section(start, body, end, title, markdown, prefix, overline)
        return section if _holds_notes(lines[body:end], markdown) else None
    return None


def release(
    text: str,
    section: Section,
    version: str,
    today: dt.date,
    *,
    tag: str,
    previous_tag: str | None,
) -> str:
    """`text` with the Unreleased section's heading made the release's."""
    lines = text.splitlines()
    title = _title(lines, section, version, today)
    if section.markdown:
        heading = [f"{section.prefix} {title}"]
    else:
        rule = section.prefix * max(len(title), 3)
        heading = [rule, title, rule] if section.overline else [title, rule]
    fresh: list[str] = []
    if section.keep_a_changelog:
        fresh = [f"{section.prefix} [Unreleased]", ""] if section.markdown else []
    out = [*lines[: section.start], *fresh, *heading, *lines[section.body :]]
    if section.keep_a_changelog:
        out = _links(out, version, tag, previous_tag)
    return _joined(out, text)


def date_entry(text: str, version: str, today: dt.date, markdown: bool) -> str | None:
    """`text` with the version's entry dated, when its first line says it is not released
    yet (Pallets' CHANGES.rst: `Version 3.1.0` over `Unreleased`, released as `Released
    2024-11-13`), in the style of the release below it; None when there is nothing to date."""
    lines = text.splitlines()
    headings = _md(lines) if markdown else _rst(lines)
    named = [i for i, h in enumerate(headings) if _names(h[2], version)]
    if not named:
        return None
    heading = headings[named[0]]
    later = [h for h in headings[named[0] + 1 :] if _ends(h, heading, markdown)]
    end = later[0][0] if later else len(lines)
    first = next((i for i in range(heading[1], end) if lines[i].strip()), None)
    if first is None or not _is_unreleased(lines[first]):
        return None
    dated = f"Released {today.isoformat()}"
    below = next((h for h in later if _VERSION.search(h[2])), None)
    if below is not None:
        stop = next((h[0] for h in headings if h[0] > below[0]), len(lines))
        template = next((lines[i] for i in range(below[1], stop) if lines[i].strip()), "")
        for pattern, render in _dates():
            if (date := pattern.search(template)) and (new := render(date, today)) is not None:
                dated = template[: date.start()] + new + template[date.end() :]
                break
    indent = lines[first][: len(lines[first]) - len(lines[first].lstrip())]
    out = [*lines[:first], indent + dated.strip(), *lines[first + 1 :]]
    return _joined(out, text)


def _joined(lines: list[str], text: str) -> str:
    """`lines` as a file again, with the line endings `text` had (CRLF stays CRLF)."""
    newline = "\r\n" if "\r\n" in text else "\n"
    return newline.join(lines) + (newline if text.endswith("\n") else "")


def _names(title: str, version: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(version)}(?![\w\-]|\.\d)", title) is not None


def section_body(text: str, version: str) -> str:
    """The notes under `version`'s heading (Markdown or reStructuredText), to its section's
    end; empty when no heading names it."""
    lines = text.splitlines()
    for markdown in (True, False):
        headings = _md(lines) if markdown else _rst(lines)
        for index, heading in enumerate(headings):
            if version in heading[2]:
                later = [h for h in headings[index + 1 :] if _ends(h, heading, markdown)]
                end = later[0][0] if later else len(lines)
                return "\n".join(lines[heading[1] : end]).strip()
    return ""


def _is_unreleased(title: str) -> bool:
    # What comes before a remark in parentheses ("Unreleased (2.0)"), cut without a pattern:
    # a line of unclosed "(" made one cost its square.
    name = title.partition("(")[0].strip(" \t[]:*_`").lower()
    return name in _NAMES or name.startswith("unreleased")


def _md(lines: list[str]) -> list[tuple[int, int, str, str, bool]]:
    out, fenced = [], False
    for i, line in enumerate(lines):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (found := _MD_HEADING.match(line)):
            out.append((i, i + 1, _md_title(found[2]), found[1], False))
    return out


def _md_title(text: str) -> str:
    """An ATX heading's title: without the closing run of # that follows a space (`## C#`
    keeps its #). In code, not in the pattern: a lazy title before an optional closing run
    made a long line cost its square."""
    title = text.rstrip(" \t")
    bare = title.rstrip("#")
    if bare != title and (not bare or bare[-1] in " \t"):
        return bare.rstrip(" \t")
    return title


def _rst(lines: list[str]) -> list[tuple[int, int, str, str, bool]]:
    out = []
    i = 0
    while i + 1 < len(lines):
        text, under = lines[i].rstrip(), lines[i + 1].rstrip()
        if text.strip() and not _RST_ADORNMENT.match(text) and _RST_ADORNMENT.match(under):
            over = i > 0 and lines[i - 1].rstrip() == under
            out.append((i - 1 if over else i, i + 2, text.strip(), under[0], over))
            i += 2
            continue
        i += 1
    return out


def _ends(
    heading: tuple[int, int, str, str, bool], section: tuple[int, int, str, str, bool], md: bool
) -> bool:
    """Whether `heading` ends `section`: Markdown, one with as many # or fewer;
    reStructuredText (no fixed order of adornments), one adorned the same way."""
    if md:
        return len(heading[3]) <= len(section[3])
    return heading[3:] == section[3:]


def _holds_notes(body: list[str], markdown: bool) -> bool:
    """Something to release: a line that is not blank, not a sub-heading, not a rule."""
    headings = {h[0] for h in (_md(body) if markdown else _rst(body))}
    return any(
        line.strip() and i not in headings and not _RST_ADORNMENT.match(line.strip())
        for i, line in enumerate(body)
    )


def _title(lines: list[str], section: Section, version: str, today: dt.date) -> str:
    """The release's heading text, in the style of the newest release's heading."""
    headings = _md(lines) if section.markdown else _rst(lines)
    template = next((h[2] for h in headings if h[0] >= section.end and _VERSION.search(h[2])), None)
    if template is None:
        return (
            f"[{version}] - {today.isoformat()}"
            if section.keep_a_changelog
            else (f"{version} ({today.isoformat()})")
        )
    found = _VERSION.search(template)
    assert found is not None
    spelled = f"v{version}" if found[0].startswith("v") and not version.startswith("v") else version
    title = template[: found.start()] + spelled + template[found.end() :]
    for pattern, render in _dates():
        if (date := pattern.search(title)) and (new := render(date, today)) is not None:
            return title[: date.start()] + new + title[date.end() :]
    return title


def _ordinal(day: int) -> str:
    return "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _month(name: str, today: dt.date) -> str | None:
    """Today's month, spelled as `name` spells a month (full or abbreviated)."""
    import calendar  # only a heading being renamed needs it

    if name in calendar.month_name[1:]:
        return calendar.month_name[today.month]
    if name.rstrip(".") in calendar.month_abbr[1:]:
        return calendar.month_abbr[today.month] + ("." if name.endswith(".") else "")
    return None


def _spelled(found: re.Match[str], today: dt.date, *, month_first: bool) -> str | None:
    """Today, spelled as the matched date is: month named in full or short, day with or
    without its ordinal suffix, comma or none, month first or day first."""
    month = _month(found["month"], today)
    if month is None:
        return None
    day = f"{today.day}{_ordinal(today.day) if found['suffix'] else ''}"
    comma = found["comma"] or ""
    if month_first:
        return f"{month} {day}{comma} {today.year}"
    return f"{day} {month}{comma} {today.year}"


@cache
def _dates() -> tuple[tuple[re.Pattern[str], Callable[[re.Match[str], dt.date], str | None]], ...]:
    """The date spellings a release heading may use, and how to write today in each
    (compiled on first use: most pushes never rename a heading)."""
    return (
        (re.compile(r"\d{4}-\d{2}-\d{2}"), lambda m, d: d.isoformat()),
        (re.compile(r"\d{4}/\d{2}/\d{2}"), lambda m, d: d.strftime("%Y/%m/%d")),
        (re.compile(r"\d{2}\.\d{2}\.\d{4}"), lambda m, d: d.strftime("%d.%m.%Y")),
        (
            re.compile(
                r"\d{1,2}(?P<suffix>st|nd|rd|th)? (?P<month>[A-Z][a-z]+\.?)(?P<comma>,)? \d{4}"
            ),
            partial(_spelled, month_first=False),
        ),
        (
            re.compile(
                r"(?P<month>[A-Z][a-z]+\.?) \d{1,2}(?P<suffix>st|nd|rd|th)?(?P<comma>,)? \d{4}"
            ),
            partial(_spelled, month_first=True),
        ),
    )


def _links(lines: list[str], version: str, tag: str, previous_tag: str | None) -> list[str]:
    """Keep a Changelog's compare links: [Unreleased] now starts at the new tag, and the
    new version compares the previous tag with it."""
    pattern = re.compile(r"^\[unreleased\]:\s*(?P<url>\S+)$", re.IGNORECASE)
    for i, line in enumerate(lines):
        found = pattern.match(line)
        if not found or previous_tag is None:
            continue
        url = found["url"]
        compare = f"{previous_tag}...HEAD"
        if not url.endswith(compare):
            return lines
        base = url[: -len(compare)]
        label = line[: line.index("]") + 1]
        return [
            *lines[:i],
            f"{label}: {base}{tag}...HEAD",
            f"[{version}]: {base}{previous_tag}...{tag}",
            *lines[i + 1 :],
        ]
    return lines
