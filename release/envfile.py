"""Credentials from a file: KEY=VALUE lines, accepted only when no one else can read the file."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from release.errors import Problem, UsageError
from release.masking import register_secret

# Values of these keys are masked everywhere; a user name is not a secret (and masking
# it would hide every word that happens to equal it).
_SECRET_KEY = re.compile(r"PASS|TOKEN|SECRET|KEY|AUTH|CREDENTIAL", re.IGNORECASE)


def load_env_file(path: Path) -> dict[str, str]:
    """Read an env file that only its owner can read (mode 0600 or stricter)."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise UsageError(
            Problem(f"cannot read {path} ({exc.strerror})", "--env-file", "check the path")
        ) from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise UsageError(
            Problem(
                f"{path} can be read by others (mode {stat.S_IMODE(mode):04o})",
                "--env-file",
                f"chmod 600 {path}",
            )
        )
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(
            Problem(f"{path} is not UTF-8 text", "--env-file", "save it as UTF-8")
        ) from exc
    except OSError as exc:
        raise UsageError(
            Problem(f"cannot read {path} ({exc.strerror})", "--env-file", "check the path")
        ) from exc
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.removeprefix("export ").partition("=")
        if not sep or not key.strip().isidentifier() or "\0" in value:
            raise UsageError(
                Problem(
                    f"line {number} is not KEY=VALUE (a name, '=', a value without NUL)",
                    f"{path}:{number}",
                    "write one KEY=VALUE per line",
                )
            )
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
        if _SECRET_KEY.search(key):
            register_secret(value)
    return values


def apply_env_file(path: Path) -> None:
    """Put the file's values in this process's environment (the variables a config names)."""
    os.environ.update(load_env_file(path))
