"""Phases 2 and 3: write the files the plan prepared (version files; changelog, fragments, docs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from release.ops.files import write_text
from release.ops.process import run_shell
from release.steps import Context, Phase


@dataclass
class WriteFiles:
    """Write each planned file of one phase; undo puts back the exact old text."""

    name: str
    phase: Phase
    which: str  # FileChange.phase
    leaves_machine: bool = False

    def apply(self, ctx: Context) -> dict[str, Any]:
        changes = [f for f in ctx.plan.files if f.phase == self.which]
        for change in changes:
            write_text(ctx.root / change.path, change.new)
        return {"files": [f.path for f in changes]}

    def undo(self, ctx: Context) -> str | None:
        if ctx.reverted:
            return None
        for change in ctx.plan.files:
            if change.phase == self.which:
                write_text(ctx.root / change.path, change.old)
        return None


@dataclass
class VersionCommand:
    """Run the project's own version command (`npm run version:{bump}`) instead of editing files."""

    command: str
    name: str = "version command"
    phase: Phase = Phase.VERSION
    leaves_machine: bool = False

    def apply(self, ctx: Context) -> dict[str, Any]:
        # npm version must not commit or tag: ours are the only release commit and tag.
        run_shell(self.command, cwd=ctx.root, env={"npm_config_git_tag_version": "false"})
        return {"command": self.command}

    def undo(self, ctx: Context) -> str | None:
        if not ctx.reverted:
            ctx.git.run("checkout", ctx.pre_sha, "--", ".")
        return None
