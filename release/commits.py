"""Commit analysis: conventional commits (python-semantic-release's parser) to changes, a bump."""

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
    release_as: Change | None = None  # the newest commit with a Release-As: footer

    @property
    def bump(self) -> Bump:
        return max((c.bump for c in self.changes), default=Bump.NONE)

    def deciders(self) -> list[Change]:
        level = self.bump
        return [c for c in self.changes if c.bump is level and level is not Bump.NONE]


@cache
def _parser(extra_types: frozenset[str] = frozenset()) -> Any:
    # Imported on first use: the parser's package is slow to import and a plan
    # with no commits to read never needs it.
    from semantic_release.commit_parser.conventional.options import (
        ConventionalCommitParserOptions,
    )
    from semantic_release.commit_parser.conventional.parser import ConventionalCommitParser

    defaults = ConventionalCommitParserOptions()
    others = tuple(sorted(extra_types - set(defaults.allowed_tags)))
    if not others:
        return ConventionalCommitParser()
    options = ConventionalCommitParserOptions(
        other_allowed_tags=(*defaults.other_allowed_tags, *others),
        allowed_tags=(*defaults.allowed_tags, *others),
    )
    return ConventionalCommitParser(options)


_SQUASH_HEADERS = re.compile(r"^[\t ]*(?:commit [0-9a-f]+|Squashed commit of the following)", re.M)


@cache
def _squash_hint(parser: Any) -> re.Pattern[str]:
    """A later line that opens another conventional commit (a squash), as the parser sees it."""
    types = "|".join(re.escape(t) for t in parser.options.allowed_tags)
    return re.compile(rf"^(?:[\t ]*[*-][\t ]+|[\t ]+)?(?:{types})\b(?:\([^\n]*\))?!?:\s", re.M)


@cache
def _release_please_split(parser: Any) -> re.Pattern[str]:
    """A blank line, then an unbulleted, unindented conventional header: a new commit."""
    types = "|".join(re.escape(t) for t in parser.options.allowed_tags)
    return re.compile(rf"\n[\t ]*\n(?=(?:{types})(?:\([^\n)]*\))?!?: )")


_NESTED = re.compile(r"BEGIN_NESTED_COMMIT\n?(?P<body>.*?)\n?END_NESTED_COMMIT\n?", re.S)


def split_squashed(parser: Any, message: str, mode: str) -> list[str]:
    """The commits a message holds, under the project's squash rule.

    "off": the message is one commit (header and footers decide). "release-please":
    a commit starts only at a blank line followed by an unbulleted `type(scope): `
    header, or inside BEGIN_NESTED_COMMIT/END_NESTED_COMMIT; bullets are never
    commits. "every-line": python-semantic-release's own splitting (any line that
    looks like a header, bullets included).
    """
    if mode == "off":
        return [message]
    if mode == "every-line":
        rest = message.partition("\n")[2]
        if rest and (_SQUASH_HEADERS.search(rest) or _squash_hint(parser).search(rest)):
            return list(parser.unsquash_commit_message(message)) or [message]
        return [message]
    nested: list[str] = []
    if "BEGIN_NESTED_COMMIT" in message:
        nested = [m.group("body").strip() for m in _NESTED.finditer(message)]
        message = _NESTED.sub("", message)
    parts = _release_please_split(parser).split(message) if "\n\n" in message else [message]
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
    message: str, rules: Rules = Rules(), parser: Any = None
) -> tuple[list[Parsed], tuple[str, ...], str]:
    """The conventional commits in one message, the issues it closes, its Release-As version."""
    parser = parser or _parser(rules.extra_types())
    found: list[Parsed] = []
    for text in split_squashed(parser, message, rules.squash):
        quick = _quick(parser, text)
        if quick is not None:
            found.extend(quick)
            continue
        parsed = parser.parse_message(text)
        if parsed is None:
            continue
        subject = parsed.descriptions[0] if parsed.descriptions else ""
        head = parser.commit_subject.match(text)
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


def _quick(parser: Any, text: str) -> list[Parsed] | None:
    """The parser's answer for a message with no breaking marker, from its own subject
    pattern, without its paragraph analysis (which only finds breaking descriptions,
    issue links and notices); None: parse the message fully.

    Nearly all of a long history is such messages, so this is where the time goes.
    """
    head = parser.commit_subject.match(text)
    if head is None:
        return []  # the parser's whole-message pattern starts with this one: no match either
    if head.group("break") or "BREAKING" in text:
        return None
    raw = head.group("subject")
    pr = parser.mr_selector.search(raw)
    subject = parser.mr_selector.sub("", raw).strip()
    return [
        Parsed(
            head.group("type"),
            head.group("scope") or "",
            subject,
            False,
            (),
            pr.group("mr_number") if pr else "",
        )
    ]


# Parsed commits by id: ((type, scope, subject, breaking, descriptions, pr)..., issues, release_as).
ParseCache = dict[str, tuple[Any, ...]]


def parser_version(rules: Rules = Rules()) -> str:
    """Cached parses are valid for one parser version, squash rule and set of types."""
    from importlib.metadata import version

    types = ",".join(sorted(rules.extra_types()))
    return f"2:{version('python-semantic-release')}:{rules.squash}:{types}"


def _parsed(
    entry: LogEntry, rules: Rules, types: frozenset[str], cache: ParseCache | None
) -> tuple[list[Parsed], tuple[str, ...], str]:
    if cache is not None:
        hit = cache.get(entry.sha)
        if hit is not None:
            heads, issues, release_as = hit
            return [Parsed(*h) for h in heads], issues, release_as
    # The parser is imported on the first miss only: a fully cached plan never needs it.
    found, issues, release_as = parse_message(entry.message, rules, _parser(types))
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
    types = rules.extra_types()  # computed once: the parser is looked up by it per miss
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
        found, issues, release_as = _parsed(entry, rules, types, cache)
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
        match = _RELEASE_AS.search(entry.message)
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
