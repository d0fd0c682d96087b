"""Commit rules on real repositories: squash bodies, type/scope maps, Release-As, no convention."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import write_config
from gitrepo import Repo

Plan = Callable[..., dict[str, Any]]

SQUASH = (
    "feat(config): load TOML (#41)\n\n"
    "* feat!: remove an unused method\n"
    "* fix(config): strip keys\n\n"
    "fix(io): close files on error\n"
)
NESTED = (
    "fix: small\n\nBEGIN_NESTED_COMMIT\nfeat(api)!: new calls\n\n"
    "BREAKING CHANGE: old calls go\nEND_NESTED_COMMIT\n"
)
INDENTED = "fix: a\n\n  feat: indented is a bullet's continuation, not a commit\n"

SQUASH_CASES = [
    # (id, squash rule, message, expected next version, expected (type, subject) changes)
    ("release-please", "release-please", SQUASH, "1.3.0", ["feat", "fix"]),
    ("every-line", "every-line", SQUASH, "2.0.0", None),
    ("off", "off", SQUASH, "1.3.0", ["feat"]),
    ("nested-block", "release-please", NESTED, "2.0.0", ["fix", "feat"]),
    ("indented", "release-please", INDENTED, "1.2.1", ["fix"]),
    ("bullet-only", "release-please", "fix: a\n\n- feat!: drop it\n", "1.2.1", ["fix"]),
]


@pytest.mark.parametrize(
    ("squash", "message", "version", "types"),
    [c[1:] for c in SQUASH_CASES],
    ids=[c[0] for c in SQUASH_CASES],
)
def test_squash_rules(
    repo: Repo, plan: Plan, squash: str, message: str, version: str, types: list[str] | None
) -> None:
    repo.commit(message)
    result = plan(write_config(repo, f'[commits]\nsquash = "{squash}"\n'))
    assert result["next_version"] == version
    if types is not None:
        assert [c["type"] for c in result["changes"]] == types


MAP_CASES = [
    # (id, [commits] table, messages, expected next version)
    ("refactor-patch", 'bump = { refactor = "patch" }', ["refactor: split"], "1.2.1"),
    ("refactor-default", "", ["refactor: split"], None),
    ("feat-none", 'bump = { feat = "none" }', ["feat: quietly"], None),
    ("perf-minor", 'bump = { perf = "minor" }', ["fix: a", "perf: b"], "1.3.0"),
    ("custom-type", 'bump = { deps = "patch" }', ["deps: bump requests"], "1.2.1"),
    ("scope", 'scope_bump = { deps = "patch" }', ["chore(deps): bump x", "docs: y"], "1.2.1"),
    ("scope-list", 'scope_bump = { deps = "patch" }', ["build(ci,deps): pin"], "1.2.1"),
    ("type-stronger", 'scope_bump = { deps = "patch" }', ["feat(deps): plugin api"], "1.3.0"),
    ("scope-stronger", 'scope_bump = { api = "minor" }', ["fix(api): add arg"], "1.3.0"),
    ("breaking-wins", 'bump = { feat = "none" }', ["feat!: gone"], "2.0.0"),
]


@pytest.mark.parametrize(
    ("table", "messages", "version"), [c[1:] for c in MAP_CASES], ids=[c[0] for c in MAP_CASES]
)
def test_type_and_scope_maps(
    repo: Repo, plan: Plan, table: str, messages: list[str], version: str | None
) -> None:
    for message in messages:
        repo.commit(message)
    result = plan(write_config(repo, f"[commits]\n{table}\n"), "--allow-empty-notes")
    assert result["next_version"] == version


RELEASE_AS_CASES = [
    # (id, messages oldest first, expected version or the error's words)
    ("footer", ["fix: a\n\nRelease-As: 3.0.0"], "3.0.0"),
    ("lowercase-v", ["fix: x\n\nrelease-as: v1.5.0"], "1.5.0"),
    ("newest-wins", ["fix: a\n\nRelease-As: 3.0.0", "feat: b\n\nRelease-As: 2.1.0"], "2.1.0"),
    ("not-after", ["fix: a\n\nRelease-As: 1.0.0"], "not after the last release 1.2.0"),
    ("not-a-version", ["fix: a\n\nRelease-As: soon"], "'soon' is not a version"),
]


@pytest.mark.parametrize(
    ("messages", "expected"),
    [c[1:] for c in RELEASE_AS_CASES],
    ids=[c[0] for c in RELEASE_AS_CASES],
)
def test_release_as_footer(repo: Repo, plan: Plan, messages: list[str], expected: str) -> None:
    for message in messages:
        repo.commit(message)
    before = repo.user_state()
    if expected[0].isdigit():
        result = plan(write_config(repo))
        assert (result["next_version"], result["bump_source"]) == (expected, "Release-As footer")
    else:
        result = plan(write_config(repo), expect=2)
        assert expected in result["error"][0]["what"]
        assert "Release-As" in result["error"][0]["where"]
    assert repo.user_state() == before


def test_release_as_behind_a_breaking_change_counts_for_a_version_query(
    repo: Repo, plan: Plan
) -> None:
    repo.commit("fix: a\n\nRelease-As: 5.0.0")
    repo.commit("feat!: newer and breaking")
    config = write_config(repo)
    assert plan(config, "--no-changelog")["next_version"] == "5.0.0"
    assert plan(config)["next_version"] == "5.0.0"


def test_history_without_conventional_commits_says_how_to_release(repo: Repo, plan: Plan) -> None:
    for message in ("update stuff", "WIP", "more"):
        repo.commit(message)
    config = write_config(repo)
    why = plan(config)["why_nothing"]
    assert why.startswith("3 commits since v1.2.0, none of them conventional")
    command = why.split("release anyway, choose the bump: ")[1].split(" (or")[0]
    assert command == f"release push --config {config} --bump patch --allow-empty-notes"
    # The command it gives works (as a plan).
    assert plan(config, *command.split()[4:])["next_version"] == "1.2.1"


def test_unconventional_history_of_a_project_in_the_config_dir_or_inferred(
    repo: Repo, plan: Plan, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from release.cli import main

    repo.commit("update stuff")
    config = write_config(repo)
    monkeypatch.setenv("RELEASE_CONFIG_DIR", str(config.parent))
    assert "release push --project sample --bump patch" in plan(config)["why_nothing"]
    assert main(["plan", "--path", str(repo.root), "--json"]) == 0
    why = json.loads(capsys.readouterr().out)["why_nothing"]
    assert f"release init --path {repo.root}, then release push --project NAME" in why


def test_chores_only_is_not_called_unconventional(repo: Repo, plan: Plan) -> None:
    repo.commit("chore: tidy")
    assert "none feat/fix/perf/breaking" in plan(write_config(repo))["why_nothing"]


def test_bad_commit_tables_are_config_errors(repo: Repo, plan: Plan) -> None:
    config = write_config(repo, '[commits]\nsquash = "bullets"\nbump = { "feat x" = "major" }\n')
    result = plan(config, expect=2)
    whats = [p["what"] for p in result["error"]]
    assert [w.split(":")[0] for w in whats] == ["commits.squash", "commits.bump"]
    assert "'feat x'" in whats[1]


def test_python_m_release_ignores_the_current_directorys_packages(repo: Repo) -> None:
    # A project with its own old semantic_release/ and a release/ folder of scripts.
    repo.write("semantic_release/__init__.py", "raise ImportError('the project copy')\n")
    repo.write("release/notes.txt", "not a package\n")
    repo.commit("feat: greet")
    config = write_config(repo)
    out = subprocess.run(
        [sys.executable, "-m", "release", "plan", "--config", str(config), "--json"],
        cwd=repo.root,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONSAFEPATH": ""},
        check=False,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert '"next_version": "1.3.0"' in out.stdout


def test_replay_counts_exact_releases(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "replay", Path(__file__).parents[1] / "scripts" / "replay.py"
    )
    assert spec and spec.loader
    replay = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(replay)
    repo = Repo(tmp_path / "upstream")
    repo.commit("chore: init")
    repo.tag("v1.0.0")
    repo.commit("feat: a")
    repo.tag("v1.1.0")
    repo.commit("fix: b")
    repo.tag("v1.1.1")
    repo.commit("fix: c\n\n* feat!: a bullet")
    repo.tag("v2.0.0")  # released by hand as a major: the replay must show the miss
    code = replay.main(
        [str(repo.root), "--scheme", "semver", "-n", "3", "--work", str(tmp_path / "w")]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "MISMATCH v2.0.0 released 2.0.0, plan 1.1.2" in out
    assert out.rstrip().splitlines()[-1].startswith("2/3 exact")
    assert repo.git("tag", "--list").split() == ["v1.0.0", "v1.1.0", "v1.1.1", "v2.0.0"]
