"""Progress lines while a release runs: a spinner on a terminal, plain timestamped lines in CI."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from release.masking import mask
from release.screen import Screen


class StepMark:
    """What a step's own code says of its end: a check can fail without raising."""

    failed = False


class Progress:
    """Announces phases and steps as they start and end, with timings.

    Output goes to stderr when stdout is reserved for `--json`.
    """

    def __init__(self, console: Screen, *, plain: bool, quiet: bool = False) -> None:
        self.console = console
        self.plain = plain or not console.is_terminal
        self.quiet = quiet

    def _line(self, text: str, style: str = "") -> None:
        if self.quiet:
            return
        text = mask(text)
        if self.plain:
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            self.console.line(f"{stamp} {text}")
        else:
            from rich.markup import escape

            self.console.print(f"[{style}]{escape(text)}[/]" if style else escape(text))

    def phase(self, number: int, title: str) -> None:
        self._line(f"== phase {number}: {title}", "bold")

    def info(self, text: str) -> None:
        self._line(f"   {text}")

    def warn(self, text: str) -> None:
        self._line(f"   warning: {text}", "yellow")

    def error(self, text: str) -> None:
        """A problem that stops the release (a warning would let it go on)."""
        self._line(f"   error: {text}", "red")

    @contextmanager
    def step(self, name: str) -> Iterator[StepMark]:
        start = time.monotonic()
        if self.plain:
            self._line(f"-> {name} ...")
        ok = False
        mark = StepMark()
        try:
            if self.plain or self.quiet:
                yield mark
            else:
                from rich.markup import escape

                with self.console.status(escape(mask(name)), spinner="dots"):
                    yield mark
            ok = not mark.failed
        finally:
            took = time.monotonic() - start
            if ok:
                self._line(f"   {name}: ok ({took:.1f} s)", "green")
            else:
                self._line(f"   {name}: FAILED ({took:.1f} s)", "red")
