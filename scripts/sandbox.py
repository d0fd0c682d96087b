"""Run the local release sandbox: pypiserver, git daemon and the demo project under .sandbox/."""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SANDBOX = ROOT / ".sandbox"
EXAMPLE = ROOT / "examples" / "demo"

HOST = "127.0.0.1"
PYPI_PORT = 18080
GIT_PORT = 19418
PYPI_URL = f"http://{HOST}:{PYPI_PORT}/"
GIT_URL = f"git://{HOST}:{GIT_PORT}/"

PYPI_DIR = SANDBOX / "pypi"
PACKAGES_DIR = PYPI_DIR / "packages"
HTPASSWD = PYPI_DIR / "htpasswd"
GIT_BASE = SANDBOX / "git"
WORK = SANDBOX / "work" / "demo"
REMOTE = GIT_BASE / "demo.git"
REMOTE_URL = f"{GIT_URL}demo.git"
CREDENTIALS = SANDBOX / "credentials.env"
PYPI_USERNAME = "sandbox"

DEMO_NAME = "Demo Dev"
DEMO_EMAIL = "demo@example.invalid"

START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
POLL = 0.1


class SandboxError(Exception):
    """A problem the person running the script has to fix; the message says how."""


def say(message: str) -> None:
    print(f"sandbox: {message}", flush=True)


