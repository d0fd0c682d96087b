"""Commit analysis: conventional commits, parsed by python-semantic-release, to a bump."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from release.ops.git import LogEntry
from release.version import Bump

_REVERT = re.compile(r"^This reverts commit (?P<sha>[0-9a-f]{7,40})", re.MULTILINE)
_GIT_REVERT_SUBJECT = re.compile(r'^Revert "(?P<subject>.+)"\s*$')


@dataclass(frozen=True, slots=True)
class Change:
    """One releasable or ignorable change found in the history."""

    sha: str
    type: str
    scope: str
    subject: str
    bump: Bump
    breaking: tuple[str, ...] = ()
    reverts: str = ""  # for a git revert: the commit it undoes

    @property
    def short(self) -> str:
        return self.sha[:7]

    def describe(self) -> str:
        scope = f"({self.scope})" if self.scope else ""
        bang = "!" if self.breaking and self.bump is Bump.MAJOR else ""
        return f"{self.short} {self.type}{scope}{bang}: {self.subject}"


@dataclass
class Analysis:
    """What the commits since the last release say."""

    changes: list[Change] = field(default_factory=list)
    commits_read: int = 0
    skipped_merges: int = 0
    unparsed: int = 0
    cancelled: list[str] = field(default_factory=list)  # shas reverted within the range
    stopped_early: bool = False

    @property
    def bump(self) -> Bump:
        return max((c.bump for c in self.changes), default=Bump.NONE)

    def deciders(self) -> list[Change]:
        level = self.bump
        return [c for c in self.changes if c.bump is level and level is not Bump.NONE]


@cache
def _parser() -> Any:
    # Imported only for the messages the fast path cannot decide: the parser's package
    # pulls in gitpython, and its import costs more than a whole small plan.
    from semantic_release.commit_parser.conventional.parser import ConventionalCommitParser

    return ConventionalCommitParser()


# The default ConventionalCommitParser's own subject pattern, types and levels (10.x),
# so that most messages are decided without importing it; tests/test_commits_fast.py
# checks these against the installed parser.
_TAG_LEVELS = {"feat": 3, "fix": 2, "perf": 2}
_ALLOWED_TAGS = ("feat", "fix", "perf", "build", "chore", "ci", "docs", "style", "refactor", "test")
_SUBJECT = re.compile(
    rf"^(?P<type>{'|'.join(_ALLOWED_TAGS)})(?:\((?P<scope>[^\n]+)\))?(?P<break>!)?:\s+"
    r"(?P<subject>[^\n]+)"
)
_MR_SELECTOR = re.compile(r"[\t ]+\((?:pull request )?(?P<mr_number>[#!]\d+)\)[\t ]*$")
# Its paragraph analysis, for the breaking descriptions (semantic_release.commit_parser.util).
_BREAKING = re.compile(r"BREAKING[ -]CHANGE:\s?(.*)")
_NOTICE = re.compile(r"^NOTICE: (?P<notice>.+)$")
_ISSUE = re.compile(
    r"^(?:clos(?:e|es|ed|ing)|fix(?:es|ed|ing)?|resolv(?:e|es|ed|ing)|implement(?:s|ed|ing)?):"
    r"[\t ]+(?P<issue_predicate>.+)[\t ]*$",
    re.MULTILINE | re.IGNORECASE,
)
_TRIM_ENDINGS = re.compile(r"[\r\t\f\v ]*\r?\n")
_HYPHEN_WRAP = re.compile(r"((?<=\w)-\n(?=\w))")
_FOOTERS = re.compile(r"^ {0,2}([\w-]*: .+)$\n?((?!\n) *[^:\n]+:)", re.MULTILINE)
_WORD_WRAP = re.compile(r"((?<!-)\n(?![\s*-]))")

_LEVELS = {0: Bump.NONE, 1: Bump.NONE, 2: Bump.PATCH, 3: Bump.MINOR, 4: Bump.MAJOR}
# The parser's own header line (`commit <sha>` alone on its line; "commit bodies" is prose).
_SQUASH_HEADERS = re.compile(
    r"^[\t ]*(?:commit [0-9a-f]+\r?$|Squashed commit of the following)", re.M
)


@cache
def _squash_hint() -> re.Pattern[str]:
    """A later line that opens another conventional commit (a squash), as the parser sees it."""
    types = "|".join(re.escape(t) for t in _ALLOWED_TAGS)
    return re.compile(rf"^(?:[\t ]*[*-][\t ]+|[\t ]+)?(?:{types})\b(?:\([^\n]*\))?!?:\s", re.M)


def _split_squashed(message: str) -> list[str]:
    """The commits a message holds. Only a message whose later lines open another
    conventional commit goes through the parser's (costly) squash splitting; for the
    others it would return the message itself."""
    rest = message.partition("\n")[2]
    if rest and (_SQUASH_HEADERS.search(rest) or _squash_hint().search(rest)):
        return list(_parser().unsquash_commit_message(message)) or [message]
    return [message]


def parse_message(sha: str, message: str) -> list[Change]:
    """The conventional changes in one commit message (a squash commit may hold several)."""
    changes = []
    for text in _split_squashed(message):
        quick = _quick(sha, text)
        if quick is not None:
            changes.extend(quick)
            continue
        parsed = _parser().parse_message(text)
        if parsed is None:
            continue
        subject = parsed.descriptions[0] if parsed.descriptions else ""
        changes.append(
            Change(
                sha=sha,
                type=parsed.type,
                scope=parsed.scope,
                subject=subject,
                bump=_LEVELS[int(parsed.bump)],
                breaking=tuple(parsed.breaking_descriptions),
            )
        )
    return changes


def _quick(sha: str, text: str) -> list[Change] | None:
    """The parser's answer from its own patterns and type-to-level table; None: a subject
    the parser may file as a notice or an issue link, so parse the message fully.

    Nearly all of a long history is decided here, without importing the parser; a
    breaking message goes through the same paragraph analysis as in the parser.
    """
    head = _SUBJECT.match(text)
    if head is None:
        return []  # the parser's whole-message pattern starts with this one: no match either
    subject = head.group("subject")
    if _MR_SELECTOR.search(subject):  # as in the parser: stripped only when a PR is named
        subject = _MR_SELECTOR.sub("", subject).strip()
    if ":" in subject and (_ISSUE.search(subject) or _NOTICE.match(subject)):
        return None
    breaking: tuple[str, ...] = ()
    if "BREAKING" in text:
        if _BREAKING.match(subject):
            return None  # the parser would file the subject itself as a breaking description
        body = text[head.end() :]
        # The parser's body is what follows a blank line right after the subject.
        paragraphs = _paragraphs(body[2:]) if body.startswith("\n\n") else []
        found = (m.group(1) for p in paragraphs if (m := _BREAKING.match(p)))
        breaking = tuple(d for d in found if d)
    if breaking or head.group("break"):
        level = Bump.MAJOR
    else:
        level = _LEVELS[_TAG_LEVELS.get(head.group("type"), 0)]
    return [Change(sha, head.group("type"), head.group("scope") or "", subject, level, breaking)]


def _paragraphs(text: str) -> list[str]:
    """semantic_release.commit_parser.util.parse_paragraphs, step for step."""
    text = _HYPHEN_WRAP.sub("-", _TRIM_ENDINGS.sub("\n", text))
    previous = ""
    while previous != text:
        previous, text = text, _FOOTERS.sub(r"\1\n\n\2", text)
    return [
        p for p in (_WORD_WRAP.sub(" ", par).strip() for par in text.strip().split("\n\n")) if p
    ]


# Parsed commits by id: (type, scope, subject, bump, breaking descriptions) per change.
ParseCache = dict[str, tuple[tuple[str, str, str, int, tuple[str, ...]], ...]]


def parser_version() -> str:
    """Cached parses are valid for one version of the parser and of this cache's format."""
    from importlib.metadata import version

    return f"1:{version('python-semantic-release')}"


