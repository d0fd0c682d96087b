"""Real local services for tests: pypiserver, verdaccio and a git daemon on 127.0.0.1."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import pytest

__all__ = [
    "GitDaemon",
    "NpmRegistry",
    "PypiServer",
    "ServiceError",
    "free_port",
    "git_daemon",
    "git_env",
    "isolated_npm_env",
    "isolated_pip_env",
    "npm_registry",
    "pip_install_from_index",
    "pypi_server",
]

HOST = "127.0.0.1"
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
POLL_INTERVAL = 0.1
LOG_TAIL_CHARS = 4000

REPO_ROOT = Path(__file__).resolve().parent.parent
VERDACCIO_BIN = REPO_ROOT / "registry" / "node_modules" / "verdaccio" / "bin" / "verdaccio"
VERDACCIO_INSTALL = "npm ci --prefix registry"


class ServiceError(RuntimeError):
    """A local service could not be started, stopped or used."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _port_accepts(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def _log_tail(path: Path) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return text[-LOG_TAIL_CHARS:]


def _stop_process_group(proc: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT) -> None:
    """Terminate the process and its group, escalating to SIGKILL after `timeout`.

    Every service is started in its own session, so its process group id is its pid;
    signalling the group also reaches children (`git daemon` runs `git-daemon` as a
    child, and that forks one process per connection).
    """
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout)
    # Children may outlive the leader briefly; make sure none keeps the port.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def git_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for git commands that ignores the host's git config and prompts."""
    env = dict(os.environ if base is None else base)
    env.update(
        {
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_AUTHOR_NAME": "Test Dev",
            "GIT_AUTHOR_EMAIL": "test@example.invalid",
            "GIT_COMMITTER_NAME": "Test Dev",
            "GIT_COMMITTER_EMAIL": "test@example.invalid",
        }
    )
    return env


def isolated_pip_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment in which pip reads no config file and no PIP_* variable.

    The machine's /etc/pip.conf and PIP_FIND_LINKS add other package sources; a
    PIP_CONFIG_FILE of os.devnull makes pip skip every config file.
    """
    env = {
        key: value
        for key, value in (os.environ if base is None else base).items()
        if not key.startswith("PIP_") and key not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}
    }
    env.update(
        {
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_NO_INPUT": "1",
            "PYTHONNOUSERSITE": "1",
        }
    )
    return env


def isolated_npm_env(cache_dir: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment in which npm reads no host npmrc and no npm_config_* variable.

    The cache lives in `cache_dir`, so the host's ~/.npm is never read or written; the
    user and global config files are empty ones under it unless a command passes `--userconfig`.
    No update check, audit or funding request leaves the machine.
    """
    env = {
        key: value
        for key, value in (os.environ if base is None else base).items()
        if not key.lower().startswith("npm_config_")
    }
    env.update(
        {
            "npm_config_cache": str(cache_dir),
            # Two different empty files: npm refuses to load one file as both.
            "npm_config_userconfig": str(cache_dir / "user-npmrc"),
            "npm_config_globalconfig": str(cache_dir / "global-npmrc"),
            "npm_config_update_notifier": "false",
            "npm_config_audit": "false",
            "npm_config_fund": "false",
        }
    )
    return env


