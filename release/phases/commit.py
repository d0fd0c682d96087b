"""Phase 4: the release commit and its annotated tag, made with gitpython."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import git as gitpython

from release.steps import Context, Phase


@dataclass
class Commit:
    name: str = "release commit"
    phase: Phase = Phase.COMMIT
    leaves_machine: bool = False

    def apply(self, ctx: Context) -> dict[str, Any]:
        repo = gitpython.Repo(ctx.root)
        if ctx.loaded.config.version.command:
            # The version command decides which files it touches: take what it changed.
            changed = [d.a_path for d in repo.index.diff(None) if d.a_path]
            written = [f.path for f in ctx.plan.files if f.new is not None]
            repo.index.add(sorted({*changed, *written}))
        else:
            repo.index.add([f.path for f in ctx.plan.files if f.new is not None])
        removed = [f.path for f in ctx.plan.files if f.new is None]
        if removed:
            repo.index.remove(removed)
        repo.index.write()
        message = (
            f"chore(release): {ctx.plan.tag}\n\n"
            f"Released by release-push: {ctx.plan.project} {ctx.plan.next_version_str}."
        )
        commit = repo.index.commit(message, parent_commits=[repo.commit(ctx.pre_sha)], head=True)
        ctx.release_sha = commit.hexsha
        return {"sha": commit.hexsha, "parent": ctx.pre_sha}

    def undo(self, ctx: Context) -> str | None:
        if ctx.reverted or ctx.release_sha is None:
            return None
        ctx.git.move_branch(ctx.plan.branch, ctx.pre_sha, ctx.release_sha)
        ctx.git.reset_index(ctx.pre_sha)
        return None


@dataclass
class Tag:
    name: str = "annotated tag"
    phase: Phase = Phase.COMMIT
    leaves_machine: bool = False

    def apply(self, ctx: Context) -> dict[str, Any]:
        assert ctx.plan.tag and ctx.release_sha
        repo = gitpython.Repo(ctx.root)
        repo.create_tag(
            ctx.plan.tag,
            ref=ctx.release_sha,
            message=f"{ctx.plan.project} {ctx.plan.next_version_str}",
        )
        return {"tag": ctx.plan.tag, "sha": ctx.release_sha}

    def undo(self, ctx: Context) -> str | None:
        assert ctx.plan.tag
        if ctx.git.has_tag(ctx.plan.tag):
            ctx.git.delete_tag(ctx.plan.tag)
        return None
