"""Phase 5 for PyPI-compatible indexes: build sdist and wheel, check, upload, verify."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from release.config.targets import PYPI_UPLOAD_HOSTS, PypiTarget
from release.errors import Problem
from release.ops.artifacts import check_versions
from release.ops.build import clamp_sdist
from release.ops.files import sha256
from release.ops.process import run, run_shell
from release.ops.pypi import (
    has_version,
    install_in_fresh_venv,
    published_hashes,
    remove_release,
    upload,
    wait_until_listed,
    wheel_requires,
    wheel_top_level,
)
from release.phases.build import KIND, build_files, pypi_version
from release.steps import KILL_AT_ENV, ArtifactConflict, Context, Phase, TargetStep, maybe_die
from release.version import Bump, Version


@dataclass
class Build:
    """sdist and wheel built from exactly the release commit's tree, in an isolated environment.

    The build is told the version (dynamic-version backends find no tag in the export), and
    every artifact must carry it. The artifacts are kept with the journal, so a resumed
    release uploads the very same files.
    """

    name: str = "build"
    phase: Phase = Phase.DEPLOY
    leaves_machine: bool = False
    point_of_no_return: bool = False
    # Each package of a set builds in its own folder: side by side, as many as the cores.
    concurrent: ClassVar[str] = "build"

    def done(self, ctx: Context) -> bool:
        return ctx.has_artifacts(KIND)

    def apply(self, ctx: Context) -> dict[str, Any]:
        epoch = ctx.release_epoch()
        ahead = ctx.prebuilt(KIND)  # built while the gates ran, from this very tree and time
        if ahead is not None:
            files = ahead
        else:
            files = build_files(ctx.record, ctx.loaded, ctx.export_release(), ctx.scratch, epoch)
        check_versions(files, pypi_version(ctx.record), pep440=True)
        for sdist in (p for p in files if p.name.endswith(".tar.gz")):
            clamp_sdist(sdist, epoch)
        ctx.keep_artifacts(KIND, files)
        return {"artifacts": ctx.record.artifacts, **({"built_ahead": True} if ahead else {})}

    def undo(self, ctx: Context) -> str | None:
        ctx.drop_artifacts(KIND)
        return None


def irreversible(target: object) -> bool:
    """A publish to this target cannot be undone (PyPI keeps every file name forever)."""
    return isinstance(target, PypiTarget) and target.keeps_uploads


@dataclass
class Check:
    name: str = "twine check"
    phase: Phase = Phase.DEPLOY
    leaves_machine: bool = False
    point_of_no_return: bool = False
    concurrent: ClassVar[str] = "check"  # read-only: a set's packages are checked side by side

    def done(self, ctx: Context) -> bool:
        return False  # read-only and quick: always run again

    def apply(self, ctx: Context) -> dict[str, Any]:
        run([sys.executable, "-m", "twine", "check", *map(str, ctx.artifacts(KIND))])
        return {}

    def undo(self, ctx: Context) -> str | None:
        return None


@dataclass
class Publish(TargetStep):
    """Upload the artifacts to one PyPI-compatible index with twine."""

    verb: ClassVar[str] = "publish"
    leaves_machine: bool = True
    point_of_no_return: bool = True

    def irreversible(self, ctx: Context) -> bool:
        return irreversible(next(t for t in ctx.loaded.config.targets if t.name == self.target))

    def done(self, ctx: Context) -> bool:
        """Done only when every artifact is on the index with the same sha256."""
        if not ctx.artifacts(KIND):  # nothing built here (a rollback from the world)
            version = ctx.record.target_version(self.target)
            return has_version(ctx.indexes[self.target], ctx.record.distribution, version)
        return not self._missing(ctx)

    def _missing(self, ctx: Context) -> list[Path]:
        """The artifacts the index lacks; a file it holds with other bytes is a stop."""
        version = ctx.record.target_version(self.target)
        there = published_hashes(ctx.indexes[self.target], ctx.record.distribution, version)
        missing = []
        for path in ctx.artifacts(KIND):
            if path.name not in there:
                missing.append(path)
            elif there[path.name] and there[path.name] != sha256(path):
                raise ArtifactConflict(
                    Problem(
                        f"{self.target} already holds {path.name} with sha256 "
                        f"{there[path.name][:16]}..., not the {sha256(path)[:16]}... built "
                        f"from {ctx.record.tag}; nothing was overwritten",
                        self.target,
                        f"find who published that file; delete it from {self.target} if the "
                        f"index allows it and run the push again, or release the next version "
                        f"(release push --project {ctx.record.project} --bump patch)",
                    )
                )
        return missing

    def apply(self, ctx: Context) -> dict[str, Any]:
        ctx.target_status[self.target] = "publishing"
        index = ctx.indexes[self.target]
        files = self._missing(ctx)
        # One twine for all the files: each twine start is a quarter of a second. A crash
        # between two files leaves the first on the index, and `_missing` finds what is left.
        # The crash tests stop a release there (`...:file1`): for them, one file per twine.
        point = ctx.point(self.name)
        between = os.environ.get(KILL_AT_ENV, "").startswith(f"{point}:file")
        batches = [[path] for path in files] if between else [files] if files else []
        for number, batch in enumerate(batches, 1):
            upload(index, batch)
            maybe_die(f"{point}:file{number}")
        ctx.target_status[self.target] = "published"
        return {"target": self.target, "files": [p.name for p in files]}

    def undo(self, ctx: Context) -> str | None:
        index = ctx.indexes[self.target]
        version = ctx.record.target_version(self.target)
        project = ctx.record.distribution
        if not has_version(index, project, version):
            return None
        if self.irreversible(ctx):
            ctx.target_status[self.target] = "burned"
            following = Version.parse(version).bump(Bump.PATCH).pep440()
            if not any(host in index.upload_url for host in PYPI_UPLOAD_HOSTS):
                return (
                    f"{self.target} keeps {project} {version} (deletable = false): withdraw "
                    f"it there as its rules allow, then release {following} "
                    "(release push --bump patch)"
                )
            return (
                f"PyPI never accepts {project} {version} again (burned): yank it at "
                f"https://pypi.org/manage/project/{project}/release/{version}/ "
                f"(Options > Yank), then release {following} (release push --bump patch)"
            )
        if remove_release(index, project, version):
            ctx.target_status[self.target] = "deleted"
            ctx.undone_remotely.append(f"{project} {version} was deleted from {self.target}")
            return None
        ctx.target_status[self.target] = "published"
        return f"delete {project} {version} from {self.target} by hand (the index refused)"


@dataclass
class Verify(TargetStep):
    """The exact version is listed, installs from that index alone, imports, and is healthy."""

    verb: ClassVar[str] = "verify"
    # Read-only and independent of the other targets' verifications: run beside them.
    concurrent: ClassVar[str] = "verify"

    def done(self, ctx: Context) -> bool:
        return False  # verification is read-only: always run it again

    def apply(self, ctx: Context) -> dict[str, Any]:
        index = ctx.indexes[self.target]
        version = ctx.record.target_version(self.target)
        project = ctx.record.distribution
        attempts, waited = wait_until_listed(
            index, project, version, timeout=ctx.verify_timeout(self.target)
        )
        where = ctx.fresh_dir(f"verify-{self.target}")
        config = next(t for t in ctx.loaded.config.targets if t.name == self.target)
        assert isinstance(config, PypiTarget)
        wheels = [a for a in ctx.artifacts(KIND) if a.suffix == ".whl"]
        bin_dir = install_in_fresh_venv(
            index,
            f"{project}=={version}",
            where,
            dependencies=config.dependency_index,
            requires=not wheels or wheel_requires(wheels[0]),
        )
        modules = wheel_top_level(wheels[0]) if wheels else []
        if modules:
            run([str(bin_dir / "python"), "-c", f"import {', '.join(modules)}"], cwd=where)
        else:
            ctx.progress.warn(f"{project} {version}: the wheel has no top-level module to import")
        health = ctx.health_command(self.target)
        if health:
            path = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
            run_shell(health, cwd=where, env={"PATH": path, "VIRTUAL_ENV": str(bin_dir.parent)})
        ctx.target_status[self.target] = "verified"
        return {
            "target": self.target,
            "listed_after_checks": attempts,
            "listed_after_seconds": round(waited, 2),
            "health": bool(health),
            "imported": modules,
        }

    def undo(self, ctx: Context) -> str | None:
        return None
