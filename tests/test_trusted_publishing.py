"""PyPI trusted publishing: OIDC in CI replaces the token, and nothing else pretends to."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from release.config import load_config
from release.ops.pypi import Index, twine_env
from release.registries import Registries, registries_from_env

CONFIG = """\
name = "demo"
path = "."

[[targets]]
name = "pypi"
kind = "pypi"
url = "https://upload.pypi.org/legacy/"
trusted_publishing = true
{extra}
"""

CI_VARIABLES = (
    "CI",
    "GITHUB_ACTIONS",
    "GITLAB_CI",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "PYPI_ID_TOKEN",
    "PYPI_TOKEN",
    "TWINE_PASSWORD",
)


@pytest.fixture(autouse=True)
def outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CI_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def registries(tmp_path: Path, extra: str = "") -> Registries:
    path = tmp_path / "demo.toml"
    path.write_text(textwrap.dedent(CONFIG.format(extra=extra)))
    return registries_from_env(load_config(path))


def test_github_job_with_id_token_needs_no_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", "https://token.invalid/")
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "request-token")
    found = registries(tmp_path, 'password_env = "PYPI_TOKEN"')
    assert found.problems == []
    index = found.indexes["pypi"]
    assert index.trusted and index.password == "" and index.username == "__token__"


def test_gitlab_job_needs_its_pypi_id_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITLAB_CI", "true")
    without = registries(tmp_path)
    assert "no OIDC identity" in without.problems[0].what
    monkeypatch.setenv("PYPI_ID_TOKEN", "eyJ.fake.jwt")
    assert registries(tmp_path).problems == []


def test_outside_ci_without_a_fallback_says_how_to_fix(tmp_path: Path) -> None:
    (problem,) = registries(tmp_path).problems
    assert problem.where == "targets.pypi.trusted_publishing"
    assert "id-token: write" in problem.fix and "password_env" in problem.fix


def test_outside_ci_the_token_is_the_fallback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = registries(tmp_path, 'password_env = "PYPI_TOKEN"')
    assert "PYPI_TOKEN not set" in missing.problems[0].what
    monkeypatch.setenv("PYPI_TOKEN", "pypi-secret")
    found = registries(tmp_path, 'password_env = "PYPI_TOKEN"')
    assert found.problems == []
    index = found.indexes["pypi"]
    assert not index.trusted and index.password == "pypi-secret"


def test_twine_gets_no_password_when_it_must_ask_the_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    # twine tries trusted publishing only when no password reaches it from anywhere.
    monkeypatch.setenv("TWINE_PASSWORD", "left-over-from-the-shell")
    url = "https://upload.pypi.org/legacy/"
    trusted = Index("pypi", url, "https://pypi.org/simple/", "__token__", "", trusted=True)
    env = twine_env(trusted)
    assert "TWINE_PASSWORD" not in env and env["TWINE_USERNAME"] == "__token__"
    token = Index("pypi", url, "https://pypi.org/simple/", "__token__", "pypi-secret")
    assert twine_env(token)["TWINE_PASSWORD"] == "pypi-secret"