def rel(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


# --- processes --------------------------------------------------------------------------------


def port_accepts(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A killed child of an exited parent can linger as a zombie until reaped.
    stat = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(OSError):
        state = stat.read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    return True


def cmdline(pid: int) -> str | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return raw.replace(b"\0", b" ").decode(errors="replace")


@dataclass(frozen=True)
class Service:
    name: str
    port: int
    url: str
    pid_file: Path
    log_file: Path
    marker: str  # a fragment of the command line that identifies our process
    command: Callable[[], list[str]]
    ready: Callable[[], bool]
    env: Callable[[], dict[str, str]]

    def pid(self) -> int | None:
        """The pid of our running process, or None (a stale pid file is removed)."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        line = cmdline(pid)
        # A pid file can outlive its process and the pid be reused by another program.
        if pid_alive(pid) and (line is None or self.marker in line):
            return pid
        self.pid_file.unlink(missing_ok=True)
        return None

    def check_port(self) -> None:
        """Fail clearly if our port is taken by a process that is not ours."""
        if self.pid() is None and port_accepts(self.port):
            raise SandboxError(
                f"port {self.port} on {HOST} is in use by a process this script did not start;"
                f" stop it (e.g. find it with `ss -ltnp | grep {self.port}`) and run `up` again"
            )

    def start(self) -> None:
        pid = self.pid()
        if pid is not None:
            say(f"{self.name} already running on {self.url} (pid {pid}); left as is")
            return
        self.check_port()
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            # Own session: the server survives this script and `down` can stop its group.
            proc = subprocess.Popen(
                self.command(),
                cwd=SANDBOX,
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid_file.write_text(f"{proc.pid}\n")
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise SandboxError(
                    f"{self.name} exited with code {proc.returncode} while starting; "
                    f"last lines of {rel(self.log_file)}:\n{log_tail(self.log_file)}"
                )
            if self.ready():
                say(f"{self.name} started on {self.url} (pid {proc.pid}, log {rel(self.log_file)})")
                return
            time.sleep(POLL)
        stop_pid(proc.pid)
        self.pid_file.unlink(missing_ok=True)
        raise SandboxError(
            f"{self.name} did not answer on {self.url} within {START_TIMEOUT:.0f}s; "
            f"last lines of {rel(self.log_file)}:\n{log_tail(self.log_file)}"
        )

    def stop(self) -> None:
        pid = self.pid()
        if pid is None:
            say(f"{self.name} is not running")
            return
        if not stop_pid(pid):
            raise SandboxError(f"{self.name} (pid {pid}) did not stop, even after SIGKILL")
        self.pid_file.unlink(missing_ok=True)
        say(f"{self.name} stopped (pid {pid})")


def stop_pid(pid: int) -> bool:
    """SIGTERM the process (and its group, if it leads one), SIGKILL after a bound."""
    try:
        leads_group = os.getpgid(pid) == pid
    except ProcessLookupError:
        return True

    def send(sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            if leads_group:
                os.killpg(pid, sig)
            else:
                os.kill(pid, sig)

    for sig, bound in ((signal.SIGTERM, STOP_TIMEOUT), (signal.SIGKILL, 5.0)):
        send(sig)
        deadline = time.monotonic() + bound
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                return True
            time.sleep(POLL)
    return not pid_alive(pid)


def log_tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def pypi_ready() -> bool:
    try:
        with urllib.request.urlopen(f"{PYPI_URL}simple/", timeout=1) as response:
            return int(response.status) == 200
    except (urllib.error.URLError, OSError):
        return False


def pypi_command() -> list[str]:
    return [
        sys.executable,
        "-m",
        "pypiserver",
        "run",
        "--host",
        HOST,
        "--port",
        str(PYPI_PORT),
        "--authenticate",
        "update",
        "--passwords",
        str(HTPASSWD),
        # Unknown names get a 404, never a redirect to pypi.org.
        "--disable-fallback",
        # -v puts each request, and the reason an upload was refused, in the log.
        "-v",
        str(PACKAGES_DIR),
    ]


def git_daemon_command() -> list[str]:
    return [
        "git",
        "daemon",
        "--reuseaddr",
        f"--base-path={GIT_BASE}",
        "--export-all",
        "--enable=receive-pack",
        "--informative-errors",
        "--verbose",
        f"--listen={HOST}",
        f"--port={GIT_PORT}",
        str(GIT_BASE),
    ]


def git_env() -> dict[str, str]:
    """Environment for git that ignores the host's git config and identity variables."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GIT_AUTHOR_", "GIT_COMMITTER_"))
        and key not in {"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"}
    }
    env.update({"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"})
    env["GIT_TERMINAL_PROMPT"] = "0"
    return env


PYPISERVER = Service(
    name="pypiserver",
    port=PYPI_PORT,
    url=PYPI_URL,
    pid_file=SANDBOX / "pypiserver.pid",
    log_file=SANDBOX / "pypiserver.log",
    marker="pypiserver",
    command=pypi_command,
    ready=pypi_ready,
    env=lambda: dict(os.environ),
)

GIT_DAEMON = Service(
    name="git daemon",
    port=GIT_PORT,
    url=GIT_URL,
    pid_file=SANDBOX / "git-daemon.pid",
    log_file=SANDBOX / "git-daemon.log",
    marker=f"--port={GIT_PORT}",
    command=git_daemon_command,
    ready=lambda: port_accepts(GIT_PORT),
    env=git_env,
)

SERVICES = (PYPISERVER, GIT_DAEMON)


# --- credentials --------------------------------------------------------------------------------


def read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            values[key.strip()] = value.strip()
    return values


def ensure_credentials() -> tuple[str, str]:
    """Read the sandbox credentials, creating them (once) in a 0600 file."""
    if CREDENTIALS.exists():
        values = read_env_file(CREDENTIALS)
        username, password = values.get("PYPI_USERNAME"), values.get("PYPI_PASSWORD")
        if username and password:
            CREDENTIALS.chmod(0o600)
            return username, password
        say(f"{rel(CREDENTIALS)} lacks PYPI_USERNAME or PYPI_PASSWORD; writing new ones")
    username, password = PYPI_USERNAME, secrets.token_urlsafe(24)
    tmp = CREDENTIALS.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    # Created 0600 from the start, so the password is never readable by others.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(
            "# Sandbox index credentials; load with: set -a; . .sandbox/credentials.env; set +a\n"
            f"PYPI_USERNAME={username}\nPYPI_PASSWORD={password}\n"
        )
    tmp.replace(CREDENTIALS)
    say(f"credentials written to {rel(CREDENTIALS)} (mode 0600)")
    return username, password


def write_htpasswd(username: str, password: str) -> None:
    with warnings.catch_warnings():
        # passlib imports the stdlib `crypt` module, deprecated since Python 3.11.
        warnings.simplefilter("ignore", DeprecationWarning)
        from passlib.apache import HtpasswdFile  # type: ignore[import-untyped]

    HTPASSWD.parent.mkdir(parents=True, exist_ok=True)
    htpasswd = HtpasswdFile(str(HTPASSWD), new=True)
    htpasswd.set_password(username, password)
    htpasswd.save()
    HTPASSWD.chmod(0o600)


