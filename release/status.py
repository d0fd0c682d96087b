"""`release status`: what is actually released, where: files, tags, registries, journal, drift."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from packaging.version import InvalidVersion
from packaging.version import Version as Pep440

from release.config import LoadedConfig
from release.config.targets import NpmTarget
from release.errors import ReleaseError
from release.history import tag_glob, tag_version
from release.journal import journals, state_dir, summarize
from release.ops import npm
from release.ops.git import RemoteGit
from release.ops.pypi import published_files
from release.packages import members
from release.planstate import find_tags, read_version_files
from release.recovery import NOT_VERIFIED, is_release_commit, last_release, package_names
from release.registries import registries_from_env
from release.version import Version


@dataclass
class TargetState:
    name: str
    kind: str
    latest: str | None = None
    dist_tags: dict[str, str] = field(default_factory=dict)
    reachable: bool = True
    error: str = ""
    has_release: bool | None = None  # whether it holds the version the tags say is released
    # Everything it holds; drift is judged against this, not against "latest", which an
    # rc, a dist-tag moved by hand or an older release left behind can all make misleading.
    versions: set[str] = field(default_factory=set)


@dataclass
class ProjectStatus:
    project: str
    files_version: str | None = None
    local_tag: str | None = None
    remote_tag: str | None = None
    remote_reachable: bool = True
    targets: list[TargetState] = field(default_factory=list)
    journal_version: str | None = None
    journal_state: str | None = None
    drift: list[str] = field(default_factory=list)
    tool_release: bool = False  # the released tag's commit is a release commit of this tool

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for target in out["targets"]:
            del target["versions"]
        return out


def _remote_latest(git: RemoteGit, loaded: LoadedConfig) -> str | None:
    cfg = loaded.config
    out = git.out(
        "ls-remote", "--tags", "--refs", cfg.remote, f"refs/tags/{tag_glob(cfg.tag_format)}"
    )
    tags = [line.split("refs/tags/", 1)[1] for line in out.splitlines() if "refs/tags/" in line]
    versions = [(v, t) for t in tags if (v := tag_version(cfg.tag_format, t))]
    return max(versions, key=lambda p: p[0].sort_key())[1] if versions else None


def _latest(versions: set[str]) -> str | None:
    """What pip installs by default: the newest final release, or the newest of any."""
    parsed = []
    for v in versions:
        try:
            parsed.append((Pep440(v), v))
        except InvalidVersion:
            continue
    finals = [p for p in parsed if not p[0].is_prerelease]
    return max(finals or parsed)[1] if parsed else None


def _target_state(loaded: LoadedConfig, name: str, names: tuple[str, str]) -> TargetState:
    registries = registries_from_env(loaded)
    kind = "pypi" if name in registries.indexes else "npm"
    state = TargetState(name, kind)
    try:
        if kind == "pypi":
            files = published_files(registries.indexes[name], names[0])
            state.versions = set(files.values())
            state.latest = _latest(state.versions)
        else:
            doc = npm.packument(registries.npm[name], names[1])
            if doc:
                state.versions = set(doc.get("versions", {}))
                state.dist_tags = dict(doc.get("dist-tags", {}))
                state.latest = state.dist_tags.get("latest")
    except ReleaseError as exc:
        state.reachable, state.error = False, str(exc.problems[0].what) if exc.problems else ""
    return state


def project_status(loaded: LoadedConfig, pool: ThreadPoolExecutor) -> ProjectStatus:
    """Reads only; what cannot be reached is marked, not fatal."""
    cfg = loaded.config
    status = ProjectStatus(cfg.name)
    git = RemoteGit(loaded.root)
    git.ensure_repository()
    names = package_names(loaded)
    remote = pool.submit(_remote_latest, git, loaded)
    targets = [pool.submit(_target_state, loaded, t.name, names) for t in cfg.registries]
    try:
        _, file_version = read_version_files(loaded.root, cfg.version.sources())
        status.files_version = file_version.render(cfg.scheme) if file_version else None
    except ReleaseError as exc:
        status.drift.append(f"version files unreadable: {exc.problems[0].what}")
    nearest, last_final = find_tags(git, cfg.tag_format, tag_glob(cfg.tag_format))
    # A floating tag (v10, moved to each release) is never the last release.
    status.local_tag = nearest if nearest and tag_version(cfg.tag_format, nearest) else last_final
    try:
        status.remote_tag = remote.result()
    except ReleaseError:
        status.remote_reachable = False
    status.targets = [f.result() for f in targets]
    tag = status.remote_tag or status.local_tag
    sha = git.tag_target(tag) if tag else None
    status.tool_release = bool(tag and sha and is_release_commit(git, sha, tag))
    if status.tool_release and status.remote_reachable:
        status.drift += _unfinished(loaded, git, names)
    found = journals(state_dir(loaded.repository, loaded.parent or cfg.name))
    summary = summarize(found[-1]) if found else None
    record = summary.header["record"] if summary else {}
    # A set's journal holds every package's record: a package shows its own.
    record = next((p for p in record.get("packages", []) if p["project"] == cfg.name), record)
    if summary and record.get("project") == cfg.name:
        status.journal_version = record["version"]
        status.journal_state = summary.state
    status.drift += _drift(status, loaded)
    status.drift += _forge_drift(status, loaded, pool)
    return status


def _unfinished(loaded: LoadedConfig, git: RemoteGit, names: tuple[str, str]) -> list[str]:
    """What only the world shows: a file of the version missing, a verification never ended."""
    world = last_release(loaded, git, registries_from_env(loaded), names)
    if world is None:
        return []
    project = loaded.config.name
    return [
        f"{world.record.tag}: {what}: finish it with `nox -s push -- --project {project} "
        "--resume` (a CI job's `--ci` push does it by itself)"
        for what in world.missing
        if what == NOT_VERIFIED or " without its " in what  # "has nothing" is said below
    ]


def _forge_drift(s: ProjectStatus, loaded: LoadedConfig, pool: ThreadPoolExecutor) -> list[str]:
    """The forge releases beside the tags: the released tag's release, on each forge."""
    from release.phases.forge import client  # forges only when configured

    tag = s.remote_tag or s.local_tag
    forges = loaded.config.forges
    if not forges or tag is None:
        return []

    def one(name: str) -> TargetState:
        state = TargetState(name, forge_kind[name])
        try:
            found = client(loaded, name).release(tag)
        except ReleaseError as exc:
            state.reachable, state.error = False, exc.problems[0].what if exc.problems else ""
            return state
        state.has_release = found is not None
        state.latest = tag if found else None
        return state

    forge_kind = {t.name: t.kind for t in forges}
    states = list(pool.map(one, forge_kind))
    s.targets += states
    label = {"github": "GitHub", "gitlab": "GitLab"}
    return [
        f"tag {tag} has no {label[t.kind]} release on {t.name}: `nox -s push -- --project "
        f"{loaded.config.name} --resume` if its release is unfinished, else create it by hand"
        for t in states
        if t.reachable and t.has_release is False
    ]


