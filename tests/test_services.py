"""Prove the local test services are real and behave the way the release tool relies on."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from services import (
    GitDaemon,
    PypiServer,
    ServiceError,
    free_port,
    git_daemon,
    git_env,
    pip_install_from_index,
    pypi_server,
)

pytestmark = pytest.mark.services

# Re-exported so pytest finds the fixtures even before a conftest imports them.
__all__ = ["git_daemon", "pip_install_from_index", "pypi_server"]

DIST_NAME = "svc-selftest"
IMPORT_NAME = "svc_selftest"
VERSION = "1.2.3"


def _http_get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(errors="replace")


def _twine_upload(
    server: PypiServer, files: list[Path], password: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = server.twine_env()
    if password is not None:
        env["TWINE_PASSWORD"] = password
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "twine",
            "upload",
            "--non-interactive",
            "--disable-progress-bar",
            "--repository-url",
            server.url,
            *map(str, files),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _git(args: list[str], cwd: Path) -> str:
    result = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env=git_env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, f"git {args} failed:\n{result.stdout}{result.stderr}"
    return result.stdout


def _ls_remote(url: str, cwd: Path) -> dict[str, str]:
    refs: dict[str, str] = {}
    for line in _git(["ls-remote", url], cwd).splitlines():
        sha, ref = line.split("\t")
        refs[ref] = sha
    return refs


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """An sdist and a wheel of a one-module package, built with `python -m build`."""
    root = tmp_path_factory.mktemp("pkg")
    src = root / "src" / IMPORT_NAME
    src.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""\
            [build-system]
            requires = ["setuptools>=69"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "{DIST_NAME}"
            version = "{VERSION}"
            """
        )
    )
    (src / "__init__.py").write_text(f'__version__ = "{VERSION}"\n')
    out = root / "dist"
    result = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(root)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, f"build failed:\n{result.stdout}{result.stderr}"
    files = sorted(out.iterdir())
    assert sorted(f.suffix for f in files) == [".gz", ".whl"], files
    return files


@pytest.fixture(scope="module")
def uploaded(pypi_server: PypiServer, dists: list[Path]) -> list[Path]:
    result = _twine_upload(pypi_server, dists)
    assert result.returncode == 0, f"upload failed:\n{result.stdout}{result.stderr}"
    return dists


def test_free_port_is_bindable() -> None:
    port = free_port()
    assert 1024 <= port <= 65535


def test_pypi_server_lists_uploaded_files(pypi_server: PypiServer, uploaded: list[Path]) -> None:
    assert sorted(p.name for p in pypi_server.packages_dir.iterdir()) == [p.name for p in uploaded]
    status, page = _http_get(pypi_server.project_url(DIST_NAME))
    assert status == 200
    for dist in uploaded:
        assert dist.name in page
    assert pypi_server.password not in repr(pypi_server)


def test_unknown_project_is_404_not_a_redirect(pypi_server: PypiServer) -> None:
    # --disable-fallback: without it pypiserver answers 303 to pypi.org.
    status, _ = _http_get(pypi_server.project_url("requests"))
    assert status == 404


