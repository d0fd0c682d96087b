"""Python projects as they really are, released end to end to a local pypiserver: versions
from setuptools-scm and hatch-vcs, an artifact with the wrong version stopped before the push,
and dependencies that the target index does not hold."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from gitrepo import Repo
from pyshapes import BACKENDS, config, project, unique
from sample import index_files, tiny_wheel
from services import PypiServer

from release.cli import main

pytestmark = pytest.mark.services


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_dynamic_version_build_gets_the_release_version(
    tmp_path: Path, pypi_server: PypiServer, pypi_push: Callable[..., Any], backend: str
) -> None:
    repo = project(tmp_path, backend)
    code, report = pypi_push(config(repo, pypi_server.url))
    assert code == 0, report
    assert (report["version"], report["targets"][0]["status"]) == ("1.2.1", "verified")
    module = repo.root.name.replace("-", "_")
    assert sorted(index_files(pypi_server.simple_url, repo.root.name)) == [
        f"{module}-1.2.1-py3-none-any.whl",
        f"{module}-1.2.1.tar.gz",
    ]
    assert "refs/tags/v1.2.1" in repo.git("ls-remote", "--tags", "origin")


def test_an_artifact_with_another_version_stops_before_the_push(
    tmp_path: Path, pypi_server: PypiServer, pypi_push: Callable[..., Any]
) -> None:
    repo = project(tmp_path, "setuptools-scm")
    before = repo.git("rev-parse", "HEAD")
    # A build that ignores what it is told: it pins its own version.
    pin = f"SETUPTOOLS_SCM_PRETEND_VERSION_FOR_{repo.root.name.replace('-', '_').upper()}"
    build = f"env {pin}=0.0.1 {sys.executable} -m build --outdir dist ."
    path = config(repo, pypi_server.url, f"\n[commands]\nbuild = {json.dumps(build)}\n")
    code, report = pypi_push(path)
    assert code == 1, report
    assert "the build did not produce version 1.2.1" in report["problems"][0]
    assert "0.0.1" in report["problems"][0]
    assert report["summary"].endswith(
        "before anything left the machine: the repository is as it was"
    )
    assert index_files(pypi_server.simple_url, repo.root.name) == []
    assert repo.git("rev-parse", "HEAD") == before
    assert "v1.2.1" not in repo.git("ls-remote", "--tags", "origin") + repo.git("tag", "-l")


@pytest.fixture
def second_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PypiServer]:
    """An index holding the dependencies only (the target holds only the release)."""
    with PypiServer(tmp_path_factory.mktemp("deps-index")) as server:
        yield server


def test_dependencies_come_from_their_own_index(
    tmp_path: Path,
    pypi_server: PypiServer,
    second_index: PypiServer,
    pypi_push: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dep = f"shape-dep-{os.getpid()}-{unique()}"
    wheel = tiny_wheel(tmp_path, dep, "2.0.0")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "twine",
            "upload",
            "--non-interactive",
            "--disable-progress-bar",
            "--repository-url",
            second_index.url,
            str(wheel),
        ],
        env=second_index.twine_env(),
        capture_output=True,
        check=True,
        timeout=120,
    )
    repo = project(tmp_path, "setuptools-scm", dependencies=[f"{dep}>=2"])
    module = dep.replace("-", "_")
    extra = f"""
    dependency_index = "{second_index.simple_url}"

    [commands]
    health = "python -c 'import {module}'"
    """
    code, report = pypi_push(config(repo, pypi_server.url, extra))
    assert code == 0, report
    assert report["targets"][0]["status"] == "verified"
    assert index_files(pypi_server.simple_url, dep) == []  # the target holds only the release
    # Without the key, the user's own pip configuration is the dependency source.
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", second_index.simple_url)
    repo.commit("fix: another")
    repo.git("push", "-q", "origin", "main")
    code, report = pypi_push(config(repo, pypi_server.url))
    assert (code, report["version"]) == (0, "1.2.2"), report


def test_a_towncrier_shaped_project_releases_with_only_its_target_edited(
    tmp_path: Path,
    pypi_server: PypiServer,
    pypi_push: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # towncrier's own shape: a `trunk` branch, tags without `v`, CalVer, `.dev0` between
    # releases, towncrier.toml writing NEWS.rst. `release init` writes the config; only the
    # target's URL and credential names are edited, as a new user would.
    import datetime as dt

    import tomlkit

    dist = f"calshape-{os.getpid()}-{unique()}"
    module = dist.replace("-", "_")
    remote = tmp_path / f"{dist}.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "trunk", str(remote)], check=True)
    repo = Repo(tmp_path / dist)
    repo.git("checkout", "-q", "-b", "trunk")
    pyproject = (
        '[build-system]\nrequires = ["setuptools>=69"]\nbuild-backend = "setuptools.build_meta"\n'
        f'\n[project]\nname = "{dist}"\nversion = "{{version}}"\nrequires-python = ">=3.11"\n'
    )
    files = {
        "pyproject.toml": pyproject.format(version="24.7.1"),
        f"src/{module}/__init__.py": '"""CalVer shape."""\n',
        "towncrier.toml": '[tool.towncrier]\ndirectory = "newsfragments"\nfilename = "NEWS.rst"\n',
        "NEWS.rst": "Release notes\n=============\n\n.. towncrier release notes start\n",
        "newsfragments/.gitkeep": "",
        ".gitignore": "dist/\n*.egg-info/\n",
    }
    for version, date in (
        ("24.6.0", "2024-06-03"),
        ("24.7.0", "2024-07-09"),
        ("24.7.1", "2024-07-20"),
    ):
        monkeypatch.setenv("GIT_COMMITTER_DATE", f"{date}T12:00:00")
        files["pyproject.toml"] = pyproject.format(version=version)
        repo.commit(f"release {version}", files)
        repo.tag(version)
    monkeypatch.delenv("GIT_COMMITTER_DATE")
    repo.commit(
        "start the next release",
        {
            "pyproject.toml": pyproject.format(version="24.8.0.dev0"),
            "newsfragments/7.feature": "Shapes are released as they are.\n",
        },
    )
    repo.git("remote", "add", "origin", remote.as_uri())
    repo.git("push", "-q", "origin", "trunk", "--tags")
    repo.git("remote", "set-head", "origin", "trunk")
    repo.git("branch", "-q", "--set-upstream-to=origin/trunk")
    configs = tmp_path / "configs"
    configs.mkdir()
    monkeypatch.setenv("RELEASE_CONFIG_DIR", str(configs))
    assert main(["init", "--path", str(repo.root), "--json"]) == 0
    capsys.readouterr()
    (path,) = configs.glob("*.toml")
    doc = tomlkit.parse(path.read_text())
    (target,) = doc["targets"]
    target["url"] = pypi_server.url
    target["username_env"] = "TEST_PYPI_USERNAME"
    target["password_env"] = "TEST_PYPI_PASSWORD"
    path.write_text(tomlkit.dumps(doc))
    code, report = pypi_push(path)
    today = dt.datetime.now(dt.UTC).date()
    expected = f"{today.year % 100}.{today.month}.0"  # the calendar has passed 24.8
    assert code == 0, report
    assert (report["version"], report["tag"]) == (expected, expected)
    assert report["targets"][0]["status"] == "verified"
    news = (repo.root / "NEWS.rst").read_text()
    assert expected in news and "Shapes are released as they are." in news
    assert not (repo.root / "newsfragments" / "7.feature").exists()
    assert f"refs/tags/{expected}" in repo.git("ls-remote", "--tags", "origin")
    assert not (repo.root / "CHANGELOG.md").exists()


def test_a_floating_tag_and_a_hand_written_changelog_release_end_to_end(
    tmp_path: Path,
    pypi_server: PypiServer,
    pypi_push: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # python-semantic-release's shape: a floating major tag (v1) moved beside each release,
    # and a changelog its maintainers write by hand (CHANGES.rst): init infers both; the push
    # refuses while the entry is missing, changing nothing, then releases without touching it.
    import tomlkit

    dist = f"floating-{os.getpid()}-{unique()}"
    module = dist.replace("-", "_")
    remote = tmp_path / f"{dist}.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    repo = Repo(tmp_path / dist)
    changes = "Changes\n=======\n\n1.0.0\n-----\n\n- first\n"
    repo.commit(
        "chore: initial import",
        {
            "pyproject.toml": (
                '[build-system]\nrequires = ["setuptools>=69"]\n'
                'build-backend = "setuptools.build_meta"\n\n'
                f'[project]\nname = "{dist}"\nversion = "1.0.0"\nrequires-python = ">=3.11"\n'
            ),
            f"src/{module}/__init__.py": '"""Floating."""\n',
            "CHANGES.rst": changes,
            ".gitignore": "dist/\n*.egg-info/\n",
        },
    )
    repo.tag("v1.0.0")
    repo.tag("v1")  # the floating major tag, on the same commit
    repo.git("remote", "add", "origin", remote.as_uri())
    repo.git("push", "-q", "origin", "main", "--tags")
    repo.git("branch", "-q", "--set-upstream-to=origin/main")
    repo.commit("fix: handle empty input")
    repo.git("push", "-q", "origin", "main")
    configs = tmp_path / "configs"
    configs.mkdir()
    monkeypatch.setenv("RELEASE_CONFIG_DIR", str(configs))
    assert main(["init", "--path", str(repo.root), "--json"]) == 0
    capsys.readouterr()
    (path,) = configs.glob("*.toml")
    doc = tomlkit.parse(path.read_text())
    assert doc["tag_format"] == "v{version}"
    assert doc["changelog"]["mode"] == "check"
    (target,) = doc["targets"]
    target["url"] = pypi_server.url
    target["username_env"] = "TEST_PYPI_USERNAME"
    target["password_env"] = "TEST_PYPI_PASSWORD"
    path.write_text(tomlkit.dumps(doc))
    before = (repo.git("rev-parse", "HEAD"), repo.git("ls-remote", "--tags", "origin"))
    code, report = pypi_push(path)
    assert code == 2, report
    assert any("CHANGES.rst has no entry for 1.0.1" in p for p in report["problems"])
    assert (repo.git("rev-parse", "HEAD"), repo.git("ls-remote", "--tags", "origin")) == before
    written = changes.replace("=======\n\n", "=======\n\n1.0.1\n-----\n\n- empty input\n\n", 1)
    repo.commit("docs: changes for 1.0.1", {"CHANGES.rst": written})
    repo.git("push", "-q", "origin", "main")
    code, report = pypi_push(path)
    assert code == 0, report
    assert (report["version"], report["tag"]) == ("1.0.1", "v1.0.1")
    assert report["targets"][0]["status"] == "verified"
    assert (repo.root / "CHANGES.rst").read_text() == written  # never written by the tool
    assert repo.git("show", "--name-only", "--format=", "HEAD").splitlines() == ["pyproject.toml"]
    remote_tags = repo.git("ls-remote", "--tags", "--refs", "origin")
    assert "refs/tags/v1.0.1" in remote_tags and "refs/tags/v1\n" in remote_tags + "\n"


def test_a_project_in_a_folder_of_its_repository_releases_end_to_end(
    tmp_path: Path, pypi_server: PypiServer, pypi_push: Callable[..., Any]
) -> None:
    # One Python package under app/ of a larger repository (bindings/python, python/...):
    # its files are edited and committed there, and it is built from there.
    dist = f"infolder-{os.getpid()}-{unique()}"
    remote = tmp_path / f"{dist}.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    repo = Repo(tmp_path / dist)
    pyproject = (
        '[build-system]\nrequires = ["setuptools>=69"]\nbuild-backend = "setuptools.build_meta"\n'
        f'[project]\nname = "{dist}"\nversion = "1.2.0"\n'
    )
    module = dist.replace("-", "_")
    repo.commit(
        "chore: init",
        {
            "README.md": "The whole repository.\n",
            "pyproject.toml": '[tool.other]\nkey = "the top one is not the package"\n',
            "app/pyproject.toml": pyproject,
            f"app/{module}/__init__.py": "",
        },
    )
    repo.tag("app-v1.2.0")
    repo.git("remote", "add", "origin", remote.as_uri())
    repo.git("push", "-q", "origin", "main", "app-v1.2.0")
    repo.git("branch", "-q", "--set-upstream-to=origin/main")
    repo.commit("fix: app bug", {f"app/{module}/__init__.py": "X = 1\n"})
    repo.git("push", "-q", "origin", "main")
    path = tmp_path / f"{dist}.toml"
    path.write_text(
        f'name = "{dist}"\npath = "{dist}/app"\ntag_format = "app-v{{version}}"\n'
        '[version]\nfiles = ["pyproject.toml:project.version"]\n[changelog]\nmode = "none"\n'
        f'[[targets]]\nname = "local"\nkind = "pypi"\nurl = "{pypi_server.url}"\n'
        'username_env = "TEST_PYPI_USERNAME"\npassword_env = "TEST_PYPI_PASSWORD"\n'
    )
    code, report = pypi_push(path)
    assert code == 0, report
    assert repo.git("show", "app-v1.2.1:app/pyproject.toml").count('version = "1.2.1"') == 1
    assert "the top one" in repo.git("show", "app-v1.2.1:pyproject.toml")
    assert repo.git("show", "--name-only", "--format=", "app-v1.2.1^{commit}").split() == [
        "app/pyproject.toml"
    ]
    assert sorted(index_files(pypi_server.simple_url, dist)) == [
        f"{module}-1.2.1-py3-none-any.whl",
        f"{module}-1.2.1.tar.gz",
    ]
