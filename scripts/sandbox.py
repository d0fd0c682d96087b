"""Run the local release sandbox: pypiserver, verdaccio, git daemon and the example projects."""

from __future__ import annotations

import argparse
import base64
import contextlib
import importlib.util
import json
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
EXAMPLES = ROOT / "examples"

HOST = "127.0.0.1"
PYPI_PORT = 18080
GIT_PORT = 19418
NPM_PORT = 14873
PYPI_URL = f"http://{HOST}:{PYPI_PORT}/"
GIT_URL = f"git://{HOST}:{GIT_PORT}/"
NPM_URL = f"http://{HOST}:{NPM_PORT}/"

PYPI_DIR = SANDBOX / "pypi"
PACKAGES_DIR = PYPI_DIR / "packages"
HTPASSWD = PYPI_DIR / "htpasswd"
GIT_BASE = SANDBOX / "git"
WORK_BASE = SANDBOX / "work"
CREDENTIALS = SANDBOX / "credentials.env"
PYPI_USERNAME = "sandbox"

NPM_DIR = SANDBOX / "npm"
NPM_STORAGE = NPM_DIR / "storage"
NPM_HTPASSWD = NPM_DIR / "htpasswd"
NPM_CONFIG = NPM_DIR / "config.yaml"
NPM_USERNAME = "sandbox"
NPM_EMAIL = "sandbox@example.invalid"
REGISTRY_PACKAGE = ROOT / "registry"
VERDACCIO_BIN = REGISTRY_PACKAGE / "node_modules" / "verdaccio" / "bin" / "verdaccio"
VERDACCIO_INSTALL = ["npm", "ci", "--prefix", "registry"]
INSTALL_TIMEOUT = 600.0

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


def npm_ready() -> bool:
    try:
        with urllib.request.urlopen(f"{NPM_URL}-/ping", timeout=1) as response:
            return int(response.status) == 200
    except (urllib.error.URLError, OSError):
        return False


def verdaccio_command() -> list[str]:
    return [
        "node",
        str(VERDACCIO_BIN),
        "--config",
        str(NPM_CONFIG),
        "--listen",
        f"{HOST}:{NPM_PORT}",
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

VERDACCIO = Service(
    name="verdaccio",
    port=NPM_PORT,
    url=NPM_URL,
    pid_file=SANDBOX / "verdaccio.pid",
    log_file=SANDBOX / "verdaccio.log",
    # verdaccio sets its process title, so /proc/PID/cmdline reads just "verdaccio".
    marker="verdaccio",
    command=verdaccio_command,
    ready=npm_ready,
    env=lambda: dict(os.environ),
)

SERVICES = (PYPISERVER, GIT_DAEMON, VERDACCIO)


# --- credentials --------------------------------------------------------------------------------


def read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            values[key.strip()] = value.strip()
    return values


def write_credentials(values: dict[str, str]) -> None:
    tmp = CREDENTIALS.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    # Created 0600 from the start, so no secret is ever readable by others.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(
            "# Sandbox index and npm registry credentials; load with:"
            " set -a; . .sandbox/credentials.env; set +a\n"
        )
        out.writelines(f"{key}={value}\n" for key, value in values.items())
    tmp.replace(CREDENTIALS)


