"""`release gates` and `release config`: check a config and its repository without releasing."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from release.cli.inputs import load
from release.cli.output import new_console, problems
from release.cli.verbs_plan import whole_plan
from release.config import config_dir, load_config
from release.errors import ReleaseError
from release.masking import mask
from release.plan import Plan

if TYPE_CHECKING:
    from release.screen import Screen


def gates_command(args: argparse.Namespace, console: Screen) -> int:
    from release.phases.gates import run_gates
    from release.progress import Progress

    loaded = load(args)
    progress = Progress(new_console(args.ci, stderr=True), plain=True, quiet=not args.ci)
    plan = whole_plan(loaded)
    if isinstance(plan, Plan):
        results, failures = run_gates(plan, loaded, {}, progress)
    else:
        # A set: each package's gates, the repository's own (branch, secrets, ...) once.
        from dataclasses import replace

        results, failures = [], []
        for index, package in enumerate(plan.packages):
            found, failed = run_gates(
                package.plan, package.loaded, {}, progress, repository=index == 0
            )
            results += [replace(r, name=f"{r.name} [{package.name}]") for r in found]
            failures += [replace(p, what=f"{package.name}: {p.what}") for p in failed]
    if args.json:
        print(
            json.dumps(
                {
                    "project": loaded.config.name,
                    "gates": [r.to_dict() for r in results],
                    "passed": not failures,
                    "problems": [mask(str(p)) for p in failures],
                },
                indent=2,
            )
        )
    else:
        from rich.markup import escape
        from rich.table import Table

        table = Table("gate", "result", "detail", title=f"gates of {loaded.config.name}")
        for r in results:
            colour = {"passed": "green", "failed": "red"}.get(r.status, "yellow")
            table.add_row(escape(r.name), f"[{colour}]{r.status}[/]", escape(mask(r.detail)))
        console.print(table)
        for problem in failures:
            console.print(f"  - {escape(mask(str(problem)))}")
    return 2 if failures else 0


def config_command(args: argparse.Namespace, console: Screen) -> int:
    if args.action == "schema":
        from release.schema import schema_text

        print(schema_text(), end="")
        return 0
    if args.action == "reference":
        from release.schema import reference_markdown

        print(reference_markdown(), end="")
        return 0
    files = args.files or sorted(config_dir().glob("*.toml"))
    results: list[dict[str, Any]] = []
    for path in files:
        try:
            # The plan's own reading of the repository (all but the network): "ok" here
            # means `plan` accepts the config too.
            whole_plan(load_config(path))
            results.append({"config": str(path), "ok": True, "problems": []})
        except ReleaseError as exc:
            results.append({"config": str(path), "ok": False, "problems": problems(exc)})
    if args.json:
        print(json.dumps({"configs": results}, indent=2))
    else:
        for r in results:
            console.print(f"{'ok  ' if r['ok'] else 'FAIL'} {r['config']}", markup=False)
            for p in r["problems"]:
                console.print(f"     {p['what']}\n       fix: {p['fix']}", markup=False)
    return 0 if all(r["ok"] for r in results) else 2
