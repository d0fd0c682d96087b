"""Phase 5: build from the release commit, push branch and tag atomically, publish, verify."""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
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
from release.version import Bump, Version

_PYPI_HOSTS = ("upload.pypi.org", "test.pypi.org")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Build:
    """sdist and wheel built from exactly the release commit's tree, in an isolated environment.

    The artifacts are kept with the journal, so a resumed release uploads the very same files.
    """

    name: str = "build"
    phase: Phase = Phase.DEPLOY
    leaves_machine: bool = False
    point_of_no_return: bool = False

    def done(self, ctx: Context) -> bool:
        arts = ctx.record.artifacts
        return bool(arts) and all(
            (ctx.artifacts_dir / a["file"]).is_file()
            and _sha256(ctx.artifacts_dir / a["file"]) == a["sha256"]
            for a in arts
        )

    def apply(self, ctx: Context) -> dict[str, Any]:
        assert ctx.record.release_sha
        source = ctx.scratch / "source"
        out = ctx.scratch / "dist"
        shutil.rmtree(source, ignore_errors=True)
        ctx.git.export(ctx.record.release_sha, source)
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
            shutil.copytree(built, out, dirs_exist_ok=True)
        else:
            run(
                [
                    sys.executable,
                    "-m",
                    "build",
                    "--sdist",
                    "--wheel",
                    "--outdir",
                    str(out),
                    str(source),
                ],
                timeout=900,
            )
        files = sorted(p for p in out.iterdir() if p.name.endswith((".whl", ".tar.gz", ".zip")))
        if not files:
            raise ReleaseError(
                Problem(
                    "the build produced no sdist or wheel",
                    "build",
                    "check the project's build backend settings",
                )
            )
        shutil.rmtree(ctx.artifacts_dir, ignore_errors=True)
        ctx.artifacts_dir.mkdir(parents=True)
        for path in files:
            shutil.copy2(path, ctx.artifacts_dir / path.name)
        ctx.record.artifacts = [{"file": p.name, "sha256": _sha256(p)} for p in files]
        return {"artifacts": ctx.record.artifacts}

    def undo(self, ctx: Context) -> str | None:
        shutil.rmtree(ctx.artifacts_dir, ignore_errors=True)
        return None