class PypiServer:
    """A real pypiserver with authenticated uploads and no fallback to pypi.org."""

    def __init__(
        self,
        base_dir: Path,
        *,
        username: str = "tester",
        password: str | None = None,
        port: int | None = None,
        python: str = sys.executable,
    ) -> None:
        self.base_dir = Path(base_dir)
        self.username = username
        self.password = password if password is not None else secrets.token_urlsafe(18)
        self.port = port if port is not None else free_port()
        self.python = python
        self.packages_dir = self.base_dir / "packages"
        self.htpasswd_path = self.base_dir / "htpasswd"
        self.log_path = self.base_dir / "pypiserver.log"
        self.url = f"http://{HOST}:{self.port}/"
        self.simple_url = f"{self.url}simple/"
        self._proc: subprocess.Popen[bytes] | None = None

    def __repr__(self) -> str:
        # The password stays out of reprs, which pytest prints on failures.
        return f"PypiServer(url={self.url!r}, username={self.username!r}, password='***')"

    def project_url(self, name: str) -> str:
        """The simple-index page of one project (name as given; pypiserver normalizes)."""
        return f"{self.simple_url}{name}/"

    def twine_env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """Environment carrying this server's credentials for twine."""
        env = dict(os.environ if base is None else base)
        env["TWINE_USERNAME"] = self.username
        env["TWINE_PASSWORD"] = self.password
        return env

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _write_htpasswd(self) -> None:
        with warnings.catch_warnings():
            # passlib imports the stdlib `crypt` module, deprecated since Python 3.11.
            warnings.simplefilter("ignore", DeprecationWarning)
            from passlib.apache import HtpasswdFile  # type: ignore[import-untyped]

        htpasswd = HtpasswdFile(str(self.htpasswd_path), new=True)
        htpasswd.set_password(self.username, self.password)
        htpasswd.save()
        self.htpasswd_path.chmod(0o600)

    def command(self) -> list[str]:
        return [
            self.python,
            "-m",
            "pypiserver",
            "run",
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--authenticate",
            "update",
            "--passwords",
            str(self.htpasswd_path),
            "--disable-fallback",
            # -v makes pypiserver log each request and why an upload was refused.
            "-v",
            str(self.packages_dir),
        ]

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.simple_url, timeout=1) as response:
                return int(response.status) == 200
        except (urllib.error.URLError, OSError):
            return False

    def start(self, timeout: float = START_TIMEOUT) -> Self:
        if self.running:
            return self
        self.packages_dir.mkdir(parents=True, exist_ok=True)
        self._write_htpasswd()
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                code = self._proc.returncode
                self._proc = None
                raise ServiceError(
                    f"pypiserver exited with code {code} before answering on {self.simple_url}; "
                    f"log {self.log_path}:\n{_log_tail(self.log_path)}"
                )
            if self._answers():
                return self
            time.sleep(POLL_INTERVAL)
        self.stop()
        raise ServiceError(
            f"pypiserver did not answer on {self.simple_url} within {timeout:.0f}s; "
            f"log {self.log_path}:\n{_log_tail(self.log_path)}"
        )

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        if self._proc is not None:
            _stop_process_group(self._proc, timeout)
            self._proc = None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class GitDaemon:
    """A real `git daemon` serving every bare repository under `base_path`, push enabled."""

    PROBE_REPO = "_daemon-probe.git"

    def __init__(
        self,
        base_path: Path,
        *,
        port: int | None = None,
        log_path: Path | None = None,
    ) -> None:
        self.base_path = Path(base_path).resolve()
        self.port = port if port is not None else free_port()
        self.log_path = (
            log_path if log_path is not None else self.base_path.parent / "git-daemon.log"
        )
        self.url = f"git://{HOST}:{self.port}/"
        self._proc: subprocess.Popen[bytes] | None = None

    def __repr__(self) -> str:
        return f"GitDaemon(url={self.url!r}, base_path={str(self.base_path)!r})"

    @staticmethod
    def _repo_dir_name(name: str) -> str:
        return name if name.endswith(".git") else f"{name}.git"

    def url_for(self, name: str) -> str:
        return f"{self.url}{self._repo_dir_name(name)}"

    def create_bare(self, name: str) -> Path:
        """Create (or reuse) the bare repository `name`.git under the base path."""
        path = self.base_path / self._repo_dir_name(name)
        if not (path / "HEAD").exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            _run_git(["init", "--quiet", "--bare", "--initial-branch=main", str(path)])
        return path

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def command(self) -> list[str]:
        return [
            "git",
            "daemon",
            "--reuseaddr",
            f"--base-path={self.base_path}",
            "--export-all",
            "--enable=receive-pack",
            # Clients then see "no such repository" instead of a bare hang-up.
            "--informative-errors",
            "--verbose",
            f"--listen={HOST}",
            f"--port={self.port}",
            str(self.base_path),
        ]

    def _answers(self) -> bool:
        if not _port_accepts(self.port):
            return False
        result = subprocess.run(
            ["git", "ls-remote", self.url_for(self.PROBE_REPO)],
            env=git_env(),
            capture_output=True,
            timeout=5,
            check=False,
        )
        return result.returncode == 0

    def start(self, timeout: float = START_TIMEOUT) -> Self:
        if self.running:
            return self
        self.base_path.mkdir(parents=True, exist_ok=True)
        self.create_bare(self.PROBE_REPO)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=git_env(),
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                code = self._proc.returncode
                self._proc = None
                raise ServiceError(
                    f"git daemon exited with code {code} before serving {self.url}; "
                    f"log {self.log_path}:\n{_log_tail(self.log_path)}"
                )
            try:
                if self._answers():
                    return self
            except subprocess.TimeoutExpired:
                pass
            time.sleep(POLL_INTERVAL)
        self.stop()
        raise ServiceError(
            f"git daemon did not serve {self.url} within {timeout:.0f}s; "
            f"log {self.log_path}:\n{_log_tail(self.log_path)}"
        )

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        if self._proc is not None:
            _stop_process_group(self._proc, timeout)
            self._proc = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _yaml_str(value: str | Path) -> str:
    # A JSON string is a valid double-quoted YAML scalar, whatever characters a path holds.
    return json.dumps(str(value))


