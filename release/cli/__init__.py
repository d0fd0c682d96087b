"""The command line: parse flags, call the package, turn errors into text and exit codes."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

from release.cli.output import new_console, problems, verbose_logging
from release.cli.parser import build_parser
from release.errors import ReleaseError
from release.masking import mask

# Each verb's module is imported when the verb runs: `--help` and a --json plan load
# only what they use (start-up time is most of a small plan's time).


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "verbose", False):
        verbose_logging()
    ci = bool(args.ci) or os.environ.get("CI", "").lower() in ("1", "true")
    try:
        if args.verb == "plan" or (args.verb == "push" and args.dry_run):
            from release.cli.verbs_plan import plan_command

            return plan_command(args, ci)
        console = new_console(ci, stderr=args.json)
        if args.verb == "journal":
            from release.cli.verbs_status import journal_command

            return journal_command(args, console)
        if args.verb == "status":
            from release.cli.verbs_status import status_command

            return status_command(args, console)
        if args.verb == "gates":
            from release.cli.verbs_check import gates_command

            return gates_command(args, console)
        if args.verb == "config":
            from release.cli.verbs_check import config_command

            return config_command(args, console)
        if args.verb == "init":
            from release.cli.verbs_init import init_command

            return init_command(args, console)
        from release.cli.verbs_push import act_command

        return act_command(args, console, ci)
    except ReleaseError as exc:
        if args.json:
            print(json.dumps({"error": problems(exc), "exit_code": exc.exit_code}))
        errors = new_console(ci, stderr=True)
        errors.print("[bold red]error[/]")
        errors.print(mask(str(exc)), markup=False)
        return exc.exit_code
    except KeyboardInterrupt:
        new_console(ci, stderr=True).print("interrupted", markup=False)
        return 130
