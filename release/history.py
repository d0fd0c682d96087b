"""Release history: the release tags a project has, the highest on the branch, and the rule
that a release never goes backwards."""

from __future__ import annotations

from dataclasses import dataclass

from release.errors import Problem, VersionError
from release.ops.git import Git
from release.version import Version


@dataclass(frozen=True)
class Released:
    """One release tag and the version it names."""

    tag: str
    version: Version


def tag_glob(tag_format: str) -> str:
    return tag_format.replace("{version}", "*")


def tag_version(tag_format: str, tag: str) -> Version | None:
    """The version a tag names under the tag format, or None if it names none.

    Floating tags (`v10`, `latest`, `stable`) name no version and are never releases.
    """
    prefix, _, suffix = tag_format.partition("{version}")
    if not tag.startswith(prefix) or not tag.endswith(suffix) or len(tag) <= len(prefix):
        return None
    core = tag[len(prefix) : len(tag) - len(suffix) if suffix else None]
    try:
        return Version.parse(core)
    except VersionError:
        return None


def releases(tags: list[str], tag_format: str) -> list[Released]:
    """The tags that name a version (pre-releases included), lowest first."""
    found = [Released(t, v) for t in tags if (v := tag_version(tag_format, t)) is not None]
    return sorted(found, key=lambda r: r.version.sort_key())


def highest_on_branch(
    git: Git, tag_format: str, nearest: str | None, every: list[Released]
) -> Released | None:
    """The highest final release reachable from HEAD: the current version.

    The highest, not the nearest: a branch that merged an older maintenance tag after
    a newer release still stands at the newer one. Only tags above the nearest release
    (`git describe`) are asked about, each with one ancestry check, so the cost follows
    the tags off the branch, not the length of the history.
    """
    start = tag_version(tag_format, nearest) if nearest else None
    if nearest is None or start is None:
        return None
    own = [r for r in every if tag_version(tag_format, r.tag) is not None]
    above = [r for r in reversed(own) if not r.version.is_prerelease and start < r.version]
    if len(above) > _MAX_ABOVE:
        merged = set(git.tags_merged(tag_glob(tag_format)))
        above = [r for r in above if r.tag in merged]
    for candidate in above:
        if git.is_ancestor(candidate.tag, "HEAD"):
            return candidate
    return Released(nearest, start)


_MAX_ABOVE = 16  # more tags above the nearest release than this: one `git tag --merged`


def highest_by_name(
    tag_format: str, every: list[Released]
) -> tuple[Released | None, Released | None]:
    """The highest final release of this format and the highest pre-release above it,
    from the tags' names alone.

    On a branch that releases in order these are the branch's own tags. Taking them on
    trust saves a walk of the history (`git describe`, as long as `git log` itself on a
    long history); the plan's one walk then proves them (Walk) or the plan starts over
    from `git describe`.
    """
    own = [r for r in every if tag_version(tag_format, r.tag) is not None]
    finals = [r for r in own if not r.version.is_prerelease]
    final = finals[-1] if finals else None
    above = [r for r in own if r.version.is_prerelease and (not final or final.version < r.version)]
    return final, above[-1] if above else None


PLAIN = ("v{version}", "{version}")


def every_release(git: Git, tag_format: str) -> list[Released]:
    """Every tag that names a release of this project, lowest first.

    `1.2.3` and `v1.2.3` are the same release whichever the config spells: a project
    that changed its spelling (twine: v5.1.1, then 6.0.0) must not release below either.
    """
    formats = PLAIN if tag_format in PLAIN else (tag_format,)
    found = [r for fmt in formats for r in releases(git.tags_matching(tag_glob(fmt)), fmt)]
    return sorted(found, key=lambda r: r.version.sort_key())


def check_forward(version: Version, every: list[Released], scheme: str) -> None:
    """Refuse a next version below a final release tag the repository has.

    A tag of exactly that version is a leftover or a release made elsewhere: the plan
    notes it and validation refuses it with the fix (delete a leftover). Pre-release
    tags decide nothing here: a beta may follow an rc of the same release.
    """
    blocking = [r for r in every if not r.version.is_prerelease and version < r.version]
    if not blocking:
        return
    top = blocking[-1]
    raise VersionError(
        Problem(
            f"the next version {version.render(scheme)} is below tag {top.tag}"
            f" ({top.version.render(scheme)}): a release never goes backwards",
            f"tag {top.tag}",
            f"release from the branch that holds {top.tag} (so the plan starts from it), "
            f"or pass --version with a version above {top.version.render(scheme)}",
        )
    )
