"""`release journal` and `release status`: what was released, and where it stands now."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from release.cli.inputs import configs, load
from release.config import load_config
from release.masking import mask, mask_data

if TYPE_CHECKING:
    from release.screen import Screen


def journal_command(args: argparse.Namespace, console: Screen) -> int:
    from release.journal import journals, state_dir, summarize

    loaded = load(args)
    directory = state_dir(loaded.root, loaded.config.name)
    rows = []
    for journal in journals(directory):
        summary = summarize(journal)
        if summary is None:
            continue
        record = summary.header["record"]
        rows.append(
            {
                "version": record["version"],
                "tag": record["tag"],
                "state": summary.state,
                "steps_done": list(summary.done),
                "failed_step": summary.failed,
                "journal": str(journal.path),
            }
        )
    if args.json:
        print(json.dumps({"project": loaded.config.name, "releases": rows}, indent=2))
        return 0
    if not rows:
        console.print(f"no journaled releases of {loaded.config.name} in {directory}")
    for row in rows:
        console.print(
            f"{row['tag']:<16} {row['state']:<16} done: {', '.join(row['steps_done'])}",
            markup=False,
        )
    return 0


def status_command(args: argparse.Namespace, console: Screen) -> int:
    from release.status import statuses

    if args.env_file is not None:
        from release.envfile import apply_env_file

        apply_env_file(args.env_file)
    found = statuses([load_config(p) for p in configs(args)], tuple(args.package))
    # --check: drift (or a registry that cannot be asked) fails a scheduled CI job.
    drifted = args.check and any(
        s.drift or not s.remote_reachable or not all(t.reachable for t in s.targets) for s in found
    )
    if args.json:
        print(json.dumps(mask_data({"projects": [s.to_dict() for s in found]}), indent=2))
        return 1 if drifted else 0
    from rich.markup import escape
    from rich.table import Table

    for s in found:
        table = Table("where", "version", title=f"{s.project}", title_justify="left", box=None)
        table.add_row("version files", s.files_version or "-")
        table.add_row("last local tag", s.local_tag or "-")
        table.add_row(
            "last remote tag", (s.remote_tag or "-") if s.remote_reachable else "(unreachable)"
        )
        for t in s.targets:
            tags = ", ".join(f"{k}={v}" for k, v in t.dist_tags.items() if k != "latest")
            value = (t.latest or "nothing") + (f"  [{tags}]" if tags else "")
            table.add_row(f"{t.name} ({t.kind})", value if t.reachable else "(unreachable)")
        if s.journal_version:
            table.add_row("journal", f"{s.journal_version}: {s.journal_state}")
        console.print(table)
        for note in s.drift:
            console.print(f"  [yellow]drift[/] {escape(mask(note))}")
        if not s.drift:
            console.print("  [green]in sync[/]")
    return 1 if drifted else 0