def ensure_credentials() -> tuple[str, str]:
    """Read the sandbox credentials, creating them (once) in a 0600 file.

    Returns the index user and password; the npm user and password are kept in the same
    file (NPM_USERNAME, NPM_PASSWORD) and its token (NPM_TOKEN) by `ensure_npm_user`.
    """
    values = read_env_file(CREDENTIALS) if CREDENTIALS.exists() else {}
    missing: list[str] = []
    if not (values.get("PYPI_USERNAME") and values.get("PYPI_PASSWORD")):
        if CREDENTIALS.exists():
            say(f"{rel(CREDENTIALS)} lacks PYPI_USERNAME or PYPI_PASSWORD; writing new ones")
        values["PYPI_USERNAME"] = PYPI_USERNAME
        values["PYPI_PASSWORD"] = secrets.token_urlsafe(24)
        missing.append("index")
    if not (values.get("NPM_USERNAME") and values.get("NPM_PASSWORD")):
        values["NPM_USERNAME"] = NPM_USERNAME
        values["NPM_PASSWORD"] = secrets.token_urlsafe(24)
        # A token belongs to a password; a new password gets a new token.
        values.pop("NPM_TOKEN", None)
        missing.append("npm")
    if missing:
        write_credentials(values)
        say(f"{' and '.join(missing)} credentials written to {rel(CREDENTIALS)} (mode 0600)")
    else:
        CREDENTIALS.chmod(0o600)
    return values["PYPI_USERNAME"], values["PYPI_PASSWORD"]


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
    absent = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if absent:
        raise SandboxError(
            f"{' and '.join(absent)} not on PATH; the sandbox npm registry (verdaccio) needs "
            "Node.js 20 or later with npm; install them and run `up` again"
        )


# --- the npm registry ---------------------------------------------------------------------------


def ensure_verdaccio() -> None:
    """Install verdaccio from registry/package-lock.json if it is not installed yet."""
    if VERDACCIO_BIN.is_file():
        return
    command = " ".join(VERDACCIO_INSTALL)
    if not (REGISTRY_PACKAGE / "package-lock.json").is_file():
        raise SandboxError(f"{rel(REGISTRY_PACKAGE)}/package-lock.json is missing; restore it")
    say(f"verdaccio is not installed; installing it: {command}")
    env = dict(os.environ)
    env.update(
        {
            "npm_config_update_notifier": "false",
            "npm_config_audit": "false",
            "npm_config_fund": "false",
        }
    )
    result = subprocess.run(
        VERDACCIO_INSTALL,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
        check=False,
    )
    if result.returncode != 0 or not VERDACCIO_BIN.is_file():
        output = "\n".join((result.stdout + result.stderr).strip().splitlines()[-20:])
        raise SandboxError(
            f"`{command}` failed (exit {result.returncode}); fix the cause and run `up` again:\n"
            f"{output}"
        )
    say(f"verdaccio installed into {rel(REGISTRY_PACKAGE)}/node_modules")


def yaml_str(value: Path) -> str:
    # A JSON string is a valid double-quoted YAML scalar, whatever characters a path holds.
    return json.dumps(str(value))


def write_verdaccio_config() -> None:
    """verdaccio's config: local storage, htpasswd users, token publishing, no uplinks.

    Without an `uplinks` section verdaccio never contacts another registry: a name it
    does not hold is a 404, never a package fetched from npmjs.
    """
    NPM_DIR.mkdir(parents=True, exist_ok=True)
    # The storage holds the token secret and htpasswd the password hashes: owner only.
    NPM_DIR.chmod(0o700)
    if not NPM_HTPASSWD.exists():
        # verdaccio rewrites the file in place, so the mode set here is kept.
        NPM_HTPASSWD.touch(mode=0o600)
    NPM_CONFIG.write_text(
        "\n".join(
            [
                f"# Generated by {rel(Path(__file__))}; no uplinks, on purpose.",
                f"storage: {yaml_str(NPM_STORAGE)}",
                "auth:",
                "  htpasswd:",
                f"    file: {yaml_str(NPM_HTPASSWD)}",
                "    max_users: 10",
                "packages:",
                "  '**':",
                "    access: $all",
                "    publish: $authenticated",
                "    unpublish: $authenticated",
                "web:",
                "  enable: false",
                "log:",
                "  type: stdout",
                "  format: pretty",
                "  level: http",
                "",
            ]
        )
    )


