"""The command line: parse flags, call the package, turn errors into text and exit codes."""

from __future__ import annotations

import atexit
import gc
import json
import os
import sys
import threading
from collections.abc import Sequence
from typing import NoReturn

from release.cli.output import new_console, problems, verbose_logging
from release.cli.parser import build_parser
from release.errors import ReleaseError
from release.masking import mask

# Each verb's module is imported when the verb runs: `--help` and a --json plan load
# only what they use (start-up time is most of a small plan's time).


def run() -> NoReturn:
    """The process's entry point (the `release` script, `python -m release`): main(), then
    an exit that leaves tearing down the modules to the operating system. A process about
    to vanish gains nothing from it, and it is 60 ms of a push (gitpython, pydantic...)."""
    # A process this short frees its garbage by reference counting; the collector's passes
    # over the imported modules' objects are a tenth of its start-up.
    gc.disable()
    code = main()
    main_thread = threading.main_thread()
    if any(t.is_alive() and not t.daemon and t is not main_thread for t in threading.enumerate()):
        raise SystemExit(code)  # work still running: the ordinary exit waits for it
    if sys.getprofile() is not None or sys.gettrace() is not None:
        raise SystemExit(code)  # a profiler or coverage writes its figures at the exit
    atexit._run_exitfuncs()  # what any exit runs: logging's flush, finalizers
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        code = code or 1  # a closed pipe: the output is lost, say so with the exit code
    os._exit(code)


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
