"""Commit analysis: conventional commits (python-semantic-release's grammar) to changes, a bump."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from release.ops.git import LogEntry
from release.version import Bump

_REVERT = re.compile(r"^This reverts commit (?P<sha>[0-9a-f]{7,40})", re.MULTILINE)
_GIT_REVERT_SUBJECT = re.compile(r'^Revert "(?P<subject>.+)"\s*$')
# release-please's footer: the next release is exactly this version.
_RELEASE_AS = re.compile(r"^Release-As:[\t ]*v?(?P<version>\S+)[\t ]*$", re.M | re.I)
# Issues a commit closes, in GitHub/GitLab footer or trailer form ("Closes #12", "Fixes: #3").
_CLOSES = re.compile(
    r"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?|refs?)\b:?[\t ]+(?P<ref>[#!]\d+)", re.I
)

DEFAULT_LEVELS: Mapping[str, Bump] = {"feat": Bump.MINOR, "fix": Bump.PATCH, "perf": Bump.PATCH}
SQUASH_MODES = ("release-please", "every-line", "off")


@dataclass(frozen=True, slots=True)
class Rules:
    """How this project reads its commits: squash splitting and type/scope to bump level."""

    squash: str = "release-please"
    levels: Mapping[str, Bump] = field(default_factory=lambda: dict(DEFAULT_LEVELS))
    scope_levels: Mapping[str, Bump] = field(default_factory=dict)

    @classmethod
    def from_labels(
        cls, squash: str, bump: Mapping[str, str], scope_bump: Mapping[str, str]
    ) -> Rules:
        levels = {**DEFAULT_LEVELS, **{t: Bump.from_label(v) for t, v in bump.items()}}
        scopes = {s: Bump.from_label(v) for s, v in scope_bump.items()}
        return cls(squash, levels, scopes)

    def level(self, type_: str, scope: str, breaking: bool) -> Bump:
        if breaking:
            return Bump.MAJOR
        level = self.levels.get(type_, Bump.NONE)
        for part in re.split(r"[,/ ]+", scope) if scope and self.scope_levels else ():
            level = max(level, self.scope_levels.get(part, Bump.NONE))
        return level

    def extra_types(self) -> frozenset[str]:
        return frozenset(self.levels)


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
    pr: str = ""  # the pull/merge request its subject names: "#12" or GitLab's "!12"
    issues: tuple[str, ...] = ()  # the issues its footers close: "#4"
    release_as: str = ""  # a Release-As: footer's version

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
    footers_read: bool = False  # after an early stop, the rest was read for Release-As
    release_as: Change | None = None  # the newest commit with a Release-As: footer

    @property
    def bump(self) -> Bump:
        return max((c.bump for c in self.changes), default=Bump.NONE)

    def deciders(self) -> list[Change]:
        level = self.bump
        return [c for c in self.changes if c.bump is level and level is not Bump.NONE]


@cache
def _parser(extra_types: frozenset[str] = frozenset()) -> Any:
    # Imported only for the messages the fast path cannot decide: the parser's package
    # pulls in gitpython, and its import costs more than a whole small plan.
    from semantic_release.commit_parser.conventional.options import (
        ConventionalCommitParserOptions,
    )
    from semantic_release.commit_parser.conventional.parser import ConventionalCommitParser

    others = tuple(sorted(extra_types - set(_ALLOWED_TAGS)))
    if not others:
        return ConventionalCommitParser()
    defaults = ConventionalCommitParserOptions()
    options = ConventionalCommitParserOptions(
        other_allowed_tags=(*defaults.other_allowed_tags, *others),
        allowed_tags=(*defaults.allowed_tags, *others),
    )
    return ConventionalCommitParser(options)


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
def _subject(types: frozenset[str]) -> re.Pattern[str]:
    """The parser's subject pattern, with the project's own types where it has any."""
    others = sorted(types - set(_ALLOWED_TAGS))
    if not others:
        return _SUBJECT
    names = "|".join((*_ALLOWED_TAGS, *(re.escape(t) for t in others)))
    return re.compile(_SUBJECT.pattern.replace("|".join(_ALLOWED_TAGS), names, 1))


def _types(types: frozenset[str]) -> str:
    return "|".join(re.escape(t) for t in (*_ALLOWED_TAGS, *sorted(types - set(_ALLOWED_TAGS))))


@cache
def _squash_hint(types: frozenset[str]) -> re.Pattern[str]:
    """A later line that opens another conventional commit (a squash), as the parser sees it."""
    return re.compile(
        rf"^(?:[\t ]*[*-][\t ]+|[\t ]+)?(?:{_types(types)})\b(?:\([^\n]*\))?!?:\s", re.M
    )


@cache
def _release_please_split(types: frozenset[str]) -> re.Pattern[str]:
    """A blank line, then an unbulleted, unindented conventional header: a new commit."""
    return re.compile(rf"\n[\t ]*\n(?=(?:{_types(types)})(?:\([^\n)]*\))?!?: )")


_NESTED = re.compile(r"BEGIN_NESTED_COMMIT\n?(?P<body>.*?)\n?END_NESTED_COMMIT\n?", re.S)


def split_squashed(message: str, mode: str, types: frozenset[str] = frozenset()) -> list[str]:
    """The commits a message holds, under the project's squash rule.

    "off": the message is one commit (header and footers decide). "release-please":
    a commit starts only at a blank line followed by an unbulleted `type(scope): `
    header, or inside BEGIN_NESTED_COMMIT/END_NESTED_COMMIT; bullets are never
    commits. "every-line": python-semantic-release's own splitting (any line that
    looks like a header, bullets included); only a message whose later lines open
    another commit goes through the parser's (costly) splitting.
    """
    if mode == "off":
        return [message]
    if mode == "every-line":
        rest = message.partition("\n")[2]
        if rest and (_SQUASH_HEADERS.search(rest) or _squash_hint(types).search(rest)):
            return list(_parser(types).unsquash_commit_message(message)) or [message]
        return [message]
    nested: list[str] = []
    if "BEGIN_NESTED_COMMIT" in message:
        nested = [m.group("body").strip() for m in _NESTED.finditer(message)]
        message = _NESTED.sub("", message)
    parts = _release_please_split(types).split(message) if "\n\n" in message else [message]
    return [p for p in (*parts, *nested) if p.strip()]


@dataclass(frozen=True, slots=True)
class Parsed:
    """One conventional header as written, before the project's rules give it a level."""

    type: str
    scope: str
    subject: str
    breaking: bool
    descriptions: tuple[str, ...] = ()
    pr: str = ""


