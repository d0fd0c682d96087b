"""Phase 1's product: the frozen release plan, computed from the repository without changing it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from release.changelog import (
    Entry,
    Fragments,
    compose_entry,
    has_towncrier_config,
    load_fragments,
    uses_fragments,
)
from release.commits import (
    Analysis,
    Change,
    Rules,
    parser_version,
)
from release.config import LoadedConfig, config_dir
from release.errors import Problem, UsageError, VersionError
from release.history import (
    tag_version,
)
from release.notes import forge_for
from release.ops import cache as commit_cache
from release.ops.git import Git
from release.planned import (
    FileChange,
    PlannedCommand,
    PlannedTarget,
    file_changes,
    keeps_changelog,
    missing_changelog_entry,
    planned_commands,
    planned_forges,
    planned_notifications,
    planned_targets,
)
from release.planstate import VersionFileState, read_changes, read_state, read_text
from release.version import TOKEN_RE, Bump, Version
from release.versioning import Wanted, check_explicit_flags, decide_version


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
    prepared = options.version  # files already at it: a release prepared by hand
    try:
        state, version_files, trusted = read_state(git, loaded, trust_names=True, prepared=prepared)
    except VersionError:
        # The files may disagree only with a tag taken on trust: ask git before refusing.
        state, version_files, trusted = read_state(
            git, loaded, trust_names=False, prepared=prepared
        )
    cache_file = commit_cache.cache_path(git.git_dir())
    rules = Rules.from_labels(cfg.commits.squash, cfg.commits.bump, cfg.commits.scope_bump)
    key = parser_version(rules)
    cache = commit_cache.load(cache_file, key)
    known = len(cache)
    version_only = not options.changelog and not options.prerelease
    analysis, proved = read_changes(
        git, loaded, state, trusted, rules, cache, stop_at_major=version_only
    )
    if not proved:
        # A tag taken on trust is not on this branch (a maintenance branch, an rc made
        # elsewhere): ask git which tags are, and read the history again from there.
        state, version_files, _ = read_state(git, loaded, trust_names=False, prepared=prepared)
        analysis, _ = read_changes(
            git, loaded, state, None, rules, cache, stop_at_major=version_only
        )
    if len(cache) != known:
        commit_cache.save(cache_file, key, cache)
    fragments = load_fragments(root, cfg.changelog) if uses_fragments(root, cfg.changelog) else None
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
        _today(options),
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
        files=tuple(
            file_changes(loaded, version, state.current, entry, _today(options)) if version else ()
        ),
        commands=tuple(planned_commands(loaded, version, decision.bump) if version else ()),
        targets=tuple(
            [*planned_targets(loaded, version), *planned_forges(loaded, git, version, tag)]
            if version and tag
            else ()
        ),
        notes=tuple(notes),
        notifications=tuple(planned_notifications(loaded)),
        release_notes=entry.notes if entry else "",
        changelog_entry=entry.text if entry else "",
    )


def _nothing_to_note(root: Path, fragments: Fragments | None, analysis: Analysis) -> bool:
    # A towncrier project with neither fragments nor conventional commits (its fragments
    # consumed by an rc): towncrier itself would write nothing, so an empty entry is wrong.
    return (
        fragments is not None
        and not fragments.found
        and not analysis.changes
        and has_towncrier_config(root)
    )


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


def _today(options: Options) -> dt.date:
    """The release's date: --date, or today in UTC."""
    return dt.date.fromisoformat(options.date) if options.date else dt.datetime.now(dt.UTC).date()


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
    if not (fragments and fragments.found) and not keeps_changelog(loaded):
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
        existing=read_text(loaded.root / cfg.changelog.file),
        allow_empty=options.allow_empty_notes,
    )
