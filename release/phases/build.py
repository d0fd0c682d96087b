"""A package's files (sdist and wheel, npm tarball), and which builds may start before the
release commit: what the build and pack steps share with the builds made ahead."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from functools import partial
from pathlib import Path

from release.config import LoadedConfig
from release.config.targets import NpmTarget
from release.errors import Problem, ReleaseError
from release.ops import npm
from release.ops.artifacts import build_env, expand
from release.ops.build import build_sdist_and_wheel, copy_of_tree
from release.ops.npm_pack import pack
from release.ops.process import run_shell
from release.packages import members
from release.record import ReleaseRecord

KIND = "pypi"
NPM = "npm"
# A package's folder, and its build given the release tree's export, a folder and the epoch.
Ahead = tuple[str, Callable[[Path, Path, int], list[Path]]]


def pypi_version(record: ReleaseRecord) -> str:
    """The version PyPI-compatible targets get (PEP 440 spelling of the release)."""
    return next(t.version for t in record.targets if t.kind == KIND)


def build_files(
    record: ReleaseRecord, loaded: LoadedConfig, source: Path, scratch: Path, epoch: int
) -> list[Path]:
    """sdist and wheel of `record`'s package, built from `source` (an export of the release
    tree) into `scratch`/dist, stamped with `epoch`."""
    out = scratch / "dist"
    env = build_env(record.distribution, pypi_version(record), record.tag)
    # Reproducible builds: a fresh clone rebuilding the tag must get the uploaded bytes.
    env = {**env, "SOURCE_DATE_EPOCH": str(epoch)}
    command = loaded.config.commands.build
    if command:
        run_shell(expand(command, record.version, record.tag), cwd=source, env=env)
        built = source / "dist"
        if not built.is_dir():
            raise ReleaseError(
                Problem(
                    "the build command left no dist/ folder",
                    "commands.build",
                    "make the build command write its artifacts to dist/",
                )
            )
        shutil.copytree(built, out, dirs_exist_ok=True)
    else:
        build_sdist_and_wheel(source, record.path, out, env, timeout=900)
    files = sorted(p for p in out.iterdir() if p.name.endswith((".whl", ".tar.gz", ".zip")))
    if not files:
        raise ReleaseError(
            Problem(
                "the build produced no sdist or wheel",
                "build",
                "check the project's build backend settings",
            )
        )
    return files


def pack_files(
    record: ReleaseRecord, loaded: LoadedConfig, source: Path, scratch: Path, epoch: int = 0
) -> list[Path]:
    """The npm tarball of `record`'s package, packed from `source` (an export of the release
    tree) into `scratch`/npm-pack. npm dates every file in it alike: `epoch` is unused."""
    target = next(t for t in loaded.config.registries if isinstance(t, NpmTarget))
    dependencies = target.dependency_registry
    # The project's own scripts run here: they get the version, never a publish token.
    env = {
        **npm.dependency_env(dependencies),
        **build_env("", record.target_version(target.name), record.tag),
    }
    return [pack(source, scratch / "npm-pack", env, dependencies=dependencies)]


def _pack_apart(
    record: ReleaseRecord, loaded: LoadedConfig, source: Path, scratch: Path, epoch: int
) -> list[Path]:
    """pack_files in a copy of the export of its own: a package that also builds for PyPI
    builds in the same folder at the same time, and both write into the tree."""
    tree = copy_of_tree(source, record.path, scratch / "tree")
    return pack_files(record, loaded, tree, scratch, epoch)


def builds_anything(loaded: LoadedConfig) -> bool:
    """Whether any package of `loaded` has files to build or pack ahead."""
    return any(t.kind in (KIND, NPM) for m in members(loaded) for t in m.config.registries)


def builds_ahead(record: ReleaseRecord, loaded: LoadedConfig) -> dict[tuple[str, str], Ahead]:
    """The builds that can start before the release commit: (package, kind) -> the
    package's folder and its build. A set's packages are named; the only one is ""."""
    if record.packages:
        configs = {m.config.name: m for m in members(loaded)}
        found = [(p.project, p, configs[p.project]) for p in record.packages]
    else:
        found = [("", record, loaded)]
    jobs: dict[tuple[str, str], Ahead] = {}
    for name, rec, cfg in found:
        kinds = {t.kind for t in cfg.config.registries}
        if KIND in kinds:
            jobs[(name, KIND)] = (rec.path, partial(build_files, rec, cfg))
        if NPM in kinds:
            pack = _pack_apart if KIND in kinds else pack_files
            jobs[(name, NPM)] = (rec.path, partial(pack, rec, cfg))
    return jobs