def npm_whoami(token: str) -> str | None:
    """The user a token belongs to (verdaccio answers `{}` for an unknown token)."""
    request = urllib.request.Request(
        f"{NPM_URL}-/whoami", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None
    name = answer.get("username") if isinstance(answer, dict) else None
    return name if isinstance(name, str) else None


def npm_user_token(username: str, password: str, *, login: bool) -> str | None:
    """Add the user (or, with `login`, log it in) and return its token; None if it exists."""
    body = {"name": username, "password": password, "email": NPM_EMAIL, "type": "user"}
    request = urllib.request.Request(
        f"{NPM_URL}-/user/org.couchdb.user:{username}",
        data=json.dumps(body).encode(),
        method="PUT",
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    if login:
        basic = base64.b64encode(f"{username}:{password}".encode()).decode()
        request.add_header("Authorization", f"Basic {basic}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.loads(response.read())
    except urllib.error.HTTPError as err:
        if err.code == 409 and not login:
            return None
        if err.code == 401:
            raise SandboxError(
                f"the npm registry's user {username!r} has another password than the one in "
                f"{rel(CREDENTIALS)}; run `up --reset` to recreate its storage and user"
            ) from err
        detail = err.read().decode(errors="replace").strip()
        raise SandboxError(f"verdaccio refused user {username!r} ({err.code}): {detail}") from err
    token = answer.get("token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token:
        raise SandboxError(f"verdaccio answered without a token for user {username!r}")
    return token


def ensure_npm_user() -> str:
    """Make sure the sandbox npm user exists and NPM_TOKEN in the credentials is valid."""
    values = read_env_file(CREDENTIALS)
    username, password = values["NPM_USERNAME"], values["NPM_PASSWORD"]
    token = values.get("NPM_TOKEN")
    if token and npm_whoami(token) == username:
        say(f"npm user {username} exists; NPM_TOKEN in {rel(CREDENTIALS)} kept")
        return username
    new_token = npm_user_token(username, password, login=False)
    action = "created"
    if new_token is None:
        new_token = npm_user_token(username, password, login=True)
        action = "logged in"
    if new_token is None:
        raise SandboxError(
            f"verdaccio gave no token to user {username!r}; see {rel(VERDACCIO.log_file)}"
        )
    values["NPM_TOKEN"] = new_token
    write_credentials(values)
    say(f"npm user {username} {action}; NPM_TOKEN written to {rel(CREDENTIALS)} (mode 0600)")
    return username


def npm_packages() -> list[str]:
    """Names of the packages in the npm storage (scoped ones as @scope/name)."""
    names: list[str] = []
    if NPM_STORAGE.is_dir():
        for item in sorted(NPM_STORAGE.iterdir()):
            if not item.is_dir():
                continue
            if item.name.startswith("@"):
                names.extend(f"{item.name}/{sub.name}" for sub in sorted(item.iterdir()))
            else:
                names.append(item.name)
    return names


def wipe_npm() -> None:
    """Empty the npm registry: storage (packages, token secret) and users; stops it first."""
    if VERDACCIO.pid() is not None:
        # verdaccio keeps its package list and token secret in memory; restart it empty.
        VERDACCIO.stop()
    removed = len(npm_packages())
    if NPM_STORAGE.exists():
        shutil.rmtree(NPM_STORAGE)
    NPM_HTPASSWD.unlink(missing_ok=True)
    values = read_env_file(CREDENTIALS)
    if values.pop("NPM_TOKEN", None) is not None:
        write_credentials(values)
    say(f"npm registry wiped ({removed} package(s) and its users removed)")


# --- the example projects -----------------------------------------------------------------------


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
            f"update the example histories in {rel(Path(__file__))}"
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


NPM_FEATURE_INDEX = """\
"use strict";

/** Return a friendly greeting for `name`. */
function greet(name) {
  return `Hello, ${name}!`;
}

/** Greet everyone in `names`, one greeting per line. */
function greetAll(names) {
  return names.map(greet).join("\\n");
}

module.exports = { greet, greetAll };
"""

NPM_FEATURE_TEST = """\
"use strict";

const assert = require("node:assert/strict");
const test = require("node:test");

const { greetAll } = require("..");

test("greetAll greets everyone, one per line", () => {
  assert.equal(greetAll(["Ada", "Grace"]), "Hello, Ada!\\nHello, Grace!");
});
"""

NPM_FIX_TEST = """\
"use strict";

const assert = require("node:assert/strict");
const test = require("node:test");

const { greet } = require("..");

test("greet strips whitespace", () => {
  assert.equal(greet("  Ada\\n"), "Hello, Ada!");
});
"""

DUAL_FEATURE_PY = '''

def shout(name: str) -> str:
    """Return the greeting for `name`, loudly."""
    return greet(name).upper()
'''

DUAL_FEATURE_JS = """\
/** Return the greeting for `name`, loudly. */
function shout(name) {
  return greet(name).toUpperCase();
}

module.exports = { greet, shout };
"""

DUAL_FEATURE_TEST_PY = '''\
"""Tests for demo_dual.shout."""

import unittest

from demo_dual import shout


class ShoutTest(unittest.TestCase):
    def test_shout(self) -> None:
        self.assertEqual(shout("Ada"), "HELLO, ADA!")
'''

DUAL_FEATURE_TEST_JS = """\
"use strict";

const assert = require("node:assert/strict");
const test = require("node:test");

const { shout } = require("..");

test("shout greets loudly", () => {
  assert.equal(shout("Ada"), "HELLO, ADA!");
});
"""

DUAL_FIX_TEST_PY = '''\
"""Names are stripped."""

import unittest

from demo_dual import greet


class StripTest(unittest.TestCase):
    def test_greet_strips_whitespace(self) -> None:
        self.assertEqual(greet("  Ada\\n"), "Hello, Ada!")
'''


def commit(work: Path, message: str) -> None:
    git(["add", "--all"], work)
    git(["commit", "--quiet", "-m", message], work)
    say(f"  commit: {message}")


def demo_history(work: Path) -> None:
    """demo (PyPI): a feature with its towncrier fragment, a fix, then docs."""
    (work / "src" / "demo_greeter" / "__main__.py").write_text(FEATURE_MAIN)
    (work / "tests" / "test_main.py").write_text(FEATURE_TEST)
    (work / "changelog.d" / "+greet.feature.md").write_text(
        "`python -m demo_greeter NAME` greets NAME by name.\n"
    )
    commit(work, "feat: greet by name")

    edit(work / "src" / "demo_greeter" / "__init__.py", "{name}", "{name.strip()}")
    (work / "tests" / "test_strip.py").write_text(FIX_TEST)
    commit(work, "fix: strip whitespace in names")

    with (work / "README.md").open("a") as out:
        out.write(DOCS_USAGE)
    commit(work, "docs: explain usage")


def demo_npm_history(work: Path) -> None:
    """demo-npm (npm only, no fragments: its changelog entry comes from these commits)."""
    (work / "index.js").write_text(NPM_FEATURE_INDEX)
    (work / "test" / "greet-all.test.js").write_text(NPM_FEATURE_TEST)
    commit(work, "feat: greet everyone at once with greetAll(names)")

    edit(work / "index.js", "${name}", "${String(name).trim()}")
    (work / "test" / "strip.test.js").write_text(NPM_FIX_TEST)
    commit(work, "fix: strip whitespace in names")


def demo_dual_history(work: Path) -> None:
    """demo-dual (PyPI and npm, one version): a feature in both with its fragment, a fix."""
    with (work / "src" / "demo_dual" / "__init__.py").open("a") as out:
        out.write(DUAL_FEATURE_PY)
    edit(work / "index.js", "module.exports = { greet };\n", DUAL_FEATURE_JS)
    (work / "tests" / "test_shout.py").write_text(DUAL_FEATURE_TEST_PY)
    (work / "tests" / "shout.test.js").write_text(DUAL_FEATURE_TEST_JS)
    (work / "changelog.d" / "+shout.feature.md").write_text(
        "`shout(name)` greets loudly, in Python and in Node.\n"
    )
    commit(work, "feat: shout(name) greets loudly")

    edit(work / "src" / "demo_dual" / "__init__.py", "{name}", "{name.strip()}")
    edit(work / "index.js", "${name}", "${String(name).trim()}")
    (work / "tests" / "test_strip.py").write_text(DUAL_FIX_TEST_PY)
    (work / "tests" / "strip.test.js").write_text(NPM_FIX_TEST)
    commit(work, "fix: strip whitespace in names")


def demo_mono_history(work: Path) -> None:
    """demo-mono (three packages): a core feature the cli's range does not admit, an npm fix."""
    core = work / "packages" / "core"
    with (core / "src" / "demo_mono_core" / "__init__.py").open("a") as out:
        out.write("\n\ndef shout(name: str) -> str:\n    return greet(name).upper()\n")
    commit(work, "feat(demo-mono-core): shout(name) greets loudly")
    js = work / "packages" / "js"
    edit(js / "index.js", "${name}", "${String(name).trim()}")
    commit(work, "fix: strip whitespace in names")


@dataclass(frozen=True)
class Example:
    """A bundled example project: its source, its sandbox repository and remote, its history."""

    name: str
    manifests: tuple[str, ...]  # files the example must have (a clear error when missing)
    history: Callable[[Path], None]  # the commits after the initial import tagged v0.1.0
    tags: tuple[str, ...] = ("v0.1.0",)  # the initial release's tags (a monorepo: one each)

    @property
    def source(self) -> Path:
        return EXAMPLES / self.name

    @property
    def work(self) -> Path:
        return WORK_BASE / self.name

    @property
    def remote(self) -> Path:
        return GIT_BASE / f"{self.name}.git"

    @property
    def remote_url(self) -> str:
        return f"{GIT_URL}{self.name}.git"

    @property
    def config(self) -> str:
        return f"configs/projects/{self.name}.toml"

    def exists(self) -> bool:
        return (self.work / ".git").is_dir() and (self.remote / "HEAD").is_file()

    def create(self) -> None:
        """Create the working repo with a short history and its bare remote, then push."""
        missing = [rel(self.source / m) for m in self.manifests if not (self.source / m).is_file()]
        if missing:
            raise SandboxError(f"the example project is missing: {', '.join(missing)}")
        for path in (self.work, self.remote):
            if path.exists():
                shutil.rmtree(path)
        self.remote.parent.mkdir(parents=True, exist_ok=True)
        git(["init", "--quiet", "--bare", "--initial-branch=main", str(self.remote)], SANDBOX)
        self.work.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(
            self.source,
            self.work,
            ignore=shutil.ignore_patterns(
                "__pycache__",
                "*.egg-info",
                ".pytest_cache",
                "build",
                "dist",
                ".venv",
                "node_modules",
                "*.tgz",
            ),
        )
        git(["init", "--quiet", "--initial-branch=main", str(self.work)], SANDBOX)
        # Release commits made later in the sandbox need an identity even on hosts without one.
        git(["config", "user.name", DEMO_NAME], self.work)
        git(["config", "user.email", DEMO_EMAIL], self.work)
        say(f"{self.name} repository {rel(self.work)}:")

        commit(self.work, "chore: initial import")
        for tag in self.tags:
            git(["tag", "--annotate", "-m", "Release 0.1.0", tag], self.work)
        say(f"  tag: {', '.join(self.tags)}")

        self.history(self.work)

        git(["remote", "add", "origin", self.remote_url], self.work)
        git(["push", "--quiet", "--atomic", "origin", "main", *self.tags], self.work)
        git(["branch", "--quiet", "--set-upstream-to=origin/main", "main"], self.work)
        say(f"  pushed main and {', '.join(self.tags)} to {self.remote_url}")


EXAMPLE_PROJECTS = (
    Example("demo", ("pyproject.toml",), demo_history),
    Example("demo-npm", ("package.json",), demo_npm_history),
    Example("demo-dual", ("pyproject.toml", "package.json"), demo_dual_history),
    Example(
        "demo-mono",
        ("packages/core/pyproject.toml", "packages/cli/pyproject.toml", "packages/js/package.json"),
        demo_mono_history,
        ("demo-mono-core-v0.1.0", "demo-mono-cli-v0.1.0", "@sandbox/demo-mono-js-v0.1.0"),
    ),
)


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
    ensure_verdaccio()
    username, password = ensure_credentials()
    if PYPISERVER.pid() is None:
        write_htpasswd(username, password)
    PYPISERVER.start()
    GIT_DAEMON.start()
    if reset:
        wipe_npm()
    NPM_STORAGE.mkdir(parents=True, exist_ok=True)
    if VERDACCIO.pid() is None:
        write_verdaccio_config()
    VERDACCIO.start()
    npm_username = ensure_npm_user()
    if reset:
        wipe_packages()
    for example in EXAMPLE_PROJECTS:
        if not reset and example.exists():
            say(
                f"{example.name} repository {rel(example.work)} exists; left as is"
                " (`up --reset` recreates it)"
            )
        else:
            example.create()
    say(f"ready: index {PYPI_URL} (user {username}; password in {rel(CREDENTIALS)})")
    say(f"ready: npm registry {NPM_URL} (user {npm_username}; NPM_TOKEN in {rel(CREDENTIALS)})")
    for example in EXAMPLE_PROJECTS:
        say(f"ready: remote {example.remote_url}; config {example.config}")
    return 0


def cmd_down() -> int:
    for service in reversed(SERVICES):
        service.stop()
    return 0


def cmd_status() -> int:
    # One column for the labels, wide enough for the longest repository label.
    width = max(11, *(len(f"{e.name} repo") for e in EXAMPLE_PROJECTS))
    all_running = True
    for service in SERVICES:
        pid = service.pid()
        if pid is None:
            all_running = False
            busy = (
                " (port busy: another process listens there)" if port_accepts(service.port) else ""
            )
            say(f"{service.name:<{width}} stopped{busy}")
        else:
            where = f"pid {pid}, log {rel(service.log_file)}"
            say(f"{service.name:<{width}} running on {service.url} ({where})")
    if PACKAGES_DIR.is_dir():
        files = sorted(p.name for p in PACKAGES_DIR.iterdir())
        say(
            f"{'index':<{width}} {len(files)} file(s) in {rel(PACKAGES_DIR)}{': ' if files else ''}"
            + ", ".join(files)
        )
    if NPM_STORAGE.is_dir():
        names = npm_packages()
        say(
            f"{'npm':<{width}} {len(names)} package(s) in {rel(NPM_STORAGE)}{': ' if names else ''}"
            + ", ".join(names)
        )
    for example in EXAMPLE_PROJECTS:
        label = f"{example.name} repo"
        if (example.work / ".git").is_dir():
            try:
                head = git(["log", "-1", "--format=%h %s"], example.work).strip()
                tags = git(["tag", "--list"], example.work).split()
            except SandboxError as err:
                head, tags = f"(unreadable: {err})", []
            where = f"{rel(example.work)}: {head}; tags: {', '.join(tags) or 'none'}"
            say(f"{label:<{width}} {where}")
        else:
            say(f"{label:<{width}} missing (run `up`)")
    say(f"{'credentials':<{width}} {rel(CREDENTIALS) if CREDENTIALS.exists() else 'missing'}")
    return 0 if all_running else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="sandbox.py",
        description=(
            f"Local release sandbox under {rel(SANDBOX)}/: pypiserver on {PYPI_URL}, "
            f"verdaccio (npm) on {NPM_URL}, git daemon on {GIT_URL}, and the example projects "
            f"({', '.join(e.name for e in EXAMPLE_PROJECTS)})."
        ),
    )
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the servers and create the example projects (idempotent)")
    up.add_argument(
        "--reset",
        action="store_true",
        help=(
            "recreate the example repositories and their remotes, wipe the index's packages,"
            " and wipe the npm registry's packages and users (the npm user is then created again)"
        ),
    )
    sub.add_parser("down", help="stop the servers")
    sub.add_parser("status", help="show what runs; exit 1 unless every server runs")
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
