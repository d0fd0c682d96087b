"""The next version: explicit, announced by the files, CalVer or bumped; never backwards."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from release.calver import matches, next_calver
from release.config import ProjectConfig
from release.errors import Problem, UsageError, VersionError
from release.history import Released, check_forward, tag_version
from release.ops.git import Git
from release.version import Bump, Version, canonical_token


@dataclass(frozen=True)
class State:
    """Where the project stands: HEAD, its release tags, its version files."""

    head: str
    nearest: str | None
    last_release: str | None  # the highest final release tag on the branch
    since: str | None  # where the commits of this release start (a tag or a commit)
    file_version: Version | None
    current: Version | None
    current_source: str
    head_tags: list[Version]
    every: list[Released] = field(default_factory=list)  # every release tag, lowest first


@dataclass(frozen=True)
class Wanted:
    """What decides the release: the bump the changes ask for and the user's flags."""

    bump: Bump
    source: str
    reasons: list[str]
    explicit: str | None
    forced_bump: bool
    prerelease: str | None
    date: dt.date
    commits_read: int


@dataclass(frozen=True)
class Decision:
    bump: Bump
    source: str
    reasons: list[str]
    next_version: Version | None
    why_nothing: str
    notes: list[str]


def decide_version(git: Git, cfg: ProjectConfig, state: State, wanted: Wanted) -> Decision:
    """The next version, or why there is none; refuses one at or below any release tag."""
    decision = _decide(git, cfg, state, wanted)
    if decision.next_version is not None:
        check_forward(decision.next_version, state.every, cfg.scheme)
    return decision


def _decide(git: Git, cfg: ProjectConfig, state: State, wanted: Wanted) -> Decision:
    bump, source, reasons = wanted.bump, wanted.source, list(wanted.reasons)
    notes: list[str] = []
    released = tag_version(cfg.tag_format, state.last_release) if state.last_release else None
    files = state.file_version
    if wanted.explicit is not None:
        version = explicit_version(cfg, wanted.explicit, state.current)
        return Decision(
            between(state.current, version),
            "--version",
            [f"--version {wanted.explicit} given on the command line"],
            version,
            "",
            notes,
        )
    if any(not v.is_prerelease for v in state.head_tags) or (
        wanted.prerelease and any(v.is_prerelease for v in state.head_tags)
    ):
        return Decision(
            bump, source, reasons, None, f"HEAD is already released as {state.nearest}", notes
        )
    if (
        files is not None
        and files.is_prerelease
        and (released is None or released < files.base)
        and not wanted.forced_bump
    ):
        # Between releases the files announce the next one (24.8.0.dev0, 24.8.0rc1) ...
        base = files.base
        why = [f"the version files say {files}: the next release is {base}"]
        if cfg.version.calver:
            # ... unless the calendar has moved past it (24.7.2.dev0 released in August).
            dated = next_calver(
                cfg.version.calver,
                released,
                wanted.date,
                max(bump, Bump.PATCH),
                cfg.version.calver_start,
            )
            if base < dated:
                why = [
                    f"the version files say {files}, but a release on "
                    f"{wanted.date.isoformat()} is {dated} ({cfg.version.calver})"
                ]
                base = dated
        version = with_prerelease(git, cfg.tag_format, base, wanted.prerelease)
        return Decision(between(released, base), "version files", why, version, "", notes)
    if (
        released is None
        and files is not None
        and not wanted.forced_bump
        and cfg.version.source == "tag"
    ):
        # A project that was never tagged releases the version its files carry.
        why = [
            f"no release tag matches {cfg.tag_format!r}: the first release is the version "
            "in the files"
        ]
        version = with_prerelease(git, cfg.tag_format, files.base, wanted.prerelease)
        return Decision(Bump.NONE, "first release", why, version, "", notes)
    if bump is Bump.NONE:
        why_nothing = (
            f"no releasable change since {state.since or 'the first commit'}"
            f" ({wanted.commits_read} commits read, none feat/fix/perf/breaking; no fragments)"
        )
        return Decision(bump, source, reasons, None, why_nothing, notes)
    start = files.base if cfg.version.source == "files" and files else released
    if cfg.version.calver:
        base = next_calver(cfg.version.calver, start, wanted.date, bump, cfg.version.calver_start)
        notes.append(f"CalVer {cfg.version.calver}: released on {wanted.date.isoformat()}")
    else:
        start = start or Version(0, 0, 0)
        if (
            bump is Bump.MAJOR
            and start.major == 0
            and not cfg.version.major_on_zero
            and not wanted.forced_bump
        ):
            bump = Bump.MINOR
            notes.append(
                "breaking change on 0.x bumps the minor version ([version].major_on_zero = false)"
            )
        base = start.bump(bump)
    version = with_prerelease(git, cfg.tag_format, base, wanted.prerelease)
    return Decision(bump, source, reasons, version, "", notes)


def explicit_version(cfg: ProjectConfig, text: str, current: Version | None) -> Version:
    """`--version X` parsed and checked against the scheme and the current version."""
    version = Version.parse(text, "--version")
    if cfg.version.calver and not matches(cfg.version.calver, version):
        raise VersionError(
            Problem(
                f"--version {text} does not follow the project's CalVer format "
                f"{cfg.version.calver}",
                "--version",
                f"give a version in the {cfg.version.calver} form, or leave --version out "
                "to take the one the release date gives",
            )
        )
    if current is not None and not current < version:
        raise VersionError(
            Problem(
                f"--version {text} is not above the current version {current}",
                "--version",
                f"give a version above {current}: a release never goes backwards",
            )
        )
    return version


def between(old: Version | None, new: Version) -> Bump:
    """The bump that leads from `old` to `new` (for a version command's {bump})."""
    if old is None or new.major > old.major:
        return Bump.MAJOR if old is not None else Bump.NONE
    if new.minor > old.minor:
        return Bump.MINOR
    return Bump.PATCH


def with_prerelease(git: Git, tag_format: str, base: Version, token: str | None) -> Version:
    """`base`, or its next numbered pre-release of kind `token` after the tags that exist."""
    if not token:
        return base
    kind = canonical_token(token)
    numbers = [0]
    prefix = tag_format.split("{version}", 1)[0]
    for tag in git.tags_matching(f"{prefix}{base.major}.{base.minor}.{base.patch}*"):
        version = tag_version(tag_format, tag)
        if version and version.base == base and version.pre and version.pre[0] == kind:
            numbers.append(version.pre[1])
    return base.with_pre(kind, max(numbers) + 1)


def check_explicit_flags(version: str | None, prerelease: str | None, bump: Bump | None) -> None:
    if version is not None and (prerelease is not None or bump is not None):
        raise UsageError(
            Problem(
                "--version cannot be combined with --bump or --prerelease",
                "--version",
                "give the whole version (e.g. --version 1.3.0rc1) and drop the other flag",
            )
        )
