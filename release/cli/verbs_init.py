"""`release init`: infer a config for an existing repository and write it (and a scaffold)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from release.config import config_dir, load_config
from release.errors import Problem, UsageError
from release.names import SAFE_NAME_RULE, name_problem

if TYPE_CHECKING:
    from release.screen import Screen


def init_command(args: argparse.Namespace, console: Screen) -> int:
    from release.detect import init_files
    from release.initreport import init_json, print_init
    from release.ops.files import write_text

    if not (args.path / ".git").exists():
        raise UsageError(
            Problem(
                f"{args.path} is not a git repository",
                "--path",
                "point --path at the project's clone",
            )
        )
    if args.name is not None and (problem := name_problem(args.name)):
        raise UsageError(Problem(f"{problem}: {SAFE_NAME_RULE}", "--name", "choose another --name"))
    files, found = init_files(args.path, config_dir(), args.name, args.scaffold)
    config = next(iter(files))
    if problem := name_problem(config.stem):
        raise UsageError(
            Problem(f"the inferred name {problem}", "--name", f"pass --name: {SAFE_NAME_RULE}")
        )
    if config.exists():
        raise UsageError(
            Problem(
                f"{config} already exists",
                "--name",
                "choose another --name, or edit the existing config",
            )
        )
    for path, text in files.items():
        write_text(path, text)
    load_config(config)  # what init wrote must load
    added = [str(p) for p in files if p != config]
    if args.json:
        print(json.dumps(init_json(config, list(files), found), indent=2))
        return 0
    print_init(console, args.path, found)
    console.print(f"wrote {config}", markup=False)
    for item in added:
        console.print(f"added to the repository (--scaffold): {item}", markup=False)
    console.print(f"next: release plan --project {config.stem}", markup=False)
    return 0
