"""The plan as a user sees it: exact file changes, the JSON contract, and a repository untouched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import PYPROJECT, write_config
from gitrepo import Repo

Plan = Callable[..., dict[str, Any]]

TOWNCRIER = '\n[tool.towncrier]\ndirectory = "changelog.d"\nfilename = "CHANGELOG.md"\n'
CHANGELOG = (
    "# Changelog\n\n<!-- towncrier release notes start -->\n\n## 1.2.0 (2026-01-01)\n\n- old\n"
)


def cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "release", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        check=False,
        timeout=120,
    )


@pytest.fixture
def full(repo: Repo) -> Repo:
    """A project with every kind of file a release rewrites, and releasable work since v1.2.0."""
    repo.commit(
        "chore: files",
        {
            "pyproject.toml": PYPROJECT.format(version="1.2.0") + TOWNCRIER,
            "src/sample/__init__.py": '__version__ = "1.2.0"\n',
            "CHANGELOG.md": CHANGELOG,
            "README.md": "pip install sample==1.2.0\nSince 11.2.0 and 1.2.0.1 nothing.\n",
        },
    )
    repo.git("tag", "-d", "v1.2.0")
    repo.tag("v1.2.0")
    repo.commit("feat(greet): greet by name")
    repo.commit("fix: strip names", {"changelog.d/+strip.bugfix.md": "Names are stripped.\n"})
    repo.write("untracked.txt", "the user's own file\n")
    return repo


def config_for(repo: Repo) -> Path:
    return write_config(
        repo,
        """
        [version]
        files = ["pyproject.toml:project.version", "src/sample/__init__.py:__version__"]

        [commands]
        test = "python -m pytest -q"
        health = "python -c 'import sample'"

        [[targets]]
        name = "internal"
        kind = "pypi"
        url = "http://127.0.0.1:8080/"
        username_env = "PYPI_USERNAME"
        password_env = "PYPI_PASSWORD"
        """,
    )


def test_plan_changes_nothing(full: Repo) -> None:
    config = config_for(full)
    before = full.snapshot()
    human = cli("plan", "--config", str(config))
    machine = cli("plan", "--config", str(config), "--json", "--prerelease", "rc")
    assert human.returncode == 0, human.stderr
    assert machine.returncode == 0, machine.stderr
    after = full.snapshot()
    # The one thing a plan may write: its cache of parsed commits, safe to delete.
    cache = {k for k in after if k.startswith(".git/release/cache/")}
    assert cache == {".git/release/cache/commits.marshal"}
    assert {k: v for k, v in after.items() if k not in cache} == before
    assert full.git("status", "--porcelain") == "?? untracked.txt"


def test_json_contract(full: Repo, plan: Plan) -> None:
    result = plan(config_for(full))
    assert {
        "project",
        "current_version",
        "next_version",
        "bump",
        "tag",
        "files",
        "nothing_to_release",
    } <= result.keys()
    assert (result["project"], result["current_version"], result["next_version"]) == (
        "sample",
        "1.2.0",
        "1.3.0",
    )
    assert (result["bump"], result["tag"], result["nothing_to_release"]) == (
        "minor",
        "v1.3.0",
        False,
    )
    assert result["files"] == [
        "pyproject.toml",
        "src/sample/__init__.py",
        "CHANGELOG.md",
        "changelog.d/+strip.bugfix.md",
        "README.md",
    ]
    assert result["version_files"] == [
        {"spec": "pyproject.toml:project.version", "version": "1.2.0"},
        {"spec": "src/sample/__init__.py:__version__", "version": "1.2.0"},
    ]
    commands = {c["name"]: c for c in result["commands"]}
    assert commands["test"]["command"] == "python -m pytest -q"
    assert commands["publish internal"]["env"] == ["PYPI_USERNAME", "PYPI_PASSWORD"]
    assert commands["health"]["phase"] == "deploy"
    assert result["targets"] == [
        {
            "name": "internal",
            "kind": "pypi",
            "url": "http://127.0.0.1:8080/",
            "version": "1.3.0",
            "credentials_env": ["PYPI_USERNAME", "PYPI_PASSWORD"],
            "trusted_publishing": False,
            "dist_tag": None,
        }
    ]


def test_changelog_from_fragments_and_readme_mentions(full: Repo, plan: Plan) -> None:
    changes = {c["path"]: c for c in plan(config_for(full))["file_changes"]}
    changelog = changes["CHANGELOG.md"]["diff"]
    assert "+## Bugfixes" in changelog or "+### Bugfixes" in changelog
    assert "+- Names are stripped." in changelog
    assert changes["changelog.d/+strip.bugfix.md"]["action"] == "delete"
    readme = changes["README.md"]["diff"]
    assert "-pip install sample==1.2.0\n+pip install sample==1.3.0" in readme
    assert "11.2.0" not in readme.replace(" Since 11.2.0 and 1.2.0.1 nothing.", "")


def test_changelog_from_commits_without_fragments(repo: Repo, plan: Plan) -> None:
    repo.commit("chore: changelog", {"CHANGELOG.md": "# Changelog\n\n## 1.2.0\n\n- old\n"})
    fix = repo.commit("fix(io): close files")
    feat = repo.commit("feat!: new api\n\nBREAKING CHANGE: old calls are gone")
    result = plan(write_config(repo), "--bump", "minor")
    diff = next(c["diff"] for c in result["file_changes"] if c["path"] == "CHANGELOG.md")
    added = [
        line[1:]
        for line in diff.splitlines()
        if line.startswith("+") and not line.startswith("+++")
    ]
    date = next(line for line in added if line.startswith("## 1.3.0")).split("(")[1].rstrip(")")
    expected = [
        f"## 1.3.0 ({date})",
        "",
        "### Breaking changes",
        "",
        f"- old calls are gone ({feat[:7]})",
        "",
        "### Features",
        "",
        f"- new api ({feat[:7]})",
        "",
        "### Bug fixes",
        "",
        f"- **io:** close files ({fix[:7]})",
    ]
    assert "\n".join(expected) in "\n".join(added)


def test_prerelease_leaves_changelog_and_fragments(full: Repo, plan: Plan) -> None:
    result = plan(config_for(full), "--prerelease", "rc")
    assert result["files"] == ["pyproject.toml", "src/sample/__init__.py"]


def test_human_plan_shows_diffs_and_reasons(full: Repo) -> None:
    out = cli("plan", "--config", str(config_for(full)))
    assert out.returncode == 0, out.stderr
    text = out.stdout
    for expected in [
        "current version  1.2.0  (from tag v1.2.0)",
        "bump             minor",
        "feat(greet): greet by name",
        "commit ",
        "next version     1.3.0",
        "tag              v1.3.0",
        '+version = "1.3.0"  # kept by releases',
        "python -m twine upload --repository-url http://127.0.0.1:8080/",
        "credentials from PYPI_USERNAME, PYPI_PASSWORD",
    ]:
        assert expected in text, expected


def test_nothing_to_release_exits_zero(repo: Repo) -> None:
    repo.commit("chore: tidy")
    out = cli("plan", "--config", str(write_config(repo)), "--json")
    assert out.returncode == 0
    data = json.loads(out.stdout)
    assert data["nothing_to_release"] is True and data["next_version"] is None


def test_project_lookup(full: Repo) -> None:
    config = config_for(full)
    out = cli(
        "plan", "--project", "sample", "--json", env={"RELEASE_CONFIG_DIR": str(config.parent)}
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["next_version"] == "1.3.0"
    missing = cli("plan", "--project", "smaple", env={"RELEASE_CONFIG_DIR": str(config.parent)})
    assert missing.returncode == 2
    assert "did you mean 'sample'?" in missing.stderr


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (
            "mismatch",
            "version mismatch: the last tag v1.2.0 says 1.2.0; "
            "pyproject.toml:project.version says 1.2.5",
        ),
        ("not-a-repo", "is not a git repository"),
        ("missing-file", "VERSION does not exist"),
        ("bad-version", "'one.two' is not a version this tool can release"),
    ],
)
def test_bad_input_exits_2_and_changes_nothing(repo: Repo, setup: str, message: str) -> None:
    body = ""
    if setup == "mismatch":
        repo.commit("fix: x", {"pyproject.toml": PYPROJECT.format(version="1.2.5")})
    elif setup == "not-a-repo":
        (repo.root.parent / "plain").mkdir()
    elif setup == "missing-file":
        body = '\n[version]\nfiles = ["VERSION"]\n'
    elif setup == "bad-version":
        repo.commit("fix: x", {"VERSION": "one.two\n"})
        body = '\n[version]\nfiles = ["VERSION"]\n'
    config = write_config(repo, body, **({"path": "plain"} if setup == "not-a-repo" else {}))
    before = repo.snapshot()
    out = cli("plan", "--config", str(config), "--json")
    assert out.returncode == 2
    assert message in out.stderr
    assert "fix:" in out.stderr
    assert json.loads(out.stdout)["exit_code"] == 2
    assert repo.snapshot() == before


def test_a_release_prepared_by_hand_is_released_as_prepared(repo: Repo, plan: Plan) -> None:
    """commander 15.0.0's shape: the version set to 2.0.0 and its changelog entry written by
    hand, no tag yet. The mismatch names `--version 2.0.0`, which releases it unedited; a
    version the files do not say, or one already tagged, is still refused."""
    entry = "# Changelog\n\n## [2.0.0] (2026-05-29)\n\n- ESM only\n\n## [1.2.0]\n\n- old\n"
    repo.commit(
        "docs: details for the 2.0.0 release",
        {"pyproject.toml": PYPROJECT.format(version="2.0.0"), "CHANGELOG.md": entry},
    )
    config = write_config(repo, '[changelog]\nmode = "check"\nfile = "CHANGELOG.md"\n')
    refused = cli("plan", "--config", str(config))
    assert refused.returncode == 2
    assert "or, when the files name the release you prepared, `--version 2.0.0`" in refused.stderr
    found = plan(config, "--version", "2.0.0")
    assert (found["current_version"], found["next_version"]) == ("1.2.0", "2.0.0")
    # The files already say it, the entry is written: only the docs' mention moves on.
    assert found["files"] == ["README.md"]
    other = cli("plan", "--config", str(config), "--version", "2.1.0")
    assert other.returncode == 2 and "version mismatch" in other.stderr
    repo.tag("v2.0.0")
    repo.commit("fix: after")
    again = cli("plan", "--config", str(config), "--version", "2.0.0")
    assert again.returncode == 2 and "2.0.0" in again.stderr


def test_shallow_clone_without_the_tag_gets_a_hint(repo: Repo, tmp_path: Path) -> None:
    for i in range(3):
        repo.commit(f"fix: {i}")
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", "--no-tags", f"file://{repo.root}", str(clone)],
        check=True,
    )
    config = tmp_path / "shallow.toml"
    config.write_text('name = "s"\npath = "shallow"\n')
    out = cli("plan", "--config", str(config))
    assert out.returncode == 2
    assert "shallow clone" in out.stderr and "git fetch --tags --unshallow" in out.stderr


def test_non_utf8_commit_message_is_handled(repo: Repo, plan: Plan) -> None:
    (repo.root / "f").write_text("x")
    repo.git("add", "f")
    msg = repo.root / "msg"
    msg.write_bytes(b"fix: caf\xe9 in latin-1\n")
    repo.git("-c", "i18n.commitEncoding=ISO-8859-1", "commit", "-q", "-F", str(msg))
    msg.unlink()
    result = plan(write_config(repo))
    assert result["next_version"] == "1.2.1"
    assert result["changes"][0]["subject"] == "café in latin-1"


def test_package_lock_follows_package_json(repo: Repo, plan: Plan) -> None:
    lock = (
        '{\n  "name": "s",\n  "version": "1.2.0",\n  "lockfileVersion": 3,\n  "packages": {\n'
        '    "": {\n      "name": "s",\n      "version": "1.2.0"\n    },\n'
        '    "node_modules/x": {\n      "version": "1.2.0"\n    }\n  }\n}\n'
    )
    repo.commit(
        "feat: npm side",
        {"package.json": '{\n  "name": "s",\n  "version": "1.2.0"\n}\n', "package-lock.json": lock},
    )
    body = '\n[version]\nfiles = ["pyproject.toml:project.version", "package.json:version"]\n'
    result = plan(write_config(repo, body), "--prerelease", "rc")
    changes = {c["path"]: c["diff"] for c in result["file_changes"]}
    assert set(changes) == {"pyproject.toml", "package.json", "package-lock.json"}
    lock_diff = changes["package-lock.json"]
    assert lock_diff.count('+  "version": "1.3.0-rc.1"') == 1
    assert lock_diff.count('+      "version": "1.3.0-rc.1"') == 1
    removed = [line for line in lock_diff.splitlines() if line.startswith("-") and "1.2.0" in line]
    assert len(removed) == 2  # the dependency's own "version": "1.2.0" is left alone
    assert 'version = "1.3.0rc1"' in changes["pyproject.toml"]


def test_ci_summary_goes_to_the_github_job_summary(repo: Repo, tmp_path: Path) -> None:
    repo.commit("chore: nothing")
    summary = tmp_path / "summary.md"
    out = cli(
        "push",
        "--config",
        str(write_config(repo)),
        "--ci",
        env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert out.returncode == 0, out.stderr
    text = summary.read_text()
    assert "# Release report: sample" in text and "- Outcome: nothing_to_release" in text


def test_a_project_without_a_changelog_gets_none(
    repo: Repo, plan: Callable[..., dict[str, Any]]
) -> None:
    repo.commit("fix: a bug")
    result = plan(write_config(repo), "--bump", "patch")
    assert (result["next_version"], result["files"]) == ("1.2.1", ["pyproject.toml", "README.md"])
    named = write_config(repo, '\n[changelog]\nfile = "CHANGELOG.md"\n')
    assert "CHANGELOG.md" in plan(named, "--bump", "patch")["files"]