def check_tools() -> None:
    missing = [m for m in ("pypiserver", "passlib") if importlib.util.find_spec(m) is None]
    if missing:
        raise SandboxError(
            f"{', '.join(missing)} not installed for {sys.executable}; install the test extra "
            "(pip install -e '.[test]') or run this script with the dev environment's python"
        )
    if shutil.which("git") is None:
        raise SandboxError("git is not on PATH; install git and run `up` again")


# --- the demo project ---------------------------------------------------------------------------


def git(args: list[str], cwd: Path, timeout: float = 60) -> str:
    identity = ["-c", f"user.name={DEMO_NAME}", "-c", f"user.email={DEMO_EMAIL}"]
    result = subprocess.run(
        ["git", *identity, *args],
        cwd=cwd,
        env=git_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise SandboxError(
            f"git {' '.join(args)} failed in {rel(cwd)} (exit {result.returncode}):\n"
            f"{(result.stdout + result.stderr).strip()}"
        )
    return result.stdout


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    if old not in text:
        raise SandboxError(
            f"{rel(path)} no longer contains {old!r}; "
            f"update the demo history in {rel(Path(__file__))}"
        )
    path.write_text(text.replace(old, new, 1))


FEATURE_MAIN = '''\
"""Command line: `python -m demo_greeter [NAME]` greets NAME by name."""

import sys

from demo_greeter import greet


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print(greet(" ".join(args) if args else "world"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
'''

FEATURE_TEST = '''\
"""Tests for the demo_greeter command line."""

import contextlib
import io
import unittest

from demo_greeter.__main__ import main


class MainTest(unittest.TestCase):
    def test_main_greets_by_name(self) -> None:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(main(["Ada"]), 0)
        self.assertEqual(out.getvalue(), "Hello, Ada!\\n")
'''

FIX_TEST = '''\
"""Names are stripped."""

import unittest

from demo_greeter import greet


class StripTest(unittest.TestCase):
    def test_greet_strips_whitespace(self) -> None:
        self.assertEqual(greet("  Ada\\n"), "Hello, Ada!")
'''

DOCS_USAGE = """
## Usage

```python
>>> from demo_greeter import greet
>>> greet("Ada")
'Hello, Ada!'
```

From a shell: `python -m demo_greeter Ada`.
"""


def commit(work: Path, message: str) -> None:
    git(["add", "--all"], work)
    git(["commit", "--quiet", "-m", message], work)
    say(f"  commit: {message}")


def create_demo() -> None:
    """Create the demo working repo with a short history and its bare remote, then push."""
    if not (EXAMPLE / "pyproject.toml").is_file():
        raise SandboxError(f"the example project is missing: {rel(EXAMPLE)}/pyproject.toml")
    for path in (WORK, REMOTE):
        if path.exists():
            shutil.rmtree(path)
    REMOTE.parent.mkdir(parents=True, exist_ok=True)
    git(["init", "--quiet", "--bare", "--initial-branch=main", str(REMOTE)], SANDBOX)
    shutil.copytree(
        EXAMPLE,
        WORK,
        ignore=shutil.ignore_patterns(
            "__pycache__", "*.egg-info", ".pytest_cache", "build", "dist", ".venv"
        ),
    )
    git(["init", "--quiet", "--initial-branch=main", str(WORK)], SANDBOX)
    # Release commits made later in the sandbox need an identity even on hosts without one.
    git(["config", "user.name", DEMO_NAME], WORK)
    git(["config", "user.email", DEMO_EMAIL], WORK)
    say(f"demo repository {rel(WORK)}:")

    commit(WORK, "chore: initial import")
    git(["tag", "--annotate", "-m", "Release 0.1.0", "v0.1.0"], WORK)
    say("  tag: v0.1.0")

    (WORK / "src" / "demo_greeter" / "__main__.py").write_text(FEATURE_MAIN)
    (WORK / "tests" / "test_main.py").write_text(FEATURE_TEST)
    (WORK / "changelog.d" / "+greet.feature.md").write_text(
        "`python -m demo_greeter NAME` greets NAME by name.\n"
    )
    commit(WORK, "feat: greet by name")

    edit(WORK / "src" / "demo_greeter" / "__init__.py", "{name}", "{name.strip()}")
    (WORK / "tests" / "test_strip.py").write_text(FIX_TEST)
    commit(WORK, "fix: strip whitespace in names")

    with (WORK / "README.md").open("a") as out:
        out.write(DOCS_USAGE)
    commit(WORK, "docs: explain usage")

    git(["remote", "add", "origin", REMOTE_URL], WORK)
    git(["push", "--quiet", "--atomic", "origin", "main", "v0.1.0"], WORK)
    git(["branch", "--quiet", "--set-upstream-to=origin/main", "main"], WORK)
    say(f"  pushed main and v0.1.0 to {REMOTE_URL}")


def wipe_packages() -> None:
    removed = 0
    if PACKAGES_DIR.is_dir():
        for item in PACKAGES_DIR.iterdir():
            if item.is_dir():
                shutil.rmtree(item)
            else:
                item.unlink()
            removed += 1
    say(f"index packages wiped ({removed} file(s) removed)")


# --- commands -----------------------------------------------------------------------------------


def cmd_up(reset: bool) -> int:
    check_tools()
    SANDBOX.mkdir(exist_ok=True)
    PACKAGES_DIR.mkdir(parents=True, exist_ok=True)
    GIT_BASE.mkdir(parents=True, exist_ok=True)
    # Refuse before starting anything, so a busy port never leaves half a sandbox.
    for service in SERVICES:
        service.check_port()
    username, password = ensure_credentials()
    if PYPISERVER.pid() is None:
        write_htpasswd(username, password)
    PYPISERVER.start()
    GIT_DAEMON.start()
    if reset:
        wipe_packages()
        create_demo()
    elif (WORK / ".git").is_dir() and (REMOTE / "HEAD").is_file():
        say(f"demo repository {rel(WORK)} exists; left as is (`up --reset` recreates it)")
    else:
        create_demo()
    say(f"ready: index {PYPI_URL} (user {username}; password in {rel(CREDENTIALS)})")
    say(f"ready: remote {REMOTE_URL}; config configs/projects/demo.toml")
    return 0


def cmd_down() -> int:
    for service in reversed(SERVICES):
        service.stop()
    return 0


def cmd_status() -> int:
    all_running = True
    for service in SERVICES:
        pid = service.pid()
        if pid is None:
            all_running = False
            busy = (
                " (port busy: another process listens there)" if port_accepts(service.port) else ""
            )
            say(f"{service.name:<11} stopped{busy}")
        else:
            where = f"pid {pid}, log {rel(service.log_file)}"
            say(f"{service.name:<11} running on {service.url} ({where})")
    if PACKAGES_DIR.is_dir():
        files = sorted(p.name for p in PACKAGES_DIR.iterdir())
        say(
            f"{'index':<11} {len(files)} file(s) in {rel(PACKAGES_DIR)}{': ' if files else ''}"
            + ", ".join(files)
        )
    if (WORK / ".git").is_dir():
        try:
            head = git(["log", "-1", "--format=%h %s"], WORK).strip()
            tags = git(["tag", "--list"], WORK).split()
        except SandboxError as err:
            head, tags = f"(unreadable: {err})", []
        say(f"{'demo repo':<11} {rel(WORK)}: {head}; tags: {', '.join(tags) or 'none'}")
    else:
        say(f"{'demo repo':<11} missing (run `up`)")
    say(f"{'credentials':<11} {rel(CREDENTIALS) if CREDENTIALS.exists() else 'missing'}")
    return 0 if all_running else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="sandbox.py",
        description=(
            f"Local release sandbox under {rel(SANDBOX)}/: pypiserver on {PYPI_URL}, "
            f"git daemon on {GIT_URL}, and the demo project."
        ),
    )
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the servers and create the demo project (idempotent)")
    up.add_argument(
        "--reset",
        action="store_true",
        help="recreate the demo repository and its remote, and wipe the index's packages",
    )
    sub.add_parser("down", help="stop both servers")
    sub.add_parser("status", help="show what runs; exit 1 unless both servers run")
    args = parser.parse_args(argv)
    try:
        if args.command == "up":
            return cmd_up(args.reset)
        if args.command == "down":
            return cmd_down()
        return cmd_status()
    except SandboxError as err:
        print(f"sandbox: error: {err}", file=sys.stderr)
        return 1
    except subprocess.TimeoutExpired as err:
        print(f"sandbox: error: {err.cmd[0]} timed out after {err.timeout:.0f}s", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