def parse_message(
    message: str, rules: Rules = Rules()
) -> tuple[list[Parsed], tuple[str, ...], str]:
    """The conventional commits in one message, the issues it closes, its Release-As version."""
    types = rules.extra_types()
    found: list[Parsed] = []
    for text in split_squashed(message, rules.squash, types):
        quick = _quick(text, types)
        if quick is not None:
            found.extend(quick)
            continue
        parsed = _parser(types).parse_message(text)
        if parsed is None:
            continue
        subject = parsed.descriptions[0] if parsed.descriptions else ""
        head = _subject(types).match(text)
        found.append(
            Parsed(
                parsed.type,
                parsed.scope,
                subject,
                bool(parsed.breaking_descriptions) or bool(head and head.group("break")),
                tuple(parsed.breaking_descriptions),
                parsed.linked_merge_request or "",
            )
        )
    issues: tuple[str, ...] = ()
    if found and re.search(r"(?i)\b(?:close|fix|resolve|ref)", message.partition("\n")[2]):
        issues = tuple(dict.fromkeys(m.group("ref") for m in _CLOSES.finditer(message)))
    release_as = ""
    if "elease-" in message or "ELEASE-" in message:
        match = _RELEASE_AS.search(message)
        release_as = match.group("version") if match else ""
    return found, issues, release_as


