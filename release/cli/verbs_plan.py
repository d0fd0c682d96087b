"""`release plan` (and `push --dry-run`): build the plans the flags ask for and print them."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from release.cli.inputs import configs, options
from release.cli.output import new_console
from release.config import LoadedConfig, load_config
from release.errors import Problem, UsageError
from release.masking import mask_data
from release.plan import Options, Plan, build_plan

if TYPE_CHECKING:
    from release.setplan import SetPlan

# The renderer is imported where it is used: a --json plan never loads rich.


def plan_command(args: argparse.Namespace, ci: bool) -> int:
    from release.render import plan_to_dict

    if getattr(args, "path", None) is not None:
        from release.detect import inferred

        if not args.path.is_dir():
            raise UsageError(
                Problem(f"{args.path} is not a folder", "--path", "point --path at a clone")
            )
        loaded, text = inferred(args.path)
        if not args.json:
            console = new_console(ci, stderr=False)
            console.print("[bold]Inferred config[/] (save it to keep it):")
            console.print(text, markup=False)
        plans: list[Plan | SetPlan] = [_plan_of(loaded, args)]
        inferred_text: str | None = text
    else:
        plans = [_plan_of(load_config(p), args) for p in configs(args)]
        inferred_text = None
    if args.json:
        data = [plan_to_dict(p) for p in plans]
        out: dict[str, Any] = data[0] if len(data) == 1 else {"plans": data}
        if inferred_text is not None:
            out["inferred_config"] = inferred_text
        json.dump(mask_data(out), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    from release.render import print_plan

    console = new_console(ci, stderr=False)
    for plan in plans:
        print_plan(plan, console)
    return 0


def whole_plan(loaded: LoadedConfig) -> Plan | SetPlan:
    """The plan of a config as it is: one package's, or the set's. A release without notes
    yet is a state of the repository, not a problem of the config or the gates."""
    whole = Options(allow_empty_notes=True)
    if not loaded.is_set:
        return build_plan(loaded, whole)
    from release.setplan import build_set_plan

    return build_set_plan(loaded, whole)


def _plan_of(loaded: LoadedConfig, args: argparse.Namespace) -> Plan | SetPlan:
    if not loaded.is_set:
        if args.package:
            raise UsageError(
                Problem(
                    f"{loaded.config.name} is one package: --package names one of a set",
                    "--package",
                    "leave --package out, or add [[packages]] to the config",
                )
            )
        return build_plan(loaded, options(args))
    from release.setplan import build_set_plan

    return build_set_plan(loaded, options(args), tuple(args.package), not args.no_dependents)
