"""Phase 4: the release commit and its annotated tag, made with gitpython."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from release.ops.git import Person, gitpython_repo, signature
from release.steps import Context, Phase
from release.warmup import settle

if TYPE_CHECKING:
    import git as gitpython


@dataclass
class Commit:
    name: str = "release commit"
    phase: Phase = Phase.COMMIT
    leaves_machine: bool = False
    point_of_no_return: bool = False

    def done(self, ctx: Context) -> bool:
        head = ctx.git.head()
        if head is None or head == ctx.record.pre_sha:
            return False
        if ctx.record.release_sha:
            return head == ctx.record.release_sha
        # A crash between the commit and its journal record: recognise the commit itself.
        parent = ctx.git.out("rev-parse", f"{head}^")
        message = ctx.git.out("log", "-1", "--format=%B", head)
        if parent == ctx.record.pre_sha and message.strip() == ctx.record.commit_message.strip():
            ctx.record.release_sha = head
            return True
        return False

    def apply(self, ctx: Context) -> dict[str, Any]:
        settle("git")
        repo = gitpython_repo(ctx.git.root)
        # Absolute: a project in a folder of its repository has its paths from that folder.
        written = [str(ctx.root / f.path) for f in ctx.record.files if f.new is not None]
        if ctx.record.version_command or any(p.version_command for p in ctx.record.packages):
            # The version command decides which files it touches: take what it changed.
            written += [d.a_path for d in repo.index.diff(None) if d.a_path]
        if written:
            repo.index.add(sorted(set(written)))
        removed = [str(ctx.root / f.path) for f in ctx.record.files if f.new is None]
        if removed:
            repo.index.remove(removed)
        repo.index.write()
        # Made by the people, at the second, the builds ahead planned: the commit they built.
        # Otherwise by whom git itself would name (`git var`), dated now or by the user's
        # GIT_*_DATE; where git knows no one, gitpython's own defaults.
        who = (ctx.prebuild.signature() if ctx.prebuild else None) or signature(ctx.git, "")
        commit = repo.index.commit(
            ctx.record.commit_message,
            parent_commits=[repo.commit(ctx.record.pre_sha)],
            head=True,
            author=_actor(who.author) if who else None,
            committer=_actor(who.committer) if who else None,
            author_date=(who and who.date) or None,
            commit_date=(who and who.date) or None,
        )
        ctx.record.release_sha = commit.hexsha
        return {"sha": commit.hexsha, "parent": ctx.record.pre_sha}

    def undo(self, ctx: Context) -> str | None:
        if ctx.reverted:
            return None
        if not self.done(ctx):
            # Nothing committed, but the release's files may be staged: unstage those only.
            paths = [f.path for f in ctx.record.files]
            if paths and ctx.git.head() == ctx.record.pre_sha:
                ctx.git.reset_index(ctx.record.pre_sha, paths)
            return None
        assert ctx.record.release_sha
        ctx.git.move_branch(ctx.record.branch, ctx.record.pre_sha, ctx.record.release_sha)
        ctx.git.reset_index(ctx.record.pre_sha)
        return None


def _actor(person: Person) -> gitpython.Actor:
    import git as gitpython

    return gitpython.Actor(person.name, person.email)


@dataclass
class Tag:
    name: str = "annotated tag"
    phase: Phase = Phase.COMMIT
    leaves_machine: bool = False
    point_of_no_return: bool = False

    def done(self, ctx: Context) -> bool:
        sha = ctx.git.tag_target(ctx.record.tag)
        return sha is not None and sha == ctx.record.release_sha

    def apply(self, ctx: Context) -> dict[str, Any]:
        assert ctx.record.release_sha
        settle("git")
        repo = gitpython_repo(ctx.git.root)
        repo.create_tag(
            ctx.record.tag,
            ref=ctx.record.release_sha,
            message=f"{ctx.record.project} {ctx.record.version}",
        )
        return {"tag": ctx.record.tag, "sha": ctx.record.release_sha}

    def undo(self, ctx: Context) -> str | None:
        target = ctx.git.tag_target(ctx.record.tag)
        if target is None:
            return None
        if ctx.record.release_sha and target != ctx.record.release_sha:
            return (
                f"tag {ctx.record.tag} points at {target[:12]}, not the release: check it by hand"
            )
        ctx.git.delete_tag(ctx.record.tag)
        return None