def _drift(s: ProjectStatus, loaded: LoadedConfig) -> list[str]:
    cfg = loaded.config
    project = cfg.name
    notes = []
    local = tag_version(cfg.tag_format, s.local_tag) if s.local_tag else None
    remote = tag_version(cfg.tag_format, s.remote_tag) if s.remote_tag else None
    if s.journal_state in ("incomplete", "needs_operator"):
        notes.append(
            f"release {s.journal_version} is {s.journal_state}: run `nox -s push -- --project "
            f"{project} --resume` or `nox -s rollback -- --project {project}`"
        )
    if s.files_version and local and Version.parse(s.files_version) != local:
        notes.append(f"version files say {s.files_version} but the last tag is {s.local_tag}")
    if s.remote_reachable and local and (remote is None or remote.sort_key() < local.sort_key()):
        notes.append(f"tag {s.local_tag} is not on {cfg.remote}: push it or resume the release")
    if s.remote_reachable and remote and local and local.sort_key() < remote.sort_key():
        notes.append(f"{cfg.remote} has {s.remote_tag}, newer than here: git fetch --tags")
    # Unknown is not in sync: an index answering 500 must not read as "in sync".
    if not s.remote_reachable:
        notes.append(f"{cfg.remote} could not be read: whether it has the tags is unknown")
    notes += [
        f"{t.name} could not be read ({t.error}): what it holds is unknown"
        for t in s.targets
        if not t.reachable
    ]
    released = remote or local
    if released is None:
        return notes
    tag = s.remote_tag or s.local_tag
    for t in s.targets:
        if not t.reachable:
            continue
        want = released.pep440() if t.kind == "pypi" else released.semver()
        t.has_release = want in t.versions
        if not t.has_release:
            notes.append(
                f"tag {tag} pushed but {t.name} has {t.latest or 'nothing'}: run `nox -s push -- "
                f"--project {project} --resume`"
                if s.journal_state == "incomplete"
                # Without a journal the world is the record: a push finishes it from the tag.
                else f"tag {tag} is out but {t.name} has {t.latest or 'nothing'}: finish the "
                f"release from the world with `nox -s push -- --project {project} --resume` "
                f"(a CI job's `--ci` push does it by itself), or undo it with "
                f"`nox -s rollback -- --project {project}`"
                if s.tool_release
                # A tag this tool did not make is not its to finish.
                else f"tag {tag} is out but {t.name} has {t.latest or 'nothing'}: no release "
                f"of it to resume; publish {want} from the tag by hand, or release the next "
                f"version (`nox -s push -- --project {project}`)"
            )
        elif t.kind == "npm":
            notes += _dist_tag_drift(t, released, want, tag, loaded)
        if t.kind == "pypi":  # on npm, the dist-tag check above names a newer version
            notes += _unexplained(t, released, tag)
    return notes