class NpmRegistry:
    """A real verdaccio npm registry: anyone reads, token holders publish, no uplinks.

    Without an `uplinks` section verdaccio never contacts another registry: an unknown
    package is a 404. Note that verdaccio, unlike npmjs, accepts an unpublished version
    again, so no test may rely on that.
    """

    def __init__(
        self,
        base_dir: Path,
        *,
        username: str = "tester",
        password: str | None = None,
        email: str = "tester@example.invalid",
        port: int | None = None,
        node: str = "node",
        verdaccio_bin: Path = VERDACCIO_BIN,
    ) -> None:
        self.base_dir = Path(base_dir)
        self.username = username
        self.password = password if password is not None else secrets.token_urlsafe(18)
        self.email = email
        self.port = port if port is not None else free_port()
        self.node = node
        self.verdaccio_bin = Path(verdaccio_bin)
        self.storage_dir = self.base_dir / "storage"
        self.htpasswd_path = self.base_dir / "htpasswd"
        self.config_path = self.base_dir / "config.yaml"
        self.log_path = self.base_dir / "verdaccio.log"
        self.console_path = self.base_dir / "verdaccio.console.log"
        self.url = f"http://{HOST}:{self.port}/"
        self._token: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    def __repr__(self) -> str:
        # Password and token stay out of reprs, which pytest prints on failures.
        return f"NpmRegistry(url={self.url!r}, username={self.username!r}, token='***')"

    @property
    def token(self) -> str:
        """The auth token of `username`, created by `start()`."""
        if self._token is None:
            raise ServiceError(f"{self!r} has no token yet; start() the registry first")
        return self._token

    @property
    def auth_key(self) -> str:
        """The npmrc key prefix of this registry: `//127.0.0.1:PORT/`."""
        return f"//{HOST}:{self.port}/"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def package_url(self, name: str) -> str:
        """The packument URL of a package (a scoped name's slash is escaped, as npm does)."""
        return f"{self.url}{name.replace('/', '%2f')}"

    def packument(self, name: str) -> dict[str, Any] | None:
        """The package document as the registry serves it, or None if it has no such package."""
        try:
            with urllib.request.urlopen(self.package_url(name), timeout=10) as response:
                data: dict[str, Any] = json.loads(response.read())
                return data
        except urllib.error.HTTPError as err:
            if err.code == 404:
                return None
            raise ServiceError(f"GET {self.package_url(name)} answered {err.code}") from err
        except (urllib.error.URLError, OSError) as err:
            raise ServiceError(f"GET {self.package_url(name)} failed: {err}") from err

    def config_text(self) -> str:
        return "\n".join(
            [
                "# Generated by tests/services.py; no uplinks, so nothing is fetched elsewhere.",
                f"storage: {_yaml_str(self.storage_dir)}",
                "auth:",
                "  htpasswd:",
                f"    file: {_yaml_str(self.htpasswd_path)}",
                "    max_users: 100",
                "packages:",
                "  '**':",
                "    access: $all",
                "    publish: $authenticated",
                "    unpublish: $authenticated",
                "web:",
                "  enable: false",
                "log:",
                "  type: file",
                f"  path: {_yaml_str(self.log_path)}",
                "  level: http",
                "",
            ]
        )

    def command(self) -> list[str]:
        return [
            self.node,
            str(self.verdaccio_bin),
            "--config",
            str(self.config_path),
            "--listen",
            f"{HOST}:{self.port}",
        ]

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}-/ping", timeout=1) as response:
                return int(response.status) == 200
        except (urllib.error.URLError, OSError):
            return False

    def _logs(self) -> str:
        return (
            f"log {self.log_path}:\n{_log_tail(self.log_path)}\n"
            f"console {self.console_path}:\n{_log_tail(self.console_path)}"
        )

    def _user_request(self, name: str, password: str, *, login: bool) -> str:
        body = json.dumps(
            {"name": name, "password": password, "email": self.email, "type": "user", "roles": []}
        ).encode()
        request = urllib.request.Request(
            f"{self.url}-/user/org.couchdb.user:{name}",
            data=body,
            method="PUT",
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        if login:
            basic = base64.b64encode(f"{name}:{password}".encode()).decode()
            request.add_header("Authorization", f"Basic {basic}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                answer: dict[str, Any] = json.loads(response.read())
        except urllib.error.HTTPError as err:
            detail = err.read().decode(errors="replace").strip()
            raise ServiceError(
                f"verdaccio refused {'login' if login else 'adding'} user {name!r} "
                f"({err.code}): {detail}"
            ) from err
        token = answer.get("token")
        if not isinstance(token, str) or not token:
            raise ServiceError(f"verdaccio answered without a token for user {name!r}: {answer}")
        return token

    def add_user(self, name: str, password: str) -> str:
        """Create a user (`PUT /-/user/org.couchdb.user:NAME`) and return its token."""
        return self._user_request(name, password, login=False)

    def login(self, name: str, password: str) -> str:
        """Return a new token for an existing user (the same PUT, with basic auth)."""
        return self._user_request(name, password, login=True)

    def npmrc(self, path: Path) -> Path:
        """Write a 0600 npmrc holding this registry's URL and token; return its path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        # O_CREAT's mode applies only to a new file; an existing one is narrowed too.
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(f"{self.auth_key}:_authToken={self.token}\nregistry={self.url}\n")
        return path

    def start(self, timeout: float = START_TIMEOUT) -> Self:
        if self.running:
            return self
        if not self.verdaccio_bin.is_file():
            raise ServiceError(
                f"verdaccio is not installed ({self.verdaccio_bin} is missing); "
                f"install it from {REPO_ROOT} with: {VERDACCIO_INSTALL}"
            )
        self.storage_dir.mkdir(parents=True, exist_ok=True)
        if not self.htpasswd_path.exists():
            # verdaccio rewrites the file in place, so the hashes stay owner-only.
            self.htpasswd_path.touch(mode=0o600)
        self.config_path.write_text(self.config_text())
        with self.console_path.open("ab") as console:
            self._proc = subprocess.Popen(
                self.command(),
                cwd=self.base_dir,
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                code = self._proc.returncode
                self._proc = None
                raise ServiceError(
                    f"verdaccio exited with code {code} before answering on {self.url}; "
                    f"{self._logs()}"
                )
            if self._answers():
                break
            time.sleep(POLL_INTERVAL)
        else:
            self.stop()
            raise ServiceError(
                f"verdaccio did not answer on {self.url}-/ping within {timeout:.0f}s; "
                f"{self._logs()}"
            )
        try:
            self._token = self.add_user(self.username, self.password)
        except ServiceError:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        if self._proc is not None:
            _stop_process_group(self._proc, timeout)
            self._proc = None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _run_git(args: list[str], cwd: Path | None = None, timeout: float = 30) -> str:
    result = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env=git_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise ServiceError(
            f"git {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
        )
    return result.stdout


def _install_from_index(index_simple_url: str, requirement: str, tmp_dir: Path) -> Path:
    """Create a fresh venv under `tmp_dir` and pip-install `requirement` from one index only."""
    tmp_dir = Path(tmp_dir)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    venv_dir = tmp_dir / "venv"
    suffix = 1
    while venv_dir.exists():
        suffix += 1
        venv_dir = tmp_dir / f"venv{suffix}"
    env = isolated_pip_env()
    created = subprocess.run(
        [sys.executable, "-m", "venv", str(venv_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if created.returncode != 0:
        raise ServiceError(
            f"python -m venv {venv_dir} failed ({created.returncode}):\n"
            f"{created.stdout}{created.stderr}"
        )
    python = venv_dir / "bin" / "python"
    installed = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--no-cache-dir",
            "--index-url",
            index_simple_url,
            requirement,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if installed.returncode != 0:
        raise ServiceError(
            f"pip install {requirement!r} from {index_simple_url} failed "
            f"({installed.returncode}):\n{installed.stdout}{installed.stderr}"
        )
    return python


@pytest.fixture(scope="session")
def pypi_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PypiServer]:
    """A started pypiserver for the whole session; user `tester`, random password."""
    server = PypiServer(tmp_path_factory.mktemp("pypiserver"), username="tester")
    with server:
        yield server


@pytest.fixture(scope="session")
def git_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitDaemon]:
    """A started git daemon for the whole session, serving bare repos with push enabled."""
    root = tmp_path_factory.mktemp("git-daemon")
    daemon = GitDaemon(root / "repos", log_path=root / "git-daemon.log")
    with daemon:
        yield daemon


@pytest.fixture(scope="session")
def npm_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NpmRegistry]:
    """A started verdaccio for the whole session; user `tester` with a token, no uplinks."""
    registry = NpmRegistry(tmp_path_factory.mktemp("verdaccio"), username="tester")
    with registry:
        yield registry


@pytest.fixture
def pip_install_from_index() -> Callable[[str, str, Path], Path]:
    """Return `install(index_simple_url, requirement, tmp_dir) -> venv python`."""
    return _install_from_index
