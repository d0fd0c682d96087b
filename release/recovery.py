"""The world as the record of last resort: the last release, rebuilt from git and the targets.

In CI the journal dies with the runner. What survives is the remote (the release tag,
the release commit, the ref saying it was verified) and the registries; this module
reads them, reads only, and says what an unfinished release still lacks.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

from release.config import LoadedConfig
from release.errors import Problem, ReleaseError
from release.history import tag_glob, tag_version
from release.journal import Summary
from release.ops import npm
from release.ops.git import RemoteGit
from release.ops.pypi import published_hashes
from release.planned import planned_targets
from release.record import VERIFIED_REFS, ReleaseRecord, TargetRecord
from release.registries import Registries
from release.version import Version

NOT_VERIFIED = "no record on the remote that it was verified"


@dataclass(frozen=True)
class WorldRelease:
    """The newest release this tool made, as the remote and the registries show it."""

    record: ReleaseRecord
    missing: tuple[str, ...]  # what the world lacks, in words; empty when complete
    believed: str = ""  # set when a journal said otherwise: which record was believed

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def only_unverified(self) -> bool:
        """Every file is out; only the record of the verification is missing."""
        # A set's gaps name their package: "shop-core: no record ...".
        return bool(self.missing) and all(m.endswith(NOT_VERIFIED) for m in self.missing)


def is_release_commit(git: RemoteGit, sha: str, tag: str) -> bool:
    """Whether `sha` is a release commit made by this tool for `tag` (its message says so)."""
    message = git.out("log", "-1", "--format=%B", sha)
    first, _, rest = message.partition("\n")
    # A release of several packages names every tag it made: "chore(release): a-v1, b-v2".
    tags = first.removeprefix("chore(release): ").split(", ")
    return (
        first.startswith("chore(release): ") and tag in tags and "Released by release-push:" in rest
    )


def last_release(
    loaded: LoadedConfig,
    git: RemoteGit,
    registries: Registries,
    names: tuple[str, str],
    version: str | None = None,
) -> WorldRelease | None:
    """The newest release tag on the remote (or the one naming `version`), if this tool made it.

    None when the remote has no such tag, cannot be reached (validation says so), or the
    newest tag was made by someone else: the tool recovers only what it released itself.
    """
    cfg = loaded.config
    try:
        refs = git.remote_refs(
            cfg.remote, f"refs/tags/{tag_glob(cfg.tag_format)}", VERIFIED_REFS + "*"
        )
    except ReleaseError:
        return None
    tags: dict[str, tuple[Version, str]] = {}
    for ref, sha in refs.items():
        tag = ref.removeprefix("refs/tags/")
        parsed = tag_version(cfg.tag_format, tag) if ref.startswith("refs/tags/") else None
        if parsed and (version is None or version in (parsed.pep440(), parsed.semver())):
            tags[tag] = (parsed, sha)
    if not tags:
        return None
    tag = max(tags, key=lambda t: tags[t][0].sort_key())
    parsed, sha = tags[tag]
    local = git.tag_target(tag)
    if local is None:
        git.fetch_tag_commits(cfg.remote, tag)  # a fresh clone has them; an old clone may not
    elif local != sha:
        return None  # the local tag disagrees with the remote: status names it
    if not is_release_commit(git, sha, tag):
        return None
    record = ReleaseRecord(
        project=cfg.name,
        version=parsed.render(cfg.scheme),
        tag=tag,
        branch=git.branch() or cfg.branch,
        remote=cfg.remote,
        pre_sha=git.out("rev-parse", f"{sha}^"),
        files=[],
        targets=[
            TargetRecord(t.name, t.kind, t.url, t.version, t.dist_tag)
            for t in planned_targets(loaded, parsed)
        ],
        distribution=names[0],
        npm_package=names[1],
        release_sha=sha,
    )
    missing = _missing(loaded, record, registries) + _missing_forge_releases(loaded, tag)
    if refs.get(VERIFIED_REFS + tag) != sha:
        missing.append(NOT_VERIFIED)
    return WorldRelease(record, tuple(missing))


def _missing(loaded: LoadedConfig, record: ReleaseRecord, registries: Registries) -> list[str]:
    # The tool's own build makes an sdist and a wheel; a custom build command, at least a file.
    needed = {"sdist", "wheel"} if not loaded.config.commands.build else set()
    missing = []
    for t in record.targets:
        try:
            if t.kind == "pypi" and t.name in registries.indexes:
                index = registries.indexes[t.name]
                files = published_hashes(index, record.distribution, t.version)
                kinds = {"wheel" if f.endswith(".whl") else "sdist" for f in files}
                if not files:
                    missing.append(f"{t.name} has no {record.distribution} {t.version}")
                elif lacking := sorted(needed - kinds):
                    missing.append(
                        f"{t.name} has {record.distribution} {t.version} without its "
                        + " and ".join(lacking)
                    )
            elif t.kind == "npm" and t.name in registries.npm:
                registry = registries.npm[t.name]
                if not npm.has_version(registry, record.npm_package, t.version):
                    missing.append(f"{t.name} has no {record.npm_package}@{t.version}")
        except ReleaseError:
            continue  # unreachable: validation reports it; recovery decides nothing from it
    return missing


def _missing_forge_releases(loaded: LoadedConfig, tag: str) -> list[str]:
    """A configured GitHub/GitLab release of the tag that is not there."""
    if not loaded.config.forges:
        return []
    from release.phases.forge import client  # forges only when configured

    missing = []
    for t in loaded.config.forges:
        try:
            if client(loaded, t.name).release(tag) is None:
                missing.append(f"{t.name} has no {t.kind} release of {tag}")
        except ReleaseError:
            continue  # unreachable: validation reports it
    return missing


def rolled_back_since(git: RemoteGit, sha: str) -> str | None:
    """A release revert on the branch after `sha`: a later release was rolled back there."""
    for line in git.out("log", "--format=%h %s", f"{sha}..HEAD").splitlines():
        short, _, subject = line.partition(" ")
        if subject.startswith('Revert "chore(release): '):
            return short
    return None


def journal_disagrees(last: Summary, world: WorldRelease) -> str:
    said = f"the journal says {last.header['record']['tag']} ended {last.state}"
    return f"{said}, but the world disagrees ({'; '.join(world.missing)}): the world was believed"


def world_problem(world: WorldRelease, project: str) -> Problem:
    r = world.record
    return Problem(
        f"the last release of {project} ({r.version}, tag {r.tag} on {r.remote}) is "
        f"incomplete: {'; '.join(world.missing)}",
        r.remote,
        f"finish it with `release push --project {project} --resume` (builds the tag, "
        f"publishes only what is missing, verifies everything; `--ci` does the same) or "
        f"undo it with `release rollback --project {project}`",
    )


def package_names(loaded: LoadedConfig) -> tuple[str, str]:
    """(Python distribution, npm package) names the targets publish, read from the project."""
    kinds = {t.kind for t in loaded.config.registries}
    distribution = (
        _read_name(loaded.root / "pyproject.toml", "pyproject") if "pypi" in kinds else ""
    )
    package = _read_name(loaded.root / "package.json", "package.json") if "npm" in kinds else ""
    return distribution, package


def _read_name(path: Path, kind: str) -> str:
    try:
        text = path.read_text("utf-8")
        name = (
            tomllib.loads(text)["project"]["name"]
            if kind == "pyproject"
            else json.loads(text)["name"]
        )
    except (OSError, KeyError, TypeError, ValueError) as exc:
        key = "[project] name" if kind == "pyproject" else '"name"'
        raise ReleaseError(
            Problem(
                f"cannot read the package name ({key}) from {path.name}",
                str(path),
                f"a {'PyPI' if kind == 'pyproject' else 'npm'} target needs {key} there",
            )
        ) from exc
    return str(name)


def world_release(loaded: LoadedConfig, version: str | None = None) -> WorldRelease | None:
    """The newest release of a project as the world shows it; for a set of packages, the
    newest release commit's packages together (each package's tag points at it)."""
    from release.packages import members
    from release.registries import registries_from_env

    git = RemoteGit(loaded.root)
    if not loaded.is_set:
        world = last_release(
            loaded, git, registries_from_env(loaded), package_names(loaded), version
        )
        if world is not None:
            world.record.path = git.prefix()  # a project in a folder builds there
        return world
    found: list[tuple[LoadedConfig, WorldRelease]] = []
    for member in members(loaded):
        world = last_release(
            member, git, registries_from_env(member), package_names(member), version
        )
        if world is not None:
            found.append((member, world))
    if not found:
        return None
    # The newest release commit: each set release is one commit all its tags point at.
    newest = max(
        {w.record.release_sha or "" for _, w in found},
        key=lambda sha: int(git.out("log", "-1", "--format=%ct", sha) or 0),
    )
    last = [(m, w) for m, w in found if w.record.release_sha == newest]
    records = []
    for member, world in last:
        world.record.path = member.subdir
        records.append(world.record)
    record = ReleaseRecord.for_set(loaded.config.name, records)
    record.release_sha = newest
    missing = tuple(f"{w.record.project}: {gap}" for _, w in last for gap in w.missing)
    return WorldRelease(record, missing)