@dataclass
class Check:
    name: str = "twine check"
    phase: Phase = Phase.DEPLOY
    leaves_machine: bool = False
    point_of_no_return: bool = False

    def done(self, ctx: Context) -> bool:
        return False  # read-only and quick: always run again

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
    point_of_no_return: bool = False

    def done(self, ctx: Context) -> bool:
        # Once the tag is out, the release is past this gate (a resume must not stop here).
        return ctx.git.remote_has_tag(ctx.record.remote, ctx.record.tag)

    def apply(self, ctx: Context) -> dict[str, Any]:
        problems = []
        for target in ctx.record.targets:
            index = ctx.indexes.get(target.name)
            if index is None:
                continue
            try:
                if target.version in published_files(index, ctx.record.distribution).values():
                    problems.append(
                        Problem(
                            f"{ctx.record.distribution} {target.version} appeared on "
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
    point_of_no_return: bool = False

    def done(self, ctx: Context) -> bool:
        r = ctx.record
        return (
            ctx.git.remote_has_tag(r.remote, r.tag)
            and ctx.git.remote_branch_sha(r.remote, r.branch) == r.release_sha
        )

    def apply(self, ctx: Context) -> dict[str, Any]:
        r = ctx.record
        ctx.git.push_atomic(r.remote, r.branch, r.tag)
        return {"remote": r.remote, "branch": r.branch, "tag": r.tag}

    def undo(self, ctx: Context) -> str | None:
        """The post-push procedure: delete the remote tag, push a revert (never a force-push)."""
        r = ctx.record
        if r.release_sha is None:
            return None  # no release commit was ever made, so nothing was pushed
        if ctx.git.remote_has_tag(r.remote, r.tag):
            ctx.git.delete_remote_tag(r.remote, r.tag)
        if ctx.git.tag_target(r.tag) == r.release_sha:
            ctx.git.delete_tag(r.tag)
        ctx.git.fetch(r.remote, r.branch)
        upstream = f"refs/remotes/{r.remote}/{r.branch}"
        remote_tip = ctx.git.out("rev-parse", upstream)
        if not ctx.git.is_ancestor(r.release_sha, remote_tip):
            return None  # the release commit never reached the branch
        if ctx.git.tree(remote_tip) == ctx.git.tree(r.pre_sha):
            ctx.reverted = True  # already reverted
            return None
        if ctx.git.head() != remote_tip:
            return (
                f"{r.branch} here is not at {r.remote}/{r.branch}: update it, then revert "
                f"{r.release_sha[:12]} and push (git revert {r.release_sha[:12]})"
            )
        revert = ctx.git.revert_commit(
            r.release_sha,
            f'Revert "chore(release): {r.tag}"\n\nThe release is rolled back.\n\n'
            f"This reverts commit {r.release_sha}.",
        )
        ctx.reverted = True
        try:
            ctx.git.push_branch(r.remote, r.branch)
        except ReleaseError:
            return (
                f"push the revert commit {revert[:12]} to {r.remote}/{r.branch} "
                f"(git push {r.remote} {r.branch}); the release commit is there without its tag"
            )
        return None


@dataclass
class Publish:
    """Upload the artifacts to one PyPI-compatible index with twine."""

    target: str
    phase: Phase = Phase.DEPLOY
    leaves_machine: bool = True
    point_of_no_return: bool = True
    name: str = field(init=False)

    def __post_init__(self) -> None:
        self.name = f"publish {self.target}"

    def done(self, ctx: Context) -> bool:
        index = ctx.indexes[self.target]
        version = ctx.record.target_version(self.target)
        return version in published_files(index, ctx.record.distribution).values()

    def apply(self, ctx: Context) -> dict[str, Any]:
        index = ctx.indexes[self.target]
        ctx.target_status[self.target] = "publishing"
        upload(index, ctx.artifacts)
        ctx.target_status[self.target] = "published"
        return {"target": self.target, "files": [p.name for p in ctx.artifacts]}

    def undo(self, ctx: Context) -> str | None:
        index = ctx.indexes[self.target]
        version = ctx.record.target_version(self.target)
        project = ctx.record.distribution
        if version not in published_files(index, project).values():
            return None
        if any(host in index.upload_url for host in _PYPI_HOSTS):
            ctx.target_status[self.target] = "burned"
            following = Version.parse(version).bump(Bump.PATCH).pep440()
            return (
                f"PyPI never accepts {project} {version} again (burned): yank it at "
                f"https://pypi.org/manage/project/{project}/release/{version}/ "
                f"(Options > Yank), then release {following} (release push --bump patch)"
            )
        if remove_release(index, project, version):
            ctx.target_status[self.target] = "deleted"
            return None
        ctx.target_status[self.target] = "published"
        return f"delete {project} {version} from {self.target} by hand (the index refused)"


@dataclass
class Verify:
    """The exact version is listed, installs from that index alone, imports, and is healthy."""

    target: str
    phase: Phase = Phase.DEPLOY
    leaves_machine: bool = False
    point_of_no_return: bool = False
    name: str = field(init=False)

    def __post_init__(self) -> None:
        self.name = f"verify {self.target}"

    def done(self, ctx: Context) -> bool:
        return False  # verification is read-only: always run it again

    def apply(self, ctx: Context) -> dict[str, Any]:
        index = ctx.indexes[self.target]
        target = next(t for t in ctx.loaded.config.targets if t.name == self.target)
        version = ctx.record.target_version(self.target)
        project = ctx.record.distribution
        timeout = getattr(target, "verify_timeout", 120.0)
        attempts, waited = wait_until_listed(index, project, version, timeout=timeout)
        where = ctx.scratch / f"verify-{self.target}"
        shutil.rmtree(where, ignore_errors=True)
        where.mkdir(parents=True)
        bin_dir = install_in_fresh_venv(index, f"{project}=={version}", where)
        module = project.replace("-", "_").replace(".", "_").lower()
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
