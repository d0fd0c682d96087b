"""Phase 5: build from the release commit, push branch and tag atomically, publish, verify."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, field
from typing import Any

from release.errors import Problem, ReleaseError
from release.ops.process import run, run_shell
from release.ops.pypi import (
    RegistryError,
    install_in_fresh_venv,
    published_files,
    remove_release,
    upload,
    wait_until_listed,
)
from release.steps import Context, Phase

_PYPI_HOSTS = ("upload.pypi.org", "test.pypi.org")


@dataclass
class Build:
    """sdist and wheel built from exactly the release commit's tree, in an isolated environment."""

    name: str = "build"
    phase: Phase = Phase.DEPLOY
    leaves_machine: bool = False

    def apply(self, ctx: Context) -> dict[str, Any]:
        assert ctx.release_sha
        source = ctx.scratch / "source"
        dist = ctx.scratch / "dist"
        ctx.git.export(ctx.release_sha, source)
        command = ctx.loaded.config.commands.build
        if command:
            run_shell(command, cwd=source)
            built = source / "dist"
            if not built.is_dir():
                raise ReleaseError(
                    Problem(
                        "the build command left no dist/ folder",
                        "commands.build",
                        "make the build command write its artifacts to dist/",
                    )
                )
            shutil.copytree(built, dist, dirs_exist_ok=True)
        else:
            run(
                [
                    sys.executable,
                    "-m",
                    "build",
                    "--sdist",
                    "--wheel",
                    "--outdir",
                    str(dist),
                    str(source),
                ],
                timeout=900,
            )
        ctx.artifacts = sorted(p for p in dist.iterdir() if p.suffix in (".whl", ".gz", ".zip"))
        if not ctx.artifacts:
            raise ReleaseError(
                Problem(
                    "the build produced no sdist or wheel",
                    "build",
                    "check the project's build backend settings",
                )
            )
        return {"artifacts": [_describe(p) for p in ctx.artifacts]}

    def undo(self, ctx: Context) -> str | None:
        shutil.rmtree(ctx.scratch / "dist", ignore_errors=True)
        shutil.rmtree(ctx.scratch / "source", ignore_errors=True)
        return None


def _describe(path: os.PathLike[str]) -> dict[str, str]:
    import hashlib
    from pathlib import Path

    p = Path(path)
    return {"file": p.name, "sha256": hashlib.sha256(p.read_bytes()).hexdigest()}


@dataclass
class Check:
    name: str = "twine check"
    phase: Phase = Phase.DEPLOY
    leaves_machine: bool = False

    def apply(self, ctx: Context) -> dict[str, Any]:
        run([sys.executable, "-m", "twine", "check", *map(str, ctx.artifacts)])
        return {}

    def undo(self, ctx: Context) -> str | None:
        return None


@dataclass
class Preflight:
    """Just before the point of no return: every index still reachable, the version still new."""

    name: str = "preflight"
    phase: Phase = Phase.DEPLOY
    leaves_machine: bool = False

    def apply(self, ctx: Context) -> dict[str, Any]:
        problems = []
        for target in ctx.plan.targets:
            index = ctx.indexes.get(target.name)
            if index is None:
                continue
            try:
                if target.version in published_files(index, ctx.distribution).values():
                    problems.append(
                        Problem(
                            f"{ctx.distribution} {target.version} appeared on "
                            f"{target.name} during the release",
                            target.name,
                            "someone else released it: check the index",
                        )
                    )
            except ReleaseError as exc:
                problems.extend(exc.problems)
        if problems:
            raise RegistryError(problems)
        return {}

    def undo(self, ctx: Context) -> str | None:
        return None


