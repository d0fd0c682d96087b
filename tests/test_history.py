"""A plan never goes backwards: the highest release on the branch, --version, [version] source."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import PYPROJECT, write_config
from gitrepo import Repo

from release.cli import main

Plan = Callable[..., dict[str, Any]]


def refused(config: Path, capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, str]:
    code = main(["plan", "--config", str(config), "--json", *args])
    out = json.loads(capsys.readouterr().out)
    assert code == 2, out
    (problem,) = out["error"]
    return dict(problem)


def test_floating_tags_are_not_releases(
    repo: Repo, plan: Plan, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.commit("chore: 1.3.0", {"pyproject.toml": PYPROJECT.format(version="1.3.0")})
    repo.tag("v1.3.0")
    for floating in ("v1", "v1.3", "latest", "stable"):
        repo.tag(floating)  # moved to each release, like python-semantic-release's v10
    repo.commit("fix: after")
    config = write_config(repo)
    data = plan(config)
    assert (data["current_version"], data["current_source"]) == ("1.3.0", "tag v1.3.0")
    assert data["next_version"] == "1.3.1"
    assert main(["status", "--config", str(config), "--json"]) == 0
    (status,) = json.loads(capsys.readouterr().out)["projects"]
    assert status["local_tag"] == "v1.3.0"


def test_the_highest_release_on_the_branch_is_current(repo: Repo, plan: Plan) -> None:
    # A maintenance tag merged after a newer release does not take the branch back.
    repo.commit("chore: 2.0.0", {"pyproject.toml": PYPROJECT.format(version="2.0.0")})
    repo.tag("v2.0.0")
    repo.git("checkout", "-q", "-b", "maint", "v1.2.0")
    repo.commit("fix: old line")
    repo.tag("v1.2.1")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "-s", "ours", "--no-edit", "maint")
    repo.commit("fix: new line")
    data = plan(write_config(repo))
    assert (data["current_version"], data["next_version"]) == ("2.0.0", "2.0.1")


def test_a_higher_tag_off_the_branch_refuses_the_plan(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    # Released elsewhere (twine's 6.0.0 ... 7.0.0, spelled without the v): never go below it.
    repo.git("checkout", "-q", "-b", "elsewhere")
    repo.commit("feat: big", {"pyproject.toml": PYPROJECT.format(version="1.5.0")})
    repo.tag("1.5.0")
    repo.git("checkout", "-q", "main")
    repo.commit("feat: small")
    problem = refused(write_config(repo), capsys)
    assert problem["what"] == (
        "the next version 1.3.0 is below tag 1.5.0 (1.5.0): a release never goes backwards"
    )
    assert problem["where"] == "tag 1.5.0"
    assert "--version with a version above 1.5.0" in problem["fix"]


def test_explicit_version(repo: Repo, plan: Plan, capsys: pytest.CaptureFixture[str]) -> None:
    repo.commit("fix: small")
    config = write_config(repo)
    data = plan(config, "--version", "2.0.0")
    assert (data["next_version"], data["bump"], data["tag"]) == ("2.0.0", "major", "v2.0.0")
    assert data["reasons"] == ["--version 2.0.0 given on the command line"]
    assert (
        "not above the current version 1.2.0"
        in refused(config, capsys, "--version", "1.1.0")["what"]
    )
    assert "not a version" in refused(config, capsys, "--version", "two")["what"]
    assert refused(config, capsys, "--date", "soon")["fix"] == "write it as YYYY-MM-DD"
    assert (
        "cannot be combined"
        in refused(config, capsys, "--version", "2.0.0", "--bump", "major")["what"]
    )
    calver = write_config(
        repo, '[version]\nfiles = ["pyproject.toml:project.version"]\ncalver = "YYYY.MM.DD"\n'
    )
    assert "CalVer format YYYY.MM.DD" in refused(calver, capsys, "--version", "2.0.0")["what"]


def test_source_files_trusts_files_ahead_of_the_tags(
    repo: Repo, plan: Plan, capsys: pytest.CaptureFixture[str]
) -> None:
    # The 1.4.0 release commit was tagged off the branch: no reachable tag has it.
    repo.commit("chore: release 1.4.0", {"pyproject.toml": PYPROJECT.format(version="1.4.0")})
    repo.commit("fix: after 1.4.0")
    assert "version mismatch" in refused(write_config(repo), capsys)["what"]  # by the tag
    files = write_config(
        repo, '[version]\nfiles = ["pyproject.toml:project.version"]\nsource = "files"\n'
    )
    data = plan(files)
    assert data["current_version"] == "1.4.0"
    assert data["current_source"] == 'version files ([version].source = "files")'
    assert (data["next_version"], data["commits_read"]) == ("1.4.1", 1)


def test_a_higher_tag_of_the_same_spelling_off_the_branch_is_not_taken_on_trust(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    # The highest tag by name is tried first; the walk shows it is not on this branch, so
    # the plan starts over from the branch's own (v1.2.0), then refuses to go below v1.5.0.
    repo.git("checkout", "-q", "-b", "elsewhere")
    repo.commit("feat: big", {"pyproject.toml": PYPROJECT.format(version="1.5.0")})
    repo.tag("v1.5.0")
    repo.git("checkout", "-q", "main")
    repo.commit("feat: small")
    problem = refused(write_config(repo), capsys)
    assert problem["what"] == (
        "the next version 1.3.0 is below tag v1.5.0 (1.5.0): a release never goes backwards"
    )
    # The same from a version-only query, whose reading stops at the first decider.
    assert refused(write_config(repo), capsys, "--no-changelog")["where"] == "tag v1.5.0"


def test_a_pre_release_made_on_another_branch_is_not_current(repo: Repo, plan: Plan) -> None:
    repo.git("checkout", "-q", "-b", "next")
    repo.commit("feat: preview", {"pyproject.toml": PYPROJECT.format(version="1.3.0rc1")})
    repo.tag("v1.3.0rc1")
    repo.git("checkout", "-q", "main")
    repo.commit("fix: on main")
    data = plan(write_config(repo))
    assert (data["current_version"], data["last_tag"]) == ("1.2.0", "v1.2.0")
    assert data["next_version"] == "1.2.1"


def test_a_pre_release_on_the_branch_is_current(repo: Repo, plan: Plan) -> None:
    repo.commit("feat: preview", {"pyproject.toml": PYPROJECT.format(version="1.3.0rc1")})
    repo.tag("v1.3.0rc1")
    repo.commit("fix: after the rc")
    data = plan(write_config(repo), "--prerelease", "rc")
    assert (data["current_version"], data["last_tag"]) == ("1.3.0rc1", "v1.2.0")
    assert data["next_version"] == "1.3.0rc2"


def test_a_release_named_tag_of_a_tree_is_a_clear_refusal(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    # A tag may name a tree or a blob: taken on trust it has no commit to walk from, so
    # the plan asks git for the branch's own tag, then refuses to go below that name.
    repo.commit("fix: after")
    repo.git("tag", "v9.9.9", "HEAD^{tree}")
    problem = refused(write_config(repo), capsys)
    assert problem["where"] == "tag v9.9.9"
    assert "a release never goes backwards" in problem["what"]
