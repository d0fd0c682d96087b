"""The one subprocess chokepoint: quote and mask the command, capture output, raise on failure."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from release.errors import CommandError, ReleaseError
from release.masking import mask


class _ChildClock:
    """Wall time during which at least one child process runs: the report and the benchmarks
    separate the tool's own time from the commands it runs. Commands running side by side
    (the builds and verifications of a set) count once, not once each."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._running = 0
        self._since = 0.0
        self._lock = threading.Lock()

    def enter(self) -> None:
        with self._lock:
            if self._running == 0:
                self._since = time.monotonic()
            self._running += 1

    def leave(self) -> None:
        with self._lock:
            self._running -= 1
            if self._running == 0:
                self.seconds += time.monotonic() - self._since


child_clock = _ChildClock()


class Cancelled(ReleaseError):
    """Work started ahead of need was called off: its commands were killed."""


class CancelScope:
    """Commands run on a thread inside `with scope:` are killed, their children with them,
    when the scope is cancelled (work started ahead of need, when the release stops)."""

    _current = threading.local()

    def __init__(self) -> None:
        self.cancelled = False
        self.launched = threading.Event()  # set once its first command is running
        self._running: set[subprocess.Popen[str]] = set()
        self._lock = threading.Lock()

    def __enter__(self) -> CancelScope:
        CancelScope._current.scope = self
        return self

    def __exit__(self, *exc: object) -> None:
        CancelScope._current.scope = None

    @classmethod
    def current(cls) -> CancelScope | None:
        return getattr(cls._current, "scope", None)

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True
            running = list(self._running)
        for proc in running:
            _kill_group(proc)

    def run(
        self, args: list[str], stdin: str | None, timeout: float | None, **kwargs: object
    ) -> subprocess.CompletedProcess[str]:
        """subprocess.run in a session of its own, so that cancel() reaches its children."""
        with self._lock:
            if self.cancelled:
                raise Cancelled(f"`{quote(args)}` was called off")
            proc = subprocess.Popen(  # type: ignore[call-overload]
                args,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                text=True,
                encoding="utf-8",
                errors="replace",
                start_new_session=True,
                **kwargs,
            )
            self._running.add(proc)
        self.launched.set()
        try:
            out, err = proc.communicate(stdin, timeout=timeout)
        except BaseException:
            _kill_group(proc)
            proc.communicate()
            raise
        finally:
            with self._lock:
                self._running.discard(proc)
        if self.cancelled:
            raise Cancelled(f"`{quote(args)}` was called off")
        return subprocess.CompletedProcess(args, proc.returncode, out, err)


def _kill_group(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


T = TypeVar("T")


def side_by_side(*calls: Callable[[], T]) -> list[T]:
    """Run `calls` at once, each on a thread of its own inside the caller's cancel scope (a
    called-off build kills them all); wait for every one, then raise the first error."""
    scope = CancelScope.current()

    def within(call: Callable[[], T]) -> T:
        if scope is None:
            return call()
        with scope:
            return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(within, call) for call in calls]
    return [future.result() for future in futures]


# `--verbose` shows every command and its output through this logger (masked).
log = logging.getLogger("release.process")


@dataclass(frozen=True)
class Result:
    """What a finished command returned."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def quote(args: Sequence[str]) -> str:
    """The command as a person would type it, secrets masked."""
    return mask(shlex.join(args))


def run(
    args: Sequence[str],
    *,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    timeout: float | None = None,
    stdin: str | None = None,
    inherit_env: bool = True,
) -> Result:
    """Run a command to completion, capturing its output.

    `env` is added to the inherited environment (or replaces it when
    `inherit_env` is false). A non-zero exit raises
    CommandError with the masked output unless `check` is false.
    """
    full_env = ({**os.environ, **env} if inherit_env else dict(env)) if env is not None else None
    log.debug("$ %s%s", quote(args), f"   (in {cwd})" if cwd else "")
    scope = CancelScope.current()
    child_clock.enter()
    try:
        if scope is not None:
            proc = scope.run(list(args), stdin, timeout, cwd=cwd, env=full_env)
        else:
            proc = subprocess.run(
                list(args),
                cwd=cwd,
                env=full_env,
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="replace",
                timeout=timeout,
                input=stdin,
                stdin=None if stdin is not None else subprocess.DEVNULL,
                check=False,
            )
    except FileNotFoundError as exc:
        raise ReleaseError(
            f"cannot run `{quote(args)}`: {args[0]} is not installed or not on PATH"
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise CommandError(quote(args), -1, f"timed out after {timeout} s", str(cwd or "")) from exc
    finally:
        child_clock.leave()
    result = Result(tuple(args), proc.returncode, proc.stdout, proc.stderr)
    if log.isEnabledFor(logging.DEBUG):
        output = (proc.stdout + proc.stderr).strip()
        log.debug("  exit %d%s", proc.returncode, f"\n{output}" if output else "")
    if check and proc.returncode != 0:
        raise CommandError(
            quote(args), proc.returncode, mask(proc.stdout + proc.stderr), str(cwd or "")
        )
    return result


def run_shell(command: str, *, cwd: Path, env: Mapping[str, str] | None = None) -> Result:
    """Run a user-configured command line (from a project config) through the shell."""
    return run(["sh", "-c", command], cwd=cwd, env=env)


@contextmanager
def stream_lines(
    args: Sequence[str], *, cwd: Path | str | None = None, separator: str = "\n"
) -> Iterator[Iterator[str]]:
    """Stream a command's stdout as records split on `separator`, without holding it all.

    The exit code is checked when the block ends: a failure raises CommandError.
    """
    proc = subprocess.Popen(
        list(args),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    assert proc.stdout is not None

    def records() -> Iterator[str]:
        stdout = proc.stdout
        assert isinstance(stdout, io.BufferedReader)
        sep = separator.encode()
        pending = b""
        for chunk in iter(lambda: stdout.read1(1 << 16), b""):
            pending += chunk
            *complete, pending = pending.split(sep)
            for item in complete:
                yield item.decode("utf-8", errors="replace")
        if pending:
            yield pending.decode("utf-8", errors="replace")

    try:
        yield records()
    finally:
        # Drain so the child can exit even when the consumer stopped early.
        if proc.poll() is None:
            proc.kill()
        _, err = proc.communicate()
    if proc.returncode not in (0, -9):
        raise CommandError(quote(args), proc.returncode, mask(err.decode("utf-8", "replace")))
