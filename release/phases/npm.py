"""Phase 5 for npm registries: pack, publish with a dist-tag, verify by `npm view` and install."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from release.config.targets import NpmTarget
from release.errors import Problem
from release.ops import npm
from release.ops.artifacts import check_versions
from release.ops.ci import oidc_available
from release.ops.process import run_shell
from release.phases.build import pack_files
from release.steps import ArtifactConflict, Context, Phase, TargetStep

KIND = "npm"


def sha1(path: Path) -> str:
    """npm's `dist.shasum` of a tarball."""
    return hashlib.sha1(path.read_bytes(), usedforsecurity=False).hexdigest()


def _target(ctx: Context, name: str) -> NpmTarget:
    target = next(t for t in ctx.loaded.config.targets if t.name == name)
    assert isinstance(target, NpmTarget)
    return target


@dataclass
class Pack:
    """The release commit's tree packed as its package manager would; the tarball (checked to
    carry the planned version) is kept with the journal."""

    name: str = "npm pack"
    phase: Phase = Phase.DEPLOY
    leaves_machine: bool = False
    point_of_no_return: bool = False
    # Each package of a set packs in its own folder: side by side, as many as the cores.
    concurrent: ClassVar[str] = "pack"

    def done(self, ctx: Context) -> bool:
        return ctx.has_artifacts(KIND)

    def apply(self, ctx: Context) -> dict[str, Any]:
        version = ctx.record.target_version(next(iter(ctx.npm)))
        ahead = ctx.prebuilt(KIND)  # packed while the gates ran, from this very tree
        if ahead is not None:
            tarballs = ahead
        else:
            tarballs = pack_files(ctx.record, ctx.loaded, ctx.export_release(), ctx.scratch)
        check_versions(tarballs, version, pep440=False)
        ctx.keep_artifacts(KIND, tarballs)
        return {"artifacts": ctx.record.artifacts, **({"built_ahead": True} if ahead else {})}

    def undo(self, ctx: Context) -> str | None:
        ctx.drop_artifacts(KIND)
        return None


@dataclass
class Publish(TargetStep):
    """`npm publish` of the packed tarball with the planned dist-tag."""

    verb: ClassVar[str] = "publish"
    leaves_machine: bool = True
    point_of_no_return: bool = True

    def done(self, ctx: Context) -> bool:
        """Done when the registry holds the version; with a tarball at hand, the same bytes."""
        version = ctx.record.target_version(self.target)
        doc = npm.packument(ctx.npm[self.target], ctx.record.npm_package)
        entry = (doc or {}).get("versions", {}).get(version)
        if entry is None:
            return False
        tarballs = ctx.artifacts(KIND)
        shasum = str(entry.get("dist", {}).get("shasum", ""))
        if tarballs and shasum and shasum != sha1(tarballs[0]):
            raise ArtifactConflict(
                Problem(
                    f"{self.target} already holds {ctx.record.npm_package}@{version} with "
                    f"shasum {shasum}, not the {sha1(tarballs[0])} packed from "
                    f"{ctx.record.tag}; nothing was overwritten",
                    self.target,
                    f"find who published it; unpublish it from {self.target} if the registry "
                    f"allows it and run the push again, or release the next version "
                    f"(release push --project {ctx.record.project} --bump patch)",
                )
            )
        return True

    def apply(self, ctx: Context) -> dict[str, Any]:
        config = _target(ctx, self.target)
        planned = next(t for t in ctx.record.targets if t.name == self.target)
        provenance = config.provenance and oidc_available("sigstore")
        if config.provenance and not provenance:
            ctx.progress.warn(f"{self.target}: provenance asked for, but this is not an OIDC CI")
        ctx.target_status[self.target] = "publishing"
        (tarball,) = ctx.artifacts(KIND)
        registry = ctx.npm[self.target]
        with npm.npm_config(registry) as env:
            npm.publish(
                tarball,
                registry,
                env,
                tag=planned.dist_tag or "latest",
                access=config.access,
                provenance=provenance,
            )
        ctx.target_status[self.target] = "published"
        return {"target": self.target, "dist_tag": planned.dist_tag, "provenance": provenance}

    def undo(self, ctx: Context) -> str | None:
        registry = ctx.npm[self.target]
        package = ctx.record.npm_package
        version = ctx.record.target_version(self.target)
        if not npm.has_version(registry, package, version):
            return None
        with npm.npm_config(registry) as env:
            if npm.unpublish(registry, package, version, env):
                ctx.target_status[self.target] = "unpublished"
                ctx.undone_remotely.append(
                    f"{package}@{version} was unpublished from {self.target}"
                )
                return None
            message = f"{version} was rolled back by its release; do not use it"
            if npm.deprecate(registry, package, version, message, env):
                ctx.target_status[self.target] = "deprecated"
                return (
                    f"{self.target} would not unpublish {package}@{version} (outside its "
                    f"window): it is deprecated instead; release the next version"
                )
        return f"unpublish or deprecate {package}@{version} on {self.target} by hand"


@dataclass
class Verify(TargetStep):
    """`npm view NAME@VERSION` answers, the release installs from that registry (its
    dependencies from the user's), and what it offers works: entry, commands, files."""

    verb: ClassVar[str] = "verify"
    # Read-only and independent of the other targets' verifications: run beside them.
    concurrent: ClassVar[str] = "verify"

    def done(self, ctx: Context) -> bool:
        return False  # read-only: always run it again

    def apply(self, ctx: Context) -> dict[str, Any]:
        registry = ctx.npm[self.target]
        package = ctx.record.npm_package
        version = ctx.record.target_version(self.target)
        dependencies = _target(ctx, self.target).dependency_registry
        with npm.npm_config(registry) as env:
            attempts, waited = npm.wait_until_viewable(
                registry, package, version, env, timeout=ctx.verify_timeout(self.target)
            )
        where = ctx.fresh_dir(f"verify-{self.target}")
        with npm.install_config(registry, where, dependencies) as env:
            manifest = npm.install_release(registry, package, version, where, env)
            offered = npm.check_offers(package, manifest, where, env)
        if offered.nothing:
            ctx.progress.warn(f"{package}@{version}: installed; it declares nothing to load")
        bin_dir = where / "node_modules" / ".bin"
        health = ctx.health_command(self.target)
        if health:
            path = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
            run_shell(health, cwd=where, env={"PATH": path})
        ctx.target_status[self.target] = "verified"
        return {
            "target": self.target,
            "viewable_after_checks": attempts,
            "viewable_after_seconds": round(waited, 2),
            "health": bool(health),
            "loaded": offered.entry,
            "commands": list(offered.bins),
            "files": list(offered.files),
        }

    def undo(self, ctx: Context) -> str | None:
        return None