def _parsed(entry: LogEntry, cache: ParseCache | None) -> list[Change]:
    if cache is not None:
        hit = cache.get(entry.sha)
        if hit is not None:
            return [Change(entry.sha, t, sc, su, Bump(b), br) for t, sc, su, b, br in hit]
    changes = parse_message(entry.sha, entry.message)
    if cache is not None:
        cache[entry.sha] = tuple(
            (c.type, c.scope, c.subject, int(c.bump), c.breaking) for c in changes
        )
    return changes


def analyse(
    entries: Iterable[LogEntry],
    *,
    stop_at_major: bool = False,
    cache: ParseCache | None = None,
) -> Analysis:
    """Decide the bump from commits (newest first), the way python-semantic-release does.

    Merge commits are skipped (their branches' commits are read one by one). A
    `git revert` of a commit inside the range cancels both; a revert of an
    already released commit is a patch-level change. With `stop_at_major`, reading
    ends at the first breaking change, for callers that need only the version.
    `cache` (filled as it goes) spares parsing commits seen before.
    """
    result = Analysis()
    reverted: set[str] = set()
    for entry in entries:
        result.commits_read += 1
        if entry.parents > 1:
            result.skipped_merges += 1
            continue
        if _matches_any(entry.sha, reverted):
            result.cancelled.append(entry.sha)
            continue
        revert = _REVERT.search(entry.message)
        if revert:
            # Newest first: the reverted commit, if in range, is still to come.
            reverted.add(revert.group("sha"))
            subject = _GIT_REVERT_SUBJECT.match(entry.message.split("\n", 1)[0])
            result.changes.append(
                Change(
                    entry.sha,
                    "revert",
                    "",
                    subject.group("subject") if subject else entry.message.split("\n", 1)[0],
                    Bump.PATCH,
                    reverts=revert.group("sha"),
                )
            )
            continue
        changes = _parsed(entry, cache)
        if not changes:
            result.unparsed += 1
        result.changes.extend(changes)
        if stop_at_major and any(c.bump is Bump.MAJOR for c in changes):
            result.stopped_early = True
            break
    _drop_cancelled_reverts(result)
    return result


def _matches_any(sha: str, prefixes: set[str]) -> bool:
    return any(sha.startswith(p) for p in prefixes)


def _drop_cancelled_reverts(result: Analysis) -> None:
    """A revert whose target was also in the range undoes nothing released: drop it too."""
    if not result.cancelled:
        return
    result.changes = [
        c
        for c in result.changes
        if not (c.reverts and any(sha.startswith(c.reverts) for sha in result.cancelled))
    ]
