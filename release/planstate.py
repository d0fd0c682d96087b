"""Where a project stands: its release tags, version files and commits since the last release."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from release.commits import (
    RELEASE_AS_GREP,
    Analysis,
    ParseCache,
    Rules,
    analyse,
    release_as_in,
)
from release.config import LoadedConfig
from release.errors import Problem, RepositoryError, VersionError
from release.history import (
    every_release,
    highest_by_name,
    highest_on_branch,
    tag_glob,
    tag_version,
)
from release.ops.git import Git, LogEntry, Walk
from release.packages import history_paths
from release.paths import inside
from release.version import Version
from release.versionfiles import VersionSource
from release.versioning import State

# Bounded walk over non-release tags (pre-releases, unparsable) before the last release.
_MAX_DESCRIBE = 64


@dataclass(frozen=True)
class VersionFileState:
    spec: str
    version: str | None


@dataclass(frozen=True)
class Trusted:
    """Release tags taken to be on HEAD's history from their names (highest_by_name)."""

    final: str | None  # the highest final release's commit: where the walk starts
    pre: str | None  # the highest pre-release above it: one of the walk's commits


def read_state(
    git: Git, loaded: LoadedConfig, *, trust_names: bool, prepared: str | None = None
) -> tuple[State, list[VersionFileState], Trusted | None]:
    """Where the project stands. With `trust_names`, the release tags are the highest by
    name, for the plan's one walk to prove (Trusted); else those `git describe` finds."""
    cfg = loaded.config
    git.ensure_repository()
    head = git.head()
    if head is None:
        raise RepositoryError(
            Problem("the repository has no commits", str(loaded.root), "commit the project first")
        )
    glob = tag_glob(cfg.tag_format)
    every = every_release(git, cfg.tag_format)
    trusted: Trusted | None = None
    # Only a whole walk from the final release can prove it (Walk): not a package's
    # path-limited one, nor one that starts where the version files last changed.
    if trust_names and cfg.version.source != "files" and not history_paths(loaded):
        highest, pre = highest_by_name(cfg.tag_format, every)
        top = pre or highest
        nearest = top.tag if top else None
        commits = git.commits_of(*[r.tag for r in (highest, pre) if r])
        if commits is not None:  # else a tag names no commit: `git describe` skips it
            trusted = Trusted(commits[0] if highest else None, commits[-1] if pre else None)
    if trusted is None:
        nearest, last_final = find_tags(git, cfg.tag_format, glob)
        highest = highest_on_branch(git, cfg.tag_format, last_final, every)
    if nearest is None and git.is_shallow():
        raise RepositoryError(
            Problem(
                "this is a shallow clone and no release tag is reachable from HEAD",
                str(loaded.root),
                "fetch the history and tags: git fetch --tags --unshallow (in CI: fetch-depth: 0)",
            )
        )
    files, file_version = read_version_files(loaded.root, cfg.version.sources())
    nearest_version = tag_version(cfg.tag_format, nearest) if nearest else None
    if nearest_version is None or (highest and not highest.version < nearest_version):
        # The highest release on the branch, not a floating tag (v10) nor an older one.
        nearest_version, nearest = (highest.version, highest.tag) if highest else (None, None)
    since = highest.tag if highest else None
    if cfg.version.source == "files" and file_version:
        # The files are the truth even where the release tag is not on this branch; the
        # release commit that set them is where the new changes start, when it is newer.
        current: Version | None = file_version
        source = 'version files ([version].source = "files")'
        changed = git.last_change([s.path for s in cfg.version.sources()])
        if changed and (since is None or git.is_ancestor(since, changed)):
            since = changed
    else:
        if _prepared(prepared, file_version, nearest_version):
            _check_agreement(files, file_version, None, None)  # among themselves only
        elif not _announces_next(file_version, nearest_version):
            _check_agreement(files, file_version, nearest, nearest_version)
        if nearest:
            current, source = nearest_version, f"tag {nearest}"
        elif file_version:
            current, source = file_version, "version files (no release tag yet)"
        else:
            current, source = None, "nothing (no release tag, no version file)"
    head_tags = [v for t in git.tags_at("HEAD", glob) if (v := tag_version(cfg.tag_format, t))]
    state = State(
        head,
        nearest,
        highest.tag if highest else None,
        since,
        file_version,
        current,
        source,
        head_tags,
        every,
    )
    return state, files, trusted


def read_changes(
    git: Git,
    loaded: LoadedConfig,
    state: State,
    trusted: Trusted | None,
    rules: Rules,
    cache: ParseCache,
    *,
    stop_at_major: bool,
) -> tuple[Analysis, bool]:
    """The commits since the last release, read once; and whether the tags taken on trust
    proved to be on HEAD's history. With `stop_at_major` (a version-only reading), the
    first breaking change ends the parsing."""
    watch = frozenset([trusted.pre] if trusted and trusted.pre else [])
    with _history(git, loaded, state.since, watch) as entries:
        analysis = analyse(
            entries,
            rules=rules,
            stop_at_major=stop_at_major,
            cache=cache,
        )
        if analysis.stopped_early and state.since == state.last_release:
            # Only a Release-As footer further back still decides: reading on in this walk
            # costs less than a second one (no parsing, one search per message).
            analysis.release_as = analysis.release_as or release_as_in(entries)
            analysis.footers_read = True
    if analysis.stopped_early and analysis.release_as is None and not analysis.footers_read:
        # The version-only reading stopped at a breaking change; a Release-As footer
        # further back still decides, and git finds one without reading every message.
        with git.log(state.last_release, RELEASE_AS_GREP, history_paths(loaded)) as footers:
            analysis.release_as = release_as_in(footers)
    return analysis, _proved(git, state, trusted, entries)


