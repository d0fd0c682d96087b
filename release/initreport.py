"""What `release init` says: each inferred answer with its reason (one package), or the table
of packages found (a monorepo), as text or as one JSON object."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from release.inference import Answer, Inference
from release.members import Monorepo

if TYPE_CHECKING:
    from release.screen import Screen


# Answers that are the repository's, not a package's: said once, at the top.
_SHARED = ("name", "tag format", "branch")


def _answers(pairs: list[tuple[str, Answer]]) -> dict[str, dict[str, Any]]:
    return {label: {"value": a.value, "why": a.why} for label, a in pairs}


def init_json(config: Path, files: list[Path], found: Inference | Monorepo) -> dict[str, Any]:
    written = {
        "config": str(config),
        "written": [str(p) for p in files],
        "added_to_repository": [str(p) for p in files if p != config],
    }
    if isinstance(found, Inference):
        return {
            **written,
            "inferred": _answers(found.answers()),
            "not_inferred": found.unknown(),
        }
    return {
        **written,
        "inferred": _answers(
            [
                ("name", found.name),
                ("branch", found.branch),
                ("tag format", found.tag_format),
                ("packages", Answer(len(found.packages), f"found from {found.source}")),
            ]
        ),
        "packages": [
            {
                "name": p.member.name,
                "path": p.member.path,
                "kind": p.member.kind,
                "version": p.version,
                "tag_format": p.tag_format.value,
                "requires": list(p.member.requires),
                "inferred": _answers(
                    [("tag format", p.tag_format)]
                    + [(k, a) for k, a in p.found.answers() if k not in _SHARED]
                ),
            }
            for p in found.packages
        ],
        "notes": list(found.notes),
        "not_inferred": found.unknown(),
    }


def print_init(console: Screen, path: Path, found: Inference | Monorepo) -> None:
    from rich.markup import escape
    from rich.table import Table

    if isinstance(found, Inference):
        table = Table("setting", "inferred", "why", title=f"inferred from {path}")
        for label, answer in found.answers():
            shown = "-" if answer.value in (None, "", [], {}) else json.dumps(answer.value)
            table.add_row(label, escape(shown), escape(answer.why))
        console.print(table)
        unknown = found.unknown()
    else:
        title = f"{len(found.packages)} packages in {path} ({found.source})"
        table = Table("package", "path", "kind", "version", "tag format", title=escape(title))
        for p in found.packages:
            m = p.member
            row = (m.name, m.path, m.kind, p.version, str(p.tag_format.value))
            table.add_row(*(escape(cell) for cell in row))
        console.print(table)
        for note in found.notes:
            console.print(f"note: {note}", markup=False)
        unknown = found.unknown()
    for item in unknown:
        console.print(f"could not infer {item}", markup=False)