def _unexplained(t: TargetState, released: Version, tag: str | None) -> list[str]:
    """Final versions on a target newer than the last release tag: no tag explains them.

    A pre-release left behind (an rc whose tag was rolled back) is not drift: pip and the
    dist-tags never pick it by default.
    """
    newer = []
    for v in sorted(t.versions):
        try:
            parsed = Version.parse(v)
            if not parsed.is_prerelease and parsed.sort_key() > released.sort_key():
                newer.append(v)
        except ReleaseError:
            continue
    if not newer:
        return []
    return [
        f"{t.name} has {', '.join(newer)}, newer than tag {tag}: no tag explains it "
        "(published outside this tool, or the tag is not fetched here: git fetch --tags)"
    ]


def _dist_tag_drift(
    t: TargetState, released: Version, want: str, tag: str | None, loaded: LoadedConfig
) -> list[str]:
    """The released version is there, but the dist-tag users install from points elsewhere."""
    config = next(c for c in loaded.config.targets if c.name == t.name)
    assert isinstance(config, NpmTarget)
    token = want.split("-", 1)[1].split(".", maxsplit=1)[0] if released.is_prerelease else ""
    channel = config.tag or token or "latest"  # the dist-tag the release published under
    points = t.dist_tags.get(channel)
    if points == want:
        return []
    try:
        newer = points is not None and Version.parse(points).sort_key() > released.sort_key()
    except ReleaseError:
        newer = False
    if newer:
        return [
            f"{t.name} {channel} is {points}, newer than tag {tag}: published outside this "
            "tool, or the tag is not fetched here (git fetch --tags)"
        ]
    package = package_names(loaded)[1]
    return [
        f"{t.name} {channel} is {points or 'unset'}, not {want}: "
        f"npm dist-tag add {package}@{want} {channel} --registry {config.registry}"
    ]


def statuses(configs: list[LoadedConfig], only: tuple[str, ...] = ()) -> list[ProjectStatus]:
    """Every project (each package of a set) at once: registries and remotes are asked
    concurrently. `only` narrows a set to the packages named."""
    configs = [
        m for c in configs for m in members(c) if not only or not c.is_set or m.config.name in only
    ]
    with ThreadPoolExecutor(max_workers=16) as queries, ThreadPoolExecutor(max_workers=8) as outer:
        futures = [outer.submit(project_status, c, queries) for c in configs]
        return [f.result() for f in futures]
