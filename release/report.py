"""Phase 6: the deployment report, for people (terminal, Markdown) and machines (JSON)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from release.masking import mask, mask_data

if TYPE_CHECKING:
    from release.screen import Screen


class Outcome(Enum):
    RELEASED = "released"
    NOTHING = "nothing_to_release"
    ROLLED_BACK = "rolled_back"
    FAILED = "failed"
    NEEDS_OPERATOR = "needs_operator"


@dataclass
class TargetReport:
    name: str
    kind: str
    url: str
    version: str
    status: str
    detail: str = ""


@dataclass
class StepReport:
    name: str
    phase: int
    status: str
    seconds: float
    detail: str = ""


@dataclass
class Report:
    project: str
    version: str | None
    tag: str | None
    outcome: Outcome
    exit_code: int
    next_actor: str
    operator_action: str
    summary: str
    targets: list[TargetReport] = field(default_factory=list)
    steps: list[StepReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    started: str = ""
    seconds: float = 0.0
    commands_seconds: float = 0.0
    journal: str | None = None
    files: dict[str, str] = field(default_factory=dict)
    gates: list[dict[str, str]] = field(default_factory=list)
    # Filled after the report is written: each webhook told, and whether it heard.
    notifications: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def quiet(cls, project: str, version: str | None, tag: str | None, summary: str) -> Report:
        """A report of a run that changed nothing and leaves no one anything to do."""
        return cls(
            project=project,
            version=version,
            tag=tag,
            outcome=Outcome.NOTHING,
            exit_code=0,
            next_actor="none",
            operator_action="none",
            summary=summary,
        )

    def to_dict(self) -> dict[str, Any]:
        data = {
            "project": self.project,
            "version": self.version,
            "tag": self.tag,
            "outcome": self.outcome.value,
            "exit_code": self.exit_code,
            "summary": self.summary,
            "targets": [vars(t) for t in self.targets],
            "steps": [{**vars(s), "seconds": round(s.seconds, 3)} for s in self.steps],
            "problems": self.problems,
            "gates": self.gates,
            "started": self.started,
            "seconds": round(self.seconds, 3),
            "commands_seconds": round(self.commands_seconds, 3),
            "journal": self.journal,
            "reports": self.files,
            "next_actor": self.next_actor,
            "operator_action": self.operator_action,
        }
        if self.notifications:
            data["notifications"] = self.notifications
        masked: dict[str, Any] = mask_data(data)
        return masked

    def to_markdown(self) -> str:
        lines = [
            f"# Release report: {self.project} {self.version or ''}".rstrip(),
            "",
            f"**Outcome:** {self.outcome.value} — {self.summary}",
            "",
        ]
        if self.targets:
            lines += [
                "| target | kind | version | status | detail |",
                "| --- | --- | --- | --- | --- |",
            ]
            lines += [
                f"| {t.name} | {t.kind} | {t.version} | {t.status} | {t.detail} |"
                for t in self.targets
            ]
            lines.append("")
        if self.steps:
            lines += ["| phase | step | status | seconds |", "| --- | --- | --- | --- |"]
            lines += [
                f"| {s.phase} | {s.name} | {s.status} | {s.seconds:.1f} |" for s in self.steps
            ]
            lines.append("")
        if self.gates:
            lines += ["| gate | result | detail |", "| --- | --- | --- |"]
            for g in self.gates:
                first = g["detail"].splitlines()[0] if g["detail"] else ""
                lines.append(f"| {g['name']} | {g['status']} | {first} |")
            lines.append("")
        if self.problems:
            lines += ["## Problems", "", *[f"- {p}" for p in self.problems], ""]
        lines += [
            f"- Outcome: {self.outcome.value}",
            f"- Next actor: {self.next_actor}",
            f"- Operator action: {self.operator_action}",
            "",
        ]
        return mask("\n".join(lines))

    def print(self, console: Screen) -> None:
        from rich.markup import escape
        from rich.table import Table

        out = console.print
        color = {"released": "green", "nothing_to_release": "cyan"}.get(self.outcome.value, "red")
        out(
            f"\n[bold]{escape(self.project)} {escape(self.version or '')}[/]: "
            f"[bold {color}]{self.outcome.value}[/] — {escape(mask(self.summary))}"
        )
        if self.targets:
            table = Table("target", "kind", "version", "status", "detail", box=None)
            for t in self.targets:
                table.add_row(escape(t.name), t.kind, t.version, t.status, escape(mask(t.detail)))
            out(table)
        for gate in self.gates:
            if gate["status"] == "skipped":
                out(f"  gate {escape(gate['name'])} skipped ({escape(gate['detail'])})")
        for problem in self.problems:
            out(f"  - {escape(mask(problem))}")
        if self.seconds:
            own = max(self.seconds - self.commands_seconds, 0.0)
            out(f"  took {self.seconds:.1f} s ({own:.1f} s in the tool itself)")
        if self.files:
            out(f"  reports: {escape(', '.join(self.files.values()))}")
        for sent in self.notifications:
            out(f"  notified {escape(mask(sent['webhook']))}: {escape(mask(sent['status']))}")
        out(f"Outcome: {self.outcome.value}")
        out(f"Next actor: {escape(self.next_actor)}")
        out(f"Operator action: {escape(mask(self.operator_action))}")

    def write(self, directory: Path, stem: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        json_path = directory / f"{stem}.json"
        md_path = directory / f"{stem}.md"
        self.files = {"json": str(json_path), "markdown": str(md_path)}
        json_path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        md_path.write_text(self.to_markdown(), encoding="utf-8")
