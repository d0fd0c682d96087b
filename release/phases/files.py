"""Phases 2 and 3: write the files the plan prepared (version files; changelog, fragments, docs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from release.ops.files import read_text, write_text
from release.ops.process import run_shell
from release.steps import Context, Phase


@dataclass
class WriteFiles:
    """Write each planned file of one phase; undo puts back the exact old text."""

    name: str
    phase: Phase
    which: str  # FileRecord.phase
    leaves_machine: bool = False
    point_of_no_return: bool = False

    def _files(self, ctx: Context) -> list[Any]:
        return [f for f in ctx.record.files if f.phase == self.which]

    def done(self, ctx: Context) -> bool:
        return all(read_text(ctx.root / f.path) == f.new for f in self._files(ctx))

    def apply(self, ctx: Context) -> dict[str, Any]:
        changes = self._files(ctx)
        for change in changes:
            write_text(ctx.root / change.path, change.new)
        return {"files": [f.path for f in changes]}

    def undo(self, ctx: Context) -> str | None:
        if ctx.reverted:
            return None
        changed_since = []
        for change in self._files(ctx):
            current = read_text(ctx.root / change.path)
            if current == change.new:
                write_text(ctx.root / change.path, change.old)
            elif current != change.old:
                changed_since.append(change.path)
        if changed_since:
            return (
                f"{', '.join(changed_since)} changed after the release wrote them; left as they "
                "are: compare with the journal's copy and restore by hand"
            )
        return None


@dataclass
class VersionCommand:
    """Run the project's own version command (`npm run version:{bump}`) instead of editing files."""

    command: str
    name: str = "version command"
    phase: Phase = Phase.VERSION
    leaves_machine: bool = False
    point_of_no_return: bool = False

    def done(self, ctx: Context) -> bool:
        return bool(ctx.git.status_porcelain()) or ctx.git.head() != ctx.record.pre_sha

    def apply(self, ctx: Context) -> dict[str, Any]:
        # npm version must not commit or tag: ours are the only release commit and tag.
        run_shell(self.command, cwd=ctx.root, env={"npm_config_git_tag_version": "false"})
        return {"command": self.command}

    def undo(self, ctx: Context) -> str | None:
        if not ctx.reverted and ctx.git.head() == ctx.record.pre_sha:
            ctx.git.run("checkout", ctx.record.pre_sha, "--", ".")
        return None
