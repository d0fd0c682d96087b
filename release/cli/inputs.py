"""What the flags name: the configs a verb works on and the options of a plan."""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

from release.config import LoadedConfig, config_dir, find_config, load_config
from release.errors import Problem, UsageError
from release.plan import Options
from release.version import Bump


def configs(args: argparse.Namespace) -> list[Path]:
    if args.config is not None:
        if not args.config.exists():
            raise UsageError(Problem(f"no such file: {args.config}", "--config", "check the path"))
        return [args.config]
    if getattr(args, "all", False):
        found = sorted(config_dir().glob("*.toml"))
        if not found:
            raise UsageError(
                Problem(
                    f"no configs in {config_dir()}", "--all", "add configs/projects/NAME.toml files"
                )
            )
        kept = [path for path in found if _in_all(path)]
        for path in found:
            if path not in kept:
                print(
                    f"--all leaves out {path.stem} (in_all = false in {path.name}); "
                    f"name it to include it: --project {path.stem}",
                    file=sys.stderr,
                )
        return kept
    names = args.project if isinstance(args.project, list) else [args.project]
    return [find_config(name) for name in names]


def _in_all(path: Path) -> bool:
    # Read raw: a config too broken to load stays in, so its loading reports the problem.
    try:
        return tomllib.loads(path.read_text("utf-8")).get("in_all", True) is not False
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return True


def load(args: argparse.Namespace) -> LoadedConfig:
    (path,) = configs(args)
    return load_config(path)


def options(args: argparse.Namespace) -> Options:
    return Options(
        bump=Bump.from_label(args.bump) if args.bump else None,
        prerelease=args.prerelease,
        changelog=not getattr(args, "no_changelog", False),
        allow_empty_notes=args.allow_empty_notes,
        version=getattr(args, "next_version", None),
        date=_date(getattr(args, "date", None)),
    )


def _date(text: str | None) -> str:
    if text is None:
        return ""
    import datetime as dt

    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise UsageError(
            Problem(f"{text!r} is not a date", "--date", "write it as YYYY-MM-DD")
        ) from None
