"""Repositories without a config: auto-detection, and several projects in one command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import PYPROJECT, write_config
from gitrepo import Repo


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "release", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def test_plan_path_infers_a_config_for_python_and_npm(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "dual")
    repo.commit(
        "chore: init",
        {
            "pyproject.toml": PYPROJECT.format(version="2.0.0"),
            "src/sample/__init__.py": '__version__ = "2.0.0"\n',
            "package.json": '{\n  "name": "@acme/sample",\n  "version": "2.0.0"\n}\n',
        },
    )
    repo.tag("v2.0.0")
    repo.commit("fix: both sides")
    out = cli("plan", "--path", str(repo.root), "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["next_version"] == "2.0.1"
    assert data["files"] == [
        "pyproject.toml",
        "src/sample/__init__.py",
        "package.json",
    ]  # no changelog in the project: none is created
    text = data["inferred_config"]
    assert (
        'files = ["pyproject.toml:project.version", "src/sample/__init__.py:__version__", '
        '"package.json:version"]' in text
    )
    assert 'kind = "pypi"' in text and 'kind = "npm"' in text
    human = cli("plan", "--path", str(repo.root))
    assert "Inferred config" in human.stdout and "next version     2.0.1" in human.stdout


def test_plan_path_without_version_files_is_tag_only(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "bare")
    repo.commit("feat: first")
    out = cli("plan", "--path", str(repo.root), "--json")
    data = json.loads(out.stdout)
    assert "a tag-only release" in data["inferred_config"]
    assert (data["next_version"], data["targets"]) == ("0.1.0", [])


def test_several_projects_and_all(repo: Repo, tmp_path: Path) -> None:
    repo.commit("feat: one")
    first = write_config(repo)
    other = Repo(tmp_path / "other")
    other.commit("chore: init", {"pyproject.toml": PYPROJECT.format(version="0.3.0")})
    other.tag("v0.3.0")
    other.commit("fix: two")
    second = write_config(other, name="other")
    env = {"RELEASE_CONFIG_DIR": str(first.parent)}
    out = cli("plan", "--project", "sample", "--project", "other", "--json", env=env)
    assert out.returncode == 0, out.stderr
    versions = [p["next_version"] for p in json.loads(out.stdout)["plans"]]
    assert versions == ["1.3.0", "0.3.1"]
    every = cli("plan", "--all", "--json", env=env)
    assert sorted(p["project"] for p in json.loads(every.stdout)["plans"]) == ["other", "sample"]

    # in_all = false: left out of --all, said on stderr, still released when named.
    second.write_text(second.read_text().replace("\n[version]", "in_all = false\n[version]", 1))
    fewer = cli("plan", "--all", "--json", env=env)
    assert json.loads(fewer.stdout)["project"] == "sample"  # one plan: printed on its own
    assert "--all leaves out other (in_all = false" in fewer.stderr
    named = cli("plan", "--project", "other", "--json", env=env)
    assert json.loads(named.stdout)["next_version"] == "0.3.1"


def test_init_writes_only_the_config(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "fresh")
    repo.commit("chore: init", {"pyproject.toml": PYPROJECT.format(version="0.4.0")})
    repo.tag("v0.4.0")
    repo.commit("feat: new")
    before = repo.snapshot()
    configs = tmp_path / "configs"
    configs.mkdir()
    env = {"RELEASE_CONFIG_DIR": str(configs)}
    out = cli("init", "--path", str(repo.root), "--json", env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["written"] == [str(configs / "sample.toml")]
    assert repo.snapshot() == before  # nothing written into the repository
    config = (configs / "sample.toml").read_text()
    assert config.startswith("#:schema ../schema.json") and 'path = "../fresh"' in config
    assert 'mode = "none"' in config  # no changelog: releases write none
    again = cli("init", "--path", str(repo.root), env=env)
    assert again.returncode == 2 and "already exists" in again.stderr
    plan = cli("plan", "--project", "sample", "--json", env=env)
    data = json.loads(plan.stdout)
    assert (data["next_version"], data["files"]) == ("0.5.0", ["pyproject.toml"])
