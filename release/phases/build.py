"""A package's sdist and wheel, and which builds may start before the release commit: the
part of the PyPI steps the build made ahead shares, without the steps themselves."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from functools import partial
from pathlib import Path

from release.config import LoadedConfig
from release.errors import Problem, ReleaseError
from release.ops.artifacts import build_env, expand
from release.ops.build import build_sdist_and_wheel
from release.ops.process import run_shell
from release.packages import members
from release.record import ReleaseRecord

KIND = "pypi"
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


def builds_ahead(record: ReleaseRecord, loaded: LoadedConfig) -> dict[tuple[str, str], Ahead]:
    """The builds that can start before the release commit: (package, kind) -> the
    package's folder and its build. A set's packages are named; the only one is ""."""
    if record.packages:
        configs = {m.config.name: m for m in members(loaded)}
        found = [(p.project, p, configs[p.project]) for p in record.packages]
    else:
        found = [("", record, loaded)]
    return {
        (name, KIND): (rec.path, partial(build_files, rec, cfg))
        for name, rec, cfg in found
        if any(t.kind == KIND for t in cfg.config.registries)
    }
