"""The error model: one root, typed subclasses; only the CLI turns them into text and exit codes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong, where it is, and how to fix it."""

    what: str
    where: str = ""
    fix: str = ""

    def __str__(self) -> str:
        head = f"{self.where}: {self.what}" if self.where else self.what
        return f"{head}\n    fix: {self.fix}" if self.fix else head


class ReleaseError(Exception):
    """Root of every error the tool raises on purpose.

    `exit_code` follows the command-line contract: 2 means bad input and
    nothing was changed.
    """

    exit_code = 2
    # True when a retry may succeed (a registry that went away): past the point of no
    # return, the run stops resumable instead of undoing a good release.
    resumable = False

    def __init__(self, problems: Problem | Iterable[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = Problem(problems)
        self.problems: Sequence[Problem] = (
            (problems,) if isinstance(problems, Problem) else tuple(problems)
        )
        super().__init__("\n".join(str(p) for p in self.problems))


class ConfigError(ReleaseError):
    """A project config is missing, malformed or invalid: fix the file named in each problem."""


class UsageError(ReleaseError):
    """The command line asks for something impossible: fix the flags."""


class RepositoryError(ReleaseError):
    """The repository is not in a state a release can start from (branch, tags, files)."""


class VersionError(ReleaseError):
    """A version could not be read, parsed or written: the message names the file or tag."""


class CommandError(ReleaseError):
    """An external command failed; carries the quoted (masked) command and its output."""

    exit_code = 1

    def __init__(self, command: str, returncode: int, output: str, cwd: str = "") -> None:
        self.command = command
        self.returncode = returncode
        self.output = output
        tail = "\n".join(output.strip().splitlines()[-20:])
        where = f" (in {cwd})" if cwd else ""
        super().__init__(
            Problem(
                f"`{command}` failed with exit code {returncode}{where}"
                + (f"\n{tail}" if tail else ""),
                fix="read the command's output above; rerun it by hand to reproduce",
            )
        )