def _proved(git: Git, state: State, trusted: Trusted | None, entries: object) -> bool:
    """Whether the walk met the trusted tags: the final release at its boundary (or at
    HEAD), the pre-release among its commits."""
    if trusted is None:
        return True
    if not isinstance(entries, Walk) or not entries.ended:
        commits = [c for c in (trusted.final, trusted.pre) if c]
        return all(git.is_ancestor(commit, "HEAD") for commit in commits)
    final = trusted.final
    pre = trusted.pre
    final_ok = final is None or final == state.head or final in entries.boundary
    return final_ok and (pre is None or pre in entries.met)


@contextmanager
def _history(
    git: Git, loaded: LoadedConfig, since: str | None, watch: frozenset[str] = frozenset()
) -> Iterator[Iterator[LogEntry]]:
    """The commits that are this package's: those touching its folder, and those whose scope
    names it (`fix(shop-core): ...`) wherever they changed files."""
    paths = history_paths(loaded)
    if not paths:
        with git.log(since, watch=watch) as entries:
            yield entries
        return
    seen: set[str] = set()
    # Package names are letters, digits and - _ . (names.py): only "." needs escaping.
    scope = r"^[a-z]+\(" + loaded.config.name.replace(".", "[.]") + r"\)!?:"

    def both() -> Iterator[LogEntry]:
        with git.log(since, paths=paths) as own:
            for entry in own:
                seen.add(entry.sha)
                yield entry
        with git.log(since, grep=scope) as scoped:
            yield from (e for e in scoped if e.sha not in seen)

    yield both()


def find_tags(git: Git, tag_format: str, glob: str) -> tuple[str | None, str | None]:
    """The nearest tag of this format, and the nearest that names a final release.

    `git describe` walks back from HEAD only as far as the nearest tags, so the
    cost follows the distance to the last release, not the size of the history.
    """
    nearest = git.nearest_tag(glob)
    skipped: list[str] = []
    candidate = nearest
    while candidate is not None and len(skipped) < _MAX_DESCRIBE:
        version = tag_version(tag_format, candidate)
        if version is not None and not version.is_prerelease:
            return nearest, candidate
        skipped.append(candidate)
        candidate = git.nearest_tag(glob, tuple(skipped))
    if candidate is None:
        return nearest, None
    raise RepositoryError(
        Problem(
            f"more than {_MAX_DESCRIBE} pre-release or unparsable tags since the last release",
            "tags",
            "delete stray tags or narrow tag_format so it matches release tags only",
        )
    )


def read_version_files(
    root: Path, sources: list[VersionSource]
) -> tuple[list[VersionFileState], Version | None]:
    states: list[VersionFileState] = []
    problems: list[Problem] = []
    versions: list[Version] = []
    for source in sources:
        text = read_text(inside(root, source.path, f"[version].files {source.spec!r}"))
        if text is None:
            problems.append(
                Problem(
                    f"{source.path} does not exist",
                    f"[version].files {source.spec!r}",
                    "fix the path (relative to the project root) or create the file",
                )
            )
            continue
        try:
            raw = source.read(text)
            versions.append(Version.parse(raw, source.spec))
            states.append(VersionFileState(source.spec, raw))
        except VersionError as exc:
            problems.extend(exc.problems)
    if problems:
        raise VersionError(problems)
    return states, versions[0] if versions else None


def _check_agreement(
    states: list[VersionFileState],
    file_version: Version | None,
    tag: str | None,
    tag_version_: Version | None,
) -> None:
    reference = tag_version_ or file_version
    if reference is None:
        return
    disagree = [
        s for s in states if s.version is not None and Version.parse(s.version) != reference
    ]
    if not disagree:
        return
    said = "; ".join(f"{s.spec} says {s.version}" for s in states)
    against = (
        f"the last tag {tag} says {tag_version_}" if tag_version_ else "the version files disagree"
    )
    ahead = bool(tag_version_ and file_version and tag_version_ < file_version)
    prepared = f"; or, when the files name the release you prepared, `--version {file_version}`"
    raise VersionError(
        Problem(
            f"version mismatch: {against}; {said}",
            "[version].files",
            f"set every version file to {reference} and commit, "
            "or tag the commit that released the files' version "
            '(or, when release tags are made off this branch, [version] source = "files")'
            + (prepared if ahead else ""),
        )
    )


def _prepared(prepared: str | None, files: Version | None, tagged: Version | None) -> bool:
    """`--version` names what the files already say, above the last tag: a release prepared
    by hand (commander's 15.0.0: version set, changelog written, no tag yet)."""
    if prepared is None or files is None or (tagged is not None and not tagged < files):
        return False
    try:
        return Version.parse(prepared) == files
    except VersionError:
        return False  # the explicit version's own check says what is wrong with it


def _announces_next(files: Version | None, tagged: Version | None) -> bool:
    """Files that say a pre-release above the last tag (24.8.0.dev0 after 24.7.1) lead the way."""
    return files is not None and files.is_prerelease and (tagged is None or tagged < files)


def read_text(path: Path) -> str | None:
    # Bytes decoded as they are: CRLF files stay CRLF through edits and restores.
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as exc:
        raise VersionError(
            Problem(f"{path} is not UTF-8 text", str(path), "save the file as UTF-8")
        ) from exc
