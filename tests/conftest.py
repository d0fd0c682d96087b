"""Shared fixtures: an isolated git identity, real repositories, and the CLI run in-process."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from gitrepo import Repo
from services import (  # noqa: F401 - the real local services, for every test module
    PypiServer,
    git_daemon,
    npm_registry,
    pip_install_from_index,
    pypi_server,
)

from release.cli import main

PYPROJECT = textwrap.dedent(
    """\
    [project]
    name = "sample"
    version = "{version}"  # kept by releases
    """
)


@pytest.fixture(autouse=True)
def git_identity(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Git sees only a test identity, never the host's global or system config."""
    home = tmp_path_factory.mktemp("home")
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Release Tester\n\temail = tester@example.invalid\n"
        "[init]\n\tdefaultBranch = main\n[tag]\n\tgpgSign = false\n[commit]\n\tgpgSign = false\n"
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("GIT_DIR", "GIT_WORK_TREE", "RELEASE_CONFIG_DIR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """A Python project at 1.2.0, released as tag v1.2.0."""
    r = Repo(tmp_path / "project")
    r.commit(
        "chore: initial import",
        {"pyproject.toml": PYPROJECT.format(version="1.2.0"), "README.md": "demo 1.2.0\n"},
    )
    r.tag("v1.2.0")
    return r


def write_config(repo: Repo, body: str = "", **top: str) -> Path:
    """A config next to the repository (paths in it are relative to the config file)."""
    head = {"name": "sample", "path": repo.root.name, **top}
    lines = [f"{k} = {json.dumps(v)}" for k, v in head.items()]
    text = "\n".join(lines) + "\n" + textwrap.dedent(body)
    if "[version]" not in text:
        text += '\n[version]\nfiles = ["pyproject.toml:project.version"]\n'
    path = repo.root.parent / f"{head['name']}.toml"
    path.write_text(text)
    return path


@pytest.fixture
def plan(capsys: pytest.CaptureFixture[str]) -> Callable[..., dict[str, Any]]:
    """Run `release plan --json` in-process and return the parsed object."""

    def run(config: Path, *args: str, expect: int = 0) -> dict[str, Any]:
        code = main(["plan", "--config", str(config), "--json", *args])
        out = capsys.readouterr().out
        assert code == expect, out
        data: dict[str, Any] = json.loads(out)
        return data

    return run


@pytest.fixture
def pypi_push(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    pypi_server: PypiServer,  # noqa: F811 - the fixture imported above, asked for by name
) -> Callable[..., tuple[int, dict[str, Any]]]:
    """`release push --json --ci` of a config to the session's pypiserver; (exit, report)."""
    monkeypatch.setenv("TEST_PYPI_USERNAME", pypi_server.username)
    monkeypatch.setenv("TEST_PYPI_PASSWORD", pypi_server.password)

    def run(path: Path, *args: str) -> tuple[int, dict[str, Any]]:
        code = main(["push", "--config", str(path), "--json", "--ci", *args])
        out = capsys.readouterr()
        assert pypi_server.password not in out.out + out.err
        return code, json.loads(out.out)

    return run
