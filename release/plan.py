"""Phase 1's product: the frozen release plan, computed from the repository without changing it."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from release.changelog import (
    Entry,
    Fragments,
    compose_entry,
    has_entry,
    has_towncrier_config,
    insert_entry,
    load_fragments,
)
from release.commits import (
    RELEASE_AS_GREP,
    Analysis,
    Change,
    ParseCache,
    Rules,
    analyse,
    parser_version,
    release_as_in,
)
from release.config import LoadedConfig, NpmTarget, PypiTarget, config_dir
from release.errors import Problem, RepositoryError, UsageError, VersionError
from release.forgeconfig import forge_repository, releases_url
from release.history import (
    every_release,
    highest_by_name,
    highest_on_branch,
    tag_glob,
    tag_version,
)
from release.notes import forge_for
from release.npm_package import choose_manager, needs_install
from release.ops import cache as commit_cache
from release.ops.artifacts import expand
from release.ops.git import Git, LogEntry, Walk
from release.packages import history_paths
from release.paths import inside
from release.version import TOKEN_RE, Bump, Version
from release.versionfiles import SourceKind, VersionSource, write_npm_lockfile
from release.versioning import State, Wanted, check_explicit_flags, decide_version

# Bounded walk over non-release tags (pre-releases, unparsable) before the last release.
_MAX_DESCRIBE = 64


@dataclass(frozen=True)
class Options:
    """What the user asked for on the command line."""

    bump: Bump | None = None
    prerelease: str | None = None
    changelog: bool = True  # False: version only (a query may stop reading history early)
    date: str = ""
    allow_empty_notes: bool = False  # release even when no fragment or commit gives a note
    version: str | None = None  # --version: the next version, checked against the history


@dataclass(frozen=True)
class FileChange:
    """One file the release rewrites (or removes, when `new` is None)."""

    path: str
    old: str | None
    new: str | None
    why: str
    phase: str  # "version" (phase 2) or "changelog" (phase 3: changelog, fragments, docs)


@dataclass(frozen=True)
class PlannedCommand:
    phase: str
    name: str
    command: str
    env: tuple[str, ...] = ()  # names of the environment variables it reads, never values


@dataclass(frozen=True)
class PlannedTarget:
    name: str
    kind: str
    url: str
    version: str
    credentials: tuple[str, ...]
    dist_tag: str = ""
    trusted_publishing: bool = False  # OIDC first; the named variables only where it is absent
    detail: str = ""  # forge releases: what the release will hold


@dataclass(frozen=True)
class VersionFileState:
    spec: str
    version: str | None


@dataclass(frozen=True)
class Plan:
    """Everything a push would do, decided before anything runs."""

    project: str
    config_path: str
    root: str
    branch: str
    remote: str
    head: str
    current_version: str | None
    current_source: str
    last_tag: str | None
    version_files: tuple[VersionFileState, ...]
    bump: Bump
    bump_source: str
    reasons: tuple[str, ...]
    commits_read: int
    changes: tuple[Change, ...]
    fragments: tuple[str, ...]
    next_version: Version | None
    scheme: str
    tag: str | None
    nothing_to_release: bool
    why_nothing: str
    files: tuple[FileChange, ...]
    commands: tuple[PlannedCommand, ...]
    targets: tuple[PlannedTarget, ...]
    notes: tuple[str, ...] = field(default=())
    notifications: tuple[str, ...] = field(default=())  # who is told, masked
    # The release's notes (commit-based: without the version title), e.g. for a forge
    # release's body; and the whole entry as the changelog receives it.
    release_notes: str = ""
    changelog_entry: str = ""

    @classmethod
    def unplanned(cls, loaded: LoadedConfig, why: str) -> Plan:
        """A package that is not released and could not be planned (it is not needed)."""
        cfg = loaded.config
        return cls(
            project=cfg.name,
            config_path=str(loaded.source),
            root=str(loaded.root),
            branch=cfg.branch,
            remote=cfg.remote,
            head="",
            current_version=None,
            current_source="not read",
            last_tag=None,
            version_files=(),
            bump=Bump.NONE,
            bump_source="",
            reasons=(),
            commits_read=0,
            changes=(),
            fragments=(),
            next_version=None,
            scheme=cfg.scheme,
            tag=None,
            nothing_to_release=True,
            why_nothing=why,
            files=(),
            commands=(),
            targets=(),
        )

    def commands_by_name(self) -> dict[str, str]:
        return {c.name: c.command for c in self.commands}

    @property
    def next_version_str(self) -> str | None:
        return self.next_version.render(self.scheme) if self.next_version else None


def build_plan(loaded: LoadedConfig, options: Options) -> Plan:
    """Read the repository and config, decide the release, and return the frozen plan."""
    cfg = loaded.config
    root = loaded.root
    if options.prerelease is not None and not TOKEN_RE.match(options.prerelease):
        raise UsageError(
            Problem(
                f"{options.prerelease!r} is not a pre-release token",
                "--prerelease",
                "use a short lowercase word such as rc, beta or alpha",
            )
        )
    git = Git(root)
    check_explicit_flags(options.version, options.prerelease, options.bump)
    try:
        state, version_files, trusted = _read_state(git, loaded, trust_names=True)
    except VersionError:
        # The files may disagree only with a tag taken on trust: ask git before refusing.
        state, version_files, trusted = _read_state(git, loaded, trust_names=False)
    cache_file = commit_cache.cache_path(git.git_dir())
    rules = Rules.from_labels(cfg.commits.squash, cfg.commits.bump, cfg.commits.scope_bump)
    key = parser_version(rules)
    cache = commit_cache.load(cache_file, key)
    known = len(cache)
    analysis, proved = _analyse(git, loaded, state, trusted, options, rules, cache)
    if not proved:
        # A tag taken on trust is not on this branch (a maintenance branch, an rc made
        # elsewhere): ask git which tags are, and read the history again from there.
        state, version_files, _ = _read_state(git, loaded, trust_names=False)
        analysis, _ = _analyse(git, loaded, state, None, options, rules, cache)
    if len(cache) != known:
        commit_cache.save(cache_file, key, cache)
    fragments = (
        load_fragments(root, cfg.changelog)
        if (root / cfg.changelog.fragments).exists() or has_towncrier_config(root)
        else None
    )
    bump, bump_source, reasons = _decide_bump(options, analysis, fragments, cfg.changelog.bump)
    release_as = None
    if analysis.release_as is not None and not (options.version or options.bump):
        released = tag_version(cfg.tag_format, state.last_release) if state.last_release else None
        release_as = _release_as(analysis.release_as, released)
    wanted = Wanted(
        bump,
        bump_source,
        reasons,
        options.version or release_as,
        options.bump is not None,
        options.prerelease,
        dt.date.fromisoformat(options.date) if options.date else dt.datetime.now(dt.UTC).date(),
        analysis.commits_read,
    )
    decision = decide_version(git, cfg, state, wanted)
    if release_as and analysis.release_as and decision.source == "--version":
        change = analysis.release_as
        reasons = [f"commit {change.short} says Release-As: {change.release_as}"]
        decision = replace(decision, source="Release-As footer", reasons=reasons)
    elif (
        decision.next_version is None
        and bump is Bump.NONE
        and analysis.commits_read > analysis.skipped_merges
        and not analysis.changes
        and not decision.why_nothing.startswith("HEAD is already released")
    ):
        why = _none_conventional(loaded, state.since, analysis, fragments)
        decision = replace(decision, why_nothing=why)
    version = decision.next_version
    scheme = cfg.scheme
    tag = cfg.tag_format.format(version=version.render(scheme)) if version else None
    notes = list(decision.notes)
    if tag and git.tags_matching(tag):
        notes.append(f"tag {tag} already exists in this repository: a push would refuse")
    entry = _planned_entry(git, loaded, version, analysis, fragments, options, notes)
    if version and (missing := missing_changelog_entry(loaded, version)):
        notes.append(f"{missing.what}: a push would refuse")
    return Plan(
        project=cfg.name,
        config_path=str(loaded.source),
        root=str(root),
        branch=cfg.branch,
        remote=cfg.remote,
        head=state.head,
        current_version=state.current.render(scheme) if state.current else None,
        current_source=state.current_source,
        last_tag=state.last_release,
        version_files=tuple(version_files),
        bump=decision.bump if version else Bump.NONE,
        bump_source=decision.source,
        reasons=tuple(decision.reasons),
        commits_read=analysis.commits_read,
        changes=tuple(analysis.changes),
        fragments=tuple(f"{f.path.relative_to(root)} ({f.type})" for f in fragments.found)
        if fragments
        else (),
        next_version=version,
        scheme=scheme,
        tag=tag,
        nothing_to_release=version is None,
        why_nothing=decision.why_nothing,
        files=tuple(_file_changes(loaded, version, state.current, entry) if version else ()),
        commands=tuple(_commands(loaded, version, decision.bump) if version else ()),
        targets=tuple(
            [*_targets(loaded, version), *_forges(loaded, git, version, tag)]
            if version and tag
            else ()
        ),
        notes=tuple(notes),
        notifications=tuple(_notifications(loaded)),
        release_notes=entry.notes if entry else "",
        changelog_entry=entry.text if entry else "",
    )


def _analyse(
    git: Git,
    loaded: LoadedConfig,
    state: State,
    trusted: Trusted | None,
    options: Options,
    rules: Rules,
    cache: ParseCache,
) -> tuple[Analysis, bool]:
    """The commits since the last release, read once; and whether the tags taken on trust
    proved to be on HEAD's history."""
    watch = frozenset([trusted.pre] if trusted and trusted.pre else [])
    with _history(git, loaded, state.since, watch) as entries:
        analysis = analyse(
            entries,
            rules=rules,
            stop_at_major=not options.changelog and not options.prerelease,
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


@dataclass(frozen=True)
class Trusted:
    """Release tags taken to be on HEAD's history from their names (highest_by_name)."""

    final: str | None  # the highest final release's commit: where the walk starts
    pre: str | None  # the highest pre-release above it: one of the walk's commits


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


def _read_state(
    git: Git, loaded: LoadedConfig, *, trust_names: bool
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
        trusted = Trusted(commits[0] if highest else None, commits[-1] if pre else None)
    else:
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
        if not _announces_next(file_version, nearest_version):
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


def _nothing_to_note(root: Path, fragments: Fragments | None, analysis: Analysis) -> bool:
    # A towncrier project with neither fragments nor conventional commits (its fragments
    # consumed by an rc): towncrier itself would write nothing, so an empty entry is wrong.
    return (
        fragments is not None
        and not fragments.found
        and not analysis.changes
        and has_towncrier_config(root)
    )


def missing_changelog_entry(loaded: LoadedConfig, version: Version) -> Problem | None:
    """With a hand-written changelog ([changelog].mode = "check"), the missing entry."""
    settings = loaded.config.changelog
    if settings.mode != "check" or version.is_prerelease:
        return None
    spelled = version.render(loaded.config.scheme)
    if has_entry(_read(inside(loaded.root, settings.file, "[changelog].file")), spelled):
        return None
    return Problem(
        f"{settings.file} has no entry for {spelled}",
        "[changelog].file",
        f"write the {spelled} entry in {settings.file} and commit it (the changelog is "
        'written by hand: [changelog].mode = "check")',
    )


def _announces_next(files: Version | None, tagged: Version | None) -> bool:
    """Files that say a pre-release above the last tag (24.8.0.dev0 after 24.7.1) lead the way."""
    return files is not None and files.is_prerelease and (tagged is None or tagged < files)


def _release_as(change: Change, released: Version | None) -> str:
    """A `Release-As: X.Y.Z` footer (release-please's convention) names the next version;
    it goes through the same checks as `--version`."""
    where = f"Release-As: {change.release_as} in commit {change.short}"
    try:
        wanted = Version.parse(change.release_as, where)
    except VersionError as exc:
        raise VersionError(
            Problem(
                f"{change.release_as!r} is not a version",
                where,
                "amend the footer to a version such as Release-As: 2.0.0, or release with --bump",
            )
        ) from exc
    if released is not None and not released.base < wanted.base:
        raise VersionError(
            Problem(
                f"Release-As asks for {wanted}, not after the last release {released}",
                where,
                "push a commit with a higher Release-As: footer, or release with --bump",
            )
        )
    return change.release_as


def _none_conventional(
    loaded: LoadedConfig, since: str | None, analysis: Analysis, fragments: Fragments | None
) -> str:
    """Why nothing is released from a history whose commits follow no convention, and the fix."""
    n = analysis.commits_read - analysis.skipped_merges
    since = since or "the first commit"
    source = loaded.source.resolve()
    first = ""
    if not source.exists():  # an inferred config (plan --path): saved by init first
        first = f"release init --path {loaded.root}, then "
        which = "--project NAME"
    elif source.parent == config_dir():
        which = f"--project {source.stem}"
    else:
        which = f"--config {loaded.source}"
    empty = "" if fragments and fragments.found else " --allow-empty-notes"
    return (
        f"{n} commit{'s' if n != 1 else ''} since {since}, none of them conventional "
        f"(type(scope): subject, e.g. 'fix: ...'), so none decides a version; to release "
        f"anyway, choose the bump: {first}release push {which} --bump patch{empty} "
        "(or --bump minor / --bump major)"
    )


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
        text = _read(inside(root, source.path, f"[version].files {source.spec!r}"))
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
    raise VersionError(
        Problem(
            f"version mismatch: {against}; {said}",
            "[version].files",
            f"set every version file to {reference} and commit, "
            "or tag the commit that released the files' version "
            '(or, when release tags are made off this branch, [version] source = "files")',
        )
    )


def _decide_bump(
    options: Options, analysis: Analysis, fragments: Fragments | None, mapping: Mapping[str, str]
) -> tuple[Bump, str, list[str]]:
    commit_bump = analysis.bump
    fragment_bump = Bump.NONE
    fragment_reasons: list[str] = []
    for fragment in fragments.found if fragments else ():
        level = Bump.from_label(mapping.get(fragment.type, "none"))
        fragment_bump = max(fragment_bump, level)
    if fragments:
        fragment_reasons = [
            f"fragment {f.path.name} ({f.type} -> {mapping.get(f.type, 'none')})"
            for f in fragments.found
            if Bump.from_label(mapping.get(f.type, "none")) is fragment_bump and fragment_bump
        ]
    if options.bump is not None:
        return options.bump, "--bump", [f"--bump {options.bump.label} given on the command line"]
    bump = max(commit_bump, fragment_bump)
    reasons: list[str] = []
    if commit_bump is bump and bump:
        deciders = analysis.deciders()
        reasons += [f"commit {c.describe()}" for c in deciders[:10]]
        if len(deciders) > 10:
            reasons.append(f"... and {len(deciders) - 10} more {bump.label} commits")
    if fragment_bump is bump and bump:
        reasons += fragment_reasons
    source = (
        "commits and fragments"
        if commit_bump is bump and fragment_bump is bump
        else ("commits" if commit_bump is bump else "fragments")
    )
    return bump, source, reasons


def _form(source: VersionSource, scheme: str) -> str:
    # package.json and friends follow npm, whatever the project's own scheme.
    return "semver" if source.kind is SourceKind.JSON else scheme


def _planned_entry(
    git: Git,
    loaded: LoadedConfig,
    version: Version | None,
    analysis: Analysis,
    fragments: Fragments | None,
    options: Options,
    notes: list[str],
) -> Entry | None:
    """The changelog entry a release writes (`generate` mode, final releases), or None
    with a note saying why there is none."""
    if not (
        version
        and options.changelog
        and not version.is_prerelease
        and loaded.config.changelog.mode == "generate"
    ):
        return None
    if _nothing_to_note(loaded.root, fragments, analysis):
        notes.append(
            "no news fragments and no conventional commits: like towncrier, the release "
            "writes no changelog entry"
        )
        return None
    if not (fragments and fragments.found) and not _keeps_changelog(loaded):
        return None  # no changelog kept, none named: a release does not start one
    entry = _entry(git, loaded, version, analysis, fragments, options)
    if entry is None:
        notes.append("no notes (--allow-empty-notes): the release writes no changelog entry")
    return entry


def _entry(
    git: Git,
    loaded: LoadedConfig,
    version: Version,
    analysis: Analysis,
    fragments: Fragments | None,
    options: Options,
) -> Entry | None:
    cfg = loaded.config
    url = git.run("remote", "get-url", cfg.remote, check=False).stdout.strip()
    return compose_entry(
        cfg.changelog,
        loaded.root,
        cfg.name,
        version.render(cfg.scheme),
        options.date or dt.datetime.now(dt.UTC).date().isoformat(),
        analysis,
        fragments,
        forge=forge_for(url),
        existing=_read(loaded.root / cfg.changelog.file),
        allow_empty=options.allow_empty_notes,
    )


def _file_changes(
    loaded: LoadedConfig,
    version: Version,
    current: Version | None,
    entry: Entry | None,
) -> list[FileChange]:
    cfg = loaded.config
    root = loaded.root
    texts: dict[str, tuple[str | None, str | None, list[str], str]] = {}

    def edit(path: str, new: str | None, why: str, phase: str = "changelog") -> None:
        old = texts[path][0] if path in texts else _read(inside(root, path, path))
        _, _, whys, first_phase = texts.get(path, (old, None, [], phase))
        texts[path] = (old, new, [*whys, why], first_phase)

    def current_text(path: str) -> str | None:
        return texts[path][1] if path in texts else _read(inside(root, path, path))

    if not cfg.version.command:
        for source in cfg.version.sources():
            source_text = current_text(source.path) or ""
            edit(
                source.path,
                source.write(source_text, version.render(_form(source, cfg.scheme))),
                f"version {source.spec}",
                "version",
            )

    configured = {s.path for s in cfg.version.sources()}
    for source in cfg.version.sources():
        lock = str(Path(source.path).with_name("package-lock.json"))
        if Path(source.path).name == "package.json" and lock not in configured:
            lock_text = current_text(lock)
            if lock_text is not None:
                edit(
                    lock,
                    write_npm_lockfile(lock_text, version.semver()),
                    "package-lock.json follows package.json",
                    "version",
                )

    if entry is not None:
        insert = insert_entry(
            current_text(entry.changelog), entry.text, entry.start, markdown=entry.markdown
        )
        edit(entry.changelog, insert, entry.why)
        for fragment in entry.consumed:
            edit(fragment, None, "fragment consumed by the changelog")

    if current is not None and not version.is_prerelease and not current.is_prerelease:
        docs = (
            cfg.docs.files
            if cfg.docs.files is not None
            else (["README.md"] if (root / "README.md").exists() else [])
        )
        for path in docs:
            text = current_text(path)
            if text is None:
                raise VersionError(
                    Problem(f"{path} does not exist", "[docs].files", "fix the path or remove it")
                )
            new = _mentions(current.render(cfg.scheme)).sub(version.render(cfg.scheme), text)
            if new != text:
                edit(path, new, f"mentions of {current.render(cfg.scheme)}")
    return [
        FileChange(path, old, new, "; ".join(whys), phase)
        for path, (old, new, whys, phase) in texts.items()
        if old != new
    ]


def _mentions(version: str) -> re.Pattern[str]:
    # The exact version, not a part of a longer one (1.2.0 must not match 11.2.0 or 1.2.0.1).
    return re.compile(rf"(?<![\w.\-]){re.escape(version)}(?![\w\-]|\.\d)")


def _keeps_changelog(loaded: LoadedConfig) -> bool:
    """A changelog from commits is written only where one is kept: a project that never had
    one (and names none in its config) does not get one from a release."""
    changelog = loaded.config.changelog
    return "file" in changelog.model_fields_set or (loaded.root / changelog.file).exists()


def _read(path: Path) -> str | None:
    # Bytes decoded as they are: CRLF files stay CRLF through edits and restores.
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as exc:
        raise VersionError(
            Problem(f"{path} is not UTF-8 text", str(path), "save the file as UTF-8")
        ) from exc


def _commands(loaded: LoadedConfig, version: Version, bump: Bump) -> list[PlannedCommand]:
    cfg = loaded.config
    out: list[PlannedCommand] = []
    if cfg.commands.test:
        out.append(PlannedCommand("validation", "test", cfg.commands.test))
    if cfg.version.command:
        out.append(
            PlannedCommand(
                "version",
                "version command",
                cfg.version.command.format(bump=bump.label, version=version.render(cfg.scheme)),
            )
        )
    kinds = {t.kind for t in cfg.registries}
    if cfg.commands.build:
        tag = cfg.tag_format.replace("{version}", version.render(cfg.scheme))
        build = expand(cfg.commands.build, version.render(cfg.scheme), tag)
        out.append(PlannedCommand("deploy", "build", build, ("RELEASE_VERSION", "RELEASE_TAG")))
    else:
        if "pypi" in kinds:
            out.append(
                PlannedCommand("deploy", "build", "python -m build --sdist --wheel --outdir <dist>")
            )
            out.append(PlannedCommand("deploy", "check", "python -m twine check <dist>/*"))
        if "npm" in kinds:
            out += _npm_pack_commands(loaded.root)
    out.append(
        PlannedCommand("deploy", "push", f"git push --atomic {cfg.remote} {cfg.branch} <tag>")
    )
    for t in cfg.registries:
        if isinstance(t, PypiTarget):
            env = tuple(n for n in (t.username_env, t.password_env) if n)
            out.append(
                PlannedCommand(
                    "deploy",
                    f"publish {t.name}",
                    f"python -m twine upload --repository-url {t.url} <dist>/*",
                    env,
                )
            )
        else:
            out.append(
                PlannedCommand(
                    "deploy",
                    f"publish {t.name}",
                    f"npm publish <dist>/*.tgz --registry {t.registry}",
                    (t.token_env,),
                )
            )
    if cfg.commands.health:
        out.append(PlannedCommand("deploy", "health", cfg.commands.health))
    return out


def _npm_pack_commands(root: Path) -> list[PlannedCommand]:
    """How the package manager the project uses will pack it (install first for pack scripts)."""
    try:
        manifest = json.loads((root / "package.json").read_text("utf-8"))
    except (OSError, ValueError):
        manifest = {}
    manager = choose_manager(manifest, {p.name for p in root.iterdir()})
    out = []
    if needs_install(manifest):
        out.append(PlannedCommand("deploy", "install", " ".join(manager.install())))
    out.append(PlannedCommand("deploy", "build", " ".join(manager.pack("<dist>"))))
    return out


def _targets(loaded: LoadedConfig, version: Version) -> list[PlannedTarget]:
    out = []
    for t in loaded.config.registries:
        if isinstance(t, NpmTarget):
            dist_tag = t.tag or (
                version.semver().split("-", 1)[1].split(".")[0]
                if version.is_prerelease
                else "latest"
            )
            out.append(
                PlannedTarget(
                    t.name, t.kind, t.registry, version.semver(), (t.token_env,), dist_tag
                )
            )
        else:
            creds = tuple(n for n in (t.username_env, t.password_env) if n)
            out.append(
                PlannedTarget(
                    t.name,
                    t.kind,
                    t.url,
                    version.pep440(),
                    creds,
                    trusted_publishing=t.trusted_publishing,
                )
            )
    return out


def _forges(loaded: LoadedConfig, git: Git, version: Version, tag: str) -> list[PlannedTarget]:
    """The GitHub and GitLab releases a push would make, after the packages."""
    cfg = loaded.config
    if not cfg.forges:
        return []
    remote_url = git.run("remote", "get-url", cfg.remote, check=False).stdout.strip() or None
    kinds = {t.kind for t in cfg.registries}
    files = [
        *(["sdist", "wheel"] if "pypi" in kinds else []),
        *(["npm tarball"] if "npm" in kinds else []),
    ]
    out = []
    for t in cfg.forges:
        if not t.assets or not files:
            assets = "no files"
        elif t.kind == "github":
            assets = "files: " + ", ".join(files)
        else:
            assets = "links to the published packages"
        pre = " (pre-release)" if version.is_prerelease and t.kind == "github" else ""
        out.append(
            PlannedTarget(
                t.name,
                t.kind,
                releases_url(t, forge_repository(t, remote_url)),
                version.render(cfg.scheme),
                (t.token_variable,),
                detail=f"release {tag}{pre}, notes from the changelog entry, {assets}",
            )
        )
    return out


def _notifications(loaded: LoadedConfig) -> list[str]:
    return [n.shown for n in loaded.config.notify]
