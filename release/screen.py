"""Where the tool's lines go: plain lines are written as they are, and rich's Console
(colour, tables, spinners, prompts) is made the first time something is drawn with it.

A CI run prints only plain lines and a JSON report: it never loads rich (a twentieth of
a push's own time).
"""

from __future__ import annotations

import os
import sys
from functools import cached_property
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from rich.console import Console


_STRIPPED = dict.fromkeys((7, 8, 11, 12, 13))


class Screen:
    """stdout or stderr, plain or drawn with rich."""

    def __init__(
        self, *, stderr: bool = False, no_color: bool = False, file: IO[str] | None = None
    ) -> None:
        self._stderr = stderr
        self._no_color = no_color
        self._file = file

    @property
    def file(self) -> IO[str]:
        if self._file is not None:
            return self._file
        return sys.stderr if self._stderr else sys.stdout

    @cached_property
    def console(self) -> Console:
        from rich.console import Console

        return Console(
            highlight=False,
            soft_wrap=True,
            no_color=self._no_color or None,
            stderr=self._stderr,
            file=self._file,
        )

    @property
    def is_terminal(self) -> bool:
        """As rich decides it, without loading rich for a stream that is no terminal."""
        forced = os.environ.get("TTY_COMPATIBLE") == "1" or os.environ.get("FORCE_COLOR")
        isatty = getattr(self.file, "isatty", None)
        if not forced and (isatty is None or not isatty()):
            return False
        return self.console.is_terminal

    def line(self, text: str) -> None:
        """One plain line as given: no markup, colour or wrapping; the control characters
        rich strips (bell, backspace, carriage return...) stripped as well."""
        self.file.write(f"{text.translate(_STRIPPED)}\n")
        self.file.flush()

    def print(self, *objects: Any, **options: Any) -> None:
        self.console.print(*objects, **options)

    def status(self, text: str, **options: Any) -> AbstractContextManager[Any]:
        return self.console.status(text, **options)