@dataclass
class Push:
    """`git push --atomic` of branch and tag: both land or neither does."""

    name: str = "push"
    phase: Phase = Phase.DEPLOY
    leaves_machine: bool = True

    def apply(self, ctx: Context) -> dict[str, Any]:
        assert ctx.plan.tag
        ctx.git.push_atomic(ctx.plan.remote, ctx.plan.branch, ctx.plan.tag)
        return {"remote": ctx.plan.remote, "branch": ctx.plan.branch, "tag": ctx.plan.tag}

    def undo(self, ctx: Context) -> str | None:
        """The post-push procedure: delete the remote tag, push a revert (never a force-push)."""
        assert ctx.plan.tag and ctx.release_sha
        remote, branch, tag = ctx.plan.remote, ctx.plan.branch, ctx.plan.tag
        if ctx.git.remote_has_tag(remote, tag):
            ctx.git.delete_remote_tag(remote, tag)
        if ctx.git.has_tag(tag):
            ctx.git.delete_tag(tag)
        revert = ctx.git.revert_commit(
            ctx.release_sha,
            f'Revert "chore(release): {tag}"\n\nThe release failed after the '
            f"push; this undoes it.\n\nThis reverts commit {ctx.release_sha}.",
        )
        ctx.reverted = True
        try:
            ctx.git.push_branch(remote, branch)
        except ReleaseError:
            return (
                f"push the revert commit {revert[:12]} to {remote}/{branch} "
                f"(git push {remote} {branch}); the release commit is there without its tag"
            )
        return None


@dataclass
class Publish:
    """Upload the artifacts to one PyPI-compatible index with twine."""

    target: str
    phase: Phase = Phase.DEPLOY
    leaves_machine: bool = True

    name: str = field(init=False)

    def __post_init__(self) -> None:
        self.name = f"publish {self.target}"

    def apply(self, ctx: Context) -> dict[str, Any]:
        index = ctx.indexes[self.target]
        ctx.target_status[self.target] = "publishing"
        upload(index, ctx.artifacts)
        ctx.target_status[self.target] = "published"
        return {"target": self.target, "files": [p.name for p in ctx.artifacts]}

    def undo(self, ctx: Context) -> str | None:
        index = ctx.indexes[self.target]
        version = next(t.version for t in ctx.plan.targets if t.name == self.target)
        if any(host in index.upload_url for host in _PYPI_HOSTS):
            ctx.target_status[self.target] = "burned"
            project = ctx.distribution
            return (
                f"PyPI never accepts {project} {version} again: yank it at "
                f"https://pypi.org/manage/project/{project}/release/{version}/ "
                f"(Options > Yank), then release the next version"
            )
        if remove_release(index, ctx.distribution, version):
            ctx.target_status[self.target] = "deleted"
            return None
        ctx.target_status[self.target] = "published"
        return f"delete {ctx.distribution} {version} from {self.target} by hand (the index refused)"


@dataclass
class Verify:
    """The exact version is listed, installs from that index alone, and imports."""

    target: str
    phase: Phase = Phase.DEPLOY
    leaves_machine: bool = False

    name: str = field(init=False)

    def __post_init__(self) -> None:
        self.name = f"verify {self.target}"

    def apply(self, ctx: Context) -> dict[str, Any]:
        index = ctx.indexes[self.target]
        target = next(t for t in ctx.loaded.config.targets if t.name == self.target)
        version = next(t.version for t in ctx.plan.targets if t.name == self.target)
        timeout = getattr(target, "verify_timeout", 120.0)
        attempts, waited = wait_until_listed(index, ctx.distribution, version, timeout=timeout)
        where = ctx.scratch / f"verify-{self.target}"
        where.mkdir(parents=True, exist_ok=True)
        bin_dir = install_in_fresh_venv(index, f"{ctx.distribution}=={version}", where)
        module = ctx.distribution.replace("-", "_").replace(".", "_").lower()
        run([str(bin_dir / "python"), "-c", f"import {module}"], cwd=where)
        health = ctx.loaded.config.commands.health
        if health:
            path = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
            run_shell(health, cwd=where, env={"PATH": path, "VIRTUAL_ENV": str(bin_dir.parent)})
        ctx.target_status[self.target] = "verified"
        return {
            "target": self.target,
            "listed_after_checks": attempts,
            "listed_after_seconds": round(waited, 2),
            "health": bool(health),
        }

    def undo(self, ctx: Context) -> str | None:
        return None
