"""Phase 5, the shared part: the last gate before the point of no return, and the atomic push.

The per-registry steps (build, publish, verify) live in `pypi.py` and `npm.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from release.errors import CommandError, Problem, ReleaseError
from release.ops.http import RegistryError
from release.phases.validate import on_target
from release.record import VERIFIED_REFS
from release.steps import Context, Phase

# What git says when the remote branch moved on (someone pushed between validation and push).
_MOVED_ON = ("[rejected]", "fetch first", "non-fast-forward", "stale info")


class RemoteMovedOn(ReleaseError):
    """The atomic push was refused because the remote branch moved on: pull, then push again."""

    exit_code = 1


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
        problems: list[Problem] = []
        names = (ctx.record.distribution, ctx.record.npm_package)
        for target in ctx.record.targets:
            if target.name not in ctx.indexes and target.name not in ctx.npm:
                continue  # a forge release: nothing to find before the tag is out
            try:
                package, there = on_target(target.name, target.version, names, ctx.indexes, ctx.npm)
            except ReleaseError as exc:
                problems.extend(exc.problems)
                continue
            if there:
                problems.append(
                    Problem(
                        f"{package} {target.version} appeared on {target.name} during the release",
                        target.name,
                        "someone else released it: check the registry",
                    )
                )
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
            ctx.git.remote_tags(r.remote, r.tags) == set(r.tags)
            and ctx.git.remote_branch_sha(r.remote, r.branch) == r.release_sha
        )

    def apply(self, ctx: Context) -> dict[str, Any]:
        r = ctx.record
        try:
            ctx.git.push_atomic(r.remote, r.branch, *r.tags)
        except CommandError as exc:
            if not any(word in exc.output for word in _MOVED_ON):
                raise
            raise RemoteMovedOn(
                Problem(
                    f"{r.remote} refused the push: {r.branch} there moved on since validation "
                    "(someone pushed meanwhile)",
                    f"{r.remote}/{r.branch}",
                    f"git pull --rebase {r.remote} {r.branch}, then push again",
                )
            ) from exc
        return {"remote": r.remote, "branch": r.branch, "tags": r.tags}

    def undo(self, ctx: Context) -> str | None:
        """The post-push procedure: delete the remote tag, push a revert (never a force-push)."""
        r = ctx.record
        if r.release_sha is None:
            return None  # no release commit was ever made, so nothing was pushed
        for tag in sorted(ctx.git.remote_tags(r.remote, r.tags)):
            ctx.git.delete_remote_tag(r.remote, tag)
            ctx.undone_remotely.append(f"the tag {tag} was deleted from {r.remote}")
        for tag in r.tags:
            if ctx.git.tag_target(tag) == r.release_sha:
                ctx.git.delete_tag(tag)
        remote_tip = ctx.git.fetch(r.remote, r.branch)
        if remote_tip is None or not ctx.git.is_ancestor(r.release_sha, remote_tip):
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
        ctx.undone_remotely.append(f"a revert commit {revert[:12]} was pushed to {r.branch}")
        return None


@dataclass
class RecordVerified:
    """A ref on the remote saying the release was verified on every target.

    The world's own record that a release finished: a fresh clone has no journal, and a
    job killed during verification leaves every file on the registries, so without this
    ref nothing outside the dead runner would say the verification never ended.
    """

    name: str = "record"
    phase: Phase = Phase.DEPLOY
    leaves_machine: bool = True
    point_of_no_return: bool = False

    def _ref(self, ctx: Context) -> str:
        return VERIFIED_REFS + ctx.record.tag

    def done(self, ctx: Context) -> bool:
        ref = self._ref(ctx)
        return ctx.git.remote_refs(ctx.record.remote, ref).get(ref) == ctx.record.release_sha

    def apply(self, ctx: Context) -> dict[str, Any]:
        assert ctx.record.release_sha
        try:
            ctx.git.push_ref(ctx.record.remote, ctx.record.release_sha, self._ref(ctx))
        except ReleaseError as exc:
            # Everything is published and verified: a remote refusing this ref must not
            # roll the release back. Only a later fresh-clone push re-verifies it.
            ctx.progress.warn(f"could not record the verification on the remote: {exc}")
            return {"recorded": False}
        return {"recorded": True, "ref": self._ref(ctx)}

    def undo(self, ctx: Context) -> str | None:
        ref = self._ref(ctx)
        if ctx.git.remote_refs(ctx.record.remote, ref):
            ctx.git.delete_remote_ref(ctx.record.remote, ref)
        return None