def _quick(text: str, types: frozenset[str] = frozenset()) -> list[Parsed] | None:
    """The parser's answer from its own patterns and type-to-level table; None: a subject
    the parser may file as a notice or an issue link, so parse the message fully.

    Nearly all of a long history is decided here, without importing the parser; a
    breaking message goes through the same paragraph analysis as in the parser.
    """
    head = _subject(types).match(text)
    if head is None:
        return []  # the parser's whole-message pattern starts with this one: no match either
    subject = head.group("subject")
    pr = _MR_SELECTOR.search(subject)
    if pr:  # as in the parser: stripped only when a PR is named
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
    return [
        Parsed(
            head.group("type"),
            head.group("scope") or "",
            subject,
            bool(breaking or head.group("break")),
            breaking,
            pr.group("mr_number") if pr else "",
        )
    ]


def _paragraphs(text: str) -> list[str]:
    """semantic_release.commit_parser.util.parse_paragraphs, step for step."""
    text = _HYPHEN_WRAP.sub("-", _TRIM_ENDINGS.sub("\n", text))
    previous = ""
    while previous != text:
        previous, text = text, _FOOTERS.sub(r"\1\n\n\2", text)
    return [
        p for p in (_WORD_WRAP.sub(" ", par).strip() for par in text.strip().split("\n\n")) if p
    ]


# Parsed commits by id: ((type, scope, subject, breaking, descriptions, pr)..., issues, release_as).
ParseCache = dict[str, tuple[Any, ...]]


def parser_version(rules: Rules = Rules()) -> str:
    """Cached parses are valid for one parser version, squash rule and set of types."""
    from importlib.metadata import version

    types = ",".join(sorted(rules.extra_types()))
    return f"2:{version('python-semantic-release')}:{rules.squash}:{types}"


def _parsed(
    entry: LogEntry, rules: Rules, cache: ParseCache | None
) -> tuple[list[Parsed], tuple[str, ...], str]:
    if cache is not None:
        hit = cache.get(entry.sha)
        if hit is not None:
            heads, issues, release_as = hit
            return [Parsed(*h) for h in heads], issues, release_as
    found, issues, release_as = parse_message(entry.message, rules)
    if cache is not None:
        cache[entry.sha] = (
            tuple((p.type, p.scope, p.subject, p.breaking, p.descriptions, p.pr) for p in found),
            issues,
            release_as,
        )
    return found, issues, release_as


def _changes(
    sha: str, rules: Rules, found: list[Parsed], issues: tuple[str, ...], release_as: str
) -> list[Change]:
    out = []
    for p in found:
        out.append(
            Change(
                sha,
                p.type,
                p.scope,
                p.subject,
                rules.level(p.type, p.scope, p.breaking),
                p.descriptions,
                pr=p.pr,
                issues=tuple(i for i in issues if i != p.pr),
                release_as=release_as,
            )
        )
    return out


def analyse(
    entries: Iterable[LogEntry],
    *,
    rules: Rules = Rules(),
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
        found, issues, release_as = _parsed(entry, rules, cache)
        changes = _changes(entry.sha, rules, found, issues, release_as)
        if not changes:
            result.unparsed += 1
        if release_as and result.release_as is None:
            result.release_as = Change(entry.sha, "", "", "", Bump.NONE, release_as=release_as)
        result.changes.extend(changes)
        if stop_at_major and any(c.bump is Bump.MAJOR for c in changes):
            result.stopped_early = True
            break
    _drop_cancelled_reverts(result)
    return result


RELEASE_AS_GREP = "^Release-As:"


def release_as_in(entries: Iterable[LogEntry]) -> Change | None:
    """The newest Release-As footer among `entries` (for a reading that stopped early)."""
    for entry in entries:
        message = entry.message
        # The same cheap test as a parsed message's: most messages never reach the regex.
        if "elease-" not in message and "ELEASE-" not in message:
            continue
        match = _RELEASE_AS.search(message)
        if match and entry.parents < 2:
            return Change(entry.sha, "", "", "", Bump.NONE, release_as=match.group("version"))
    return None


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