def test_install_from_index_alone(
    pypi_server: PypiServer,
    uploaded: list[Path],
    pip_install_from_index: Callable[[str, str, Path], Path],
    tmp_path: Path,
) -> None:
    python = pip_install_from_index(pypi_server.simple_url, f"{DIST_NAME}=={VERSION}", tmp_path)
    assert python.is_relative_to(tmp_path)
    result = subprocess.run(
        [str(python), "-c", f"import {IMPORT_NAME} as m; print(m.__version__, m.__file__)"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    version, location = result.stdout.split()
    assert version == VERSION
    assert Path(location).is_relative_to(tmp_path)

    # Only our index is consulted: a name that exists on pypi.org is not found.
    with pytest.raises(ServiceError, match="No matching distribution") as refused:
        pip_install_from_index(pypi_server.simple_url, "six", tmp_path)
    assert "Looking in links" not in str(refused.value)


def test_same_file_twice_is_refused(pypi_server: PypiServer, uploaded: list[Path]) -> None:
    wheel = next(p for p in uploaded if p.suffix == ".whl")
    result = _twine_upload(pypi_server, [wheel])
    assert result.returncode != 0
    # pypiserver answers twine with a bare 400; the reason is only in its log.
    assert "400" in result.stdout + result.stderr
    assert f"Cannot upload '{wheel.name}' since it already exists" in pypi_server.log_text()


def test_wrong_password_is_refused(
    pypi_server: PypiServer, dists: list[Path], tmp_path: Path
) -> None:
    other = tmp_path / dists[0].name.replace(VERSION, "9.9.9")
    other.write_bytes(dists[0].read_bytes())
    result = _twine_upload(pypi_server, [other], password="not-the-password")
    assert result.returncode != 0
    assert "403" in result.stdout + result.stderr
    assert not (pypi_server.packages_dir / other.name).exists()


def test_atomic_push_of_branch_and_annotated_tag(git_daemon: GitDaemon, tmp_path: Path) -> None:
    git_daemon.create_bare("atomic")
    url = git_daemon.url_for("atomic")
    work = tmp_path / "work"
    _git(["init", "--quiet", "--initial-branch=main", str(work)], tmp_path)
    (work / "file.txt").write_text("one\n")
    _git(["add", "file.txt"], work)
    _git(["commit", "--quiet", "-m", "chore: first"], work)
    _git(["tag", "--annotate", "-m", "Release 1.0.0", "v1.0.0"], work)
    _git(["remote", "add", "origin", url], work)
    _git(["push", "--atomic", "origin", "main", "v1.0.0"], work)

    head = _git(["rev-parse", "HEAD"], work).strip()
    tag_object = _git(["rev-parse", "v1.0.0"], work).strip()
    refs = _ls_remote(url, tmp_path)
    assert refs["refs/heads/main"] == head
    assert refs["refs/tags/v1.0.0"] == tag_object != head  # annotated: a tag object
    assert refs["refs/tags/v1.0.0^{}"] == head

    # A rejected ref fails the whole atomic push: the new tag must not arrive either.
    other = tmp_path / "other"
    _git(["init", "--quiet", "--initial-branch=main", str(other)], tmp_path)
    (other / "file.txt").write_text("diverged\n")
    _git(["add", "file.txt"], other)
    _git(["commit", "--quiet", "-m", "chore: diverged"], other)
    _git(["tag", "--annotate", "-m", "Release 2.0.0", "v2.0.0"], other)
    pushed = subprocess.run(
        ["git", "push", "--atomic", url, "main", "v2.0.0"],
        cwd=other,
        env=git_env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert pushed.returncode != 0
    refs_after = _ls_remote(url, tmp_path)
    assert refs_after == refs

    # Deleting the remote tag (the rollback path) works over git:// too.
    _git(["push", "origin", ":refs/tags/v1.0.0"], work)
    assert "refs/tags/v1.0.0" not in _ls_remote(url, tmp_path)


def test_unknown_repository_is_a_clear_error(git_daemon: GitDaemon, tmp_path: Path) -> None:
    result = subprocess.run(
        ["git", "ls-remote", git_daemon.url_for("missing")],
        cwd=tmp_path,
        env=git_env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode != 0
    assert "no such repository" in result.stderr


def test_context_managers_stop_their_processes(tmp_path: Path) -> None:
    with PypiServer(tmp_path / "pypi") as server:
        port = server.port
        assert server.running
    assert not server.running
    with GitDaemon(tmp_path / "git") as daemon:
        git_port = daemon.port
        assert daemon.running
    assert not daemon.running
    # Both ports are free again, so nothing was left behind.
    for p in (port, git_port):
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", p))
