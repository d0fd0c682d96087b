"""The bump decision, case by case, on real repositories (commits, fragments, overrides)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from conftest import PYPROJECT, write_config
from gitrepo import Repo

Plan = Callable[..., dict[str, Any]]

CASES = [
    # (id, commit messages oldest first, expected bump, expected next version)
    ("fix", ["fix: handle empty names"], "patch", "1.2.1"),
    ("perf", ["perf: cache lookups"], "patch", "1.2.1"),
    ("feat", ["fix: a", "feat: greet by name", "docs: b"], "minor", "1.3.0"),
    ("feat-scope", ["feat(cli): add --loud"], "minor", "1.3.0"),
    ("bang", ["fix: a", "feat!: drop python 3.10"], "major", "2.0.0"),
    ("bang-scope", ["refactor(api)!: rename greet"], "major", "2.0.0"),
    ("footer", ["feat: new api\n\nBREAKING CHANGE: greet() takes a list"], "major", "2.0.0"),
    ("not-conventional", ["update stuff", "WIP", "Merge-ish words"], None, None),
    ("chores-only", ["chore: tidy", "docs: typo", "ci: cache", "test: more"], None, None),
    # Bullets in a squash commit's body are not commits (release-please's rule, the default).
    ("squash", ["feat: a (#12)\n\n* fix: part one\n\n* feat!: part two"], "minor", "1.3.0"),
]


@pytest.mark.parametrize(
    ("messages", "bump", "version"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_commits_decide_the_bump(
    repo: Repo, plan: Plan, messages: list[str], bump: str | None, version: str | None
) -> None:
    for message in messages:
        repo.commit(message)
    result = plan(write_config(repo))
    assert result["bump"] == bump
    assert result["next_version"] == version
    assert result["nothing_to_release"] is (version is None)
    if version is None:
        assert "since v1.2.0" in result["why_nothing"]
    else:
        assert result["reasons"], "the plan says which commits decided"


def test_reasons_name_the_deciding_commits(repo: Repo, plan: Plan) -> None:
    repo.commit("fix: small")
    sha = repo.commit("feat(api): add greet")
    result = plan(write_config(repo))
    assert result["reasons"] == [f"commit {sha[:7]} feat(api): add greet"]
    assert result["bump_source"] == "commits"
    assert result["commits_read"] == 2


def test_merge_commits_are_skipped_but_their_branch_counts(repo: Repo, plan: Plan) -> None:
    repo.git("checkout", "-q", "-b", "topic")
    repo.commit("feat: from a branch")
    repo.git("checkout", "-q", "main")
    repo.commit("fix: on main")
    repo.git("merge", "-q", "--no-ff", "-m", "feat!: a merge message is not a change", "topic")
    result = plan(write_config(repo))
    assert result["bump"] == "minor"
    assert result["next_version"] == "1.3.0"


def test_revert_inside_the_range_cancels_both(repo: Repo, plan: Plan) -> None:
    repo.commit("fix: keep")
    sha = repo.commit("feat: short-lived")
    repo.git("revert", "--no-edit", sha)
    result = plan(write_config(repo))
    assert result["bump"] == "patch"
    assert [c["subject"] for c in result["changes"]] == ["keep"]


def test_revert_of_a_released_commit_is_a_patch(tmp_path: Any, plan: Plan) -> None:
    repo = Repo(tmp_path / "project")
    repo.commit("chore: init", {"pyproject.toml": PYPROJECT.format(version="1.2.0")})
    released = repo.commit("feat: shipped in 1.2.0")
    repo.tag("v1.2.0")
    repo.git("revert", "--no-edit", released)
    result = plan(write_config(repo))
    assert result["bump"] == "patch"
    assert result["changes"][0]["type"] == "revert"


FRAGMENT_CASES = [
    ("breaking", "major", "2.0.0"),
    ("removal", "major", "2.0.0"),
    ("feature", "minor", "1.3.0"),
    ("deprecation", "minor", "1.3.0"),
    ("bugfix", "patch", "1.2.1"),
    ("doc", None, None),
    ("misc", None, None),
]


@pytest.mark.parametrize(("kind", "bump", "version"), FRAGMENT_CASES)
def test_fragment_types_decide_the_bump(
    repo: Repo, plan: Plan, kind: str, bump: str | None, version: str | None
) -> None:
    # towncrier's default types plus "breaking" need the project's own type list.
    towncrier = (
        '\n[tool.towncrier]\ndirectory = "changelog.d"\nfilename = "CHANGELOG.md"\n'
        + "".join(
            f'[[tool.towncrier.type]]\ndirectory = "{t}"\nname = "{t.title()}"\n'
            "showcontent = true\n"
            for t, _, _ in FRAGMENT_CASES
        )
    )
    repo.commit(
        "chore: towncrier", {"pyproject.toml": PYPROJECT.format(version="1.2.0") + towncrier}
    )
    repo.git("tag", "-d", "v1.2.0")
    repo.tag("v1.2.0")  # released with the towncrier settings in place
    repo.commit("chore: add a fragment", {f"changelog.d/+x.{kind}.md": "Something happened.\n"})
    result = plan(write_config(repo))
    assert result["bump"] == bump
    assert result["next_version"] == version
    if version:
        assert result["bump_source"] == "fragments"
        assert result["reasons"] == [f"fragment +x.{kind}.md ({kind} -> {bump})"]
        assert f"changelog.d/+x.{kind}.md" in result["files"]


def test_strongest_of_commits_and_fragments_wins(repo: Repo, plan: Plan) -> None:
    repo.commit("fix: a bug", {"changelog.d/+f.feature.md": "A feature.\n"})
    result = plan(write_config(repo))
    assert (result["bump"], result["bump_source"]) == ("minor", "fragments")


@pytest.mark.parametrize(
    ("flag", "version"), [("major", "2.0.0"), ("minor", "1.3.0"), ("patch", "1.2.1")]
)
def test_bump_override_wins(repo: Repo, plan: Plan, flag: str, version: str) -> None:
    repo.commit("feat: something")
    result = plan(write_config(repo), "--bump", flag)
    assert (result["bump"], result["next_version"], result["bump_source"]) == (
        flag,
        version,
        "--bump",
    )


def test_bump_override_releases_without_releasable_commits(repo: Repo, plan: Plan) -> None:
    repo.commit("chore: only chores")
    config = write_config(repo)
    assert plan(config, "--bump", "patch", "--allow-empty-notes")["next_version"] == "1.2.1"


def test_prerelease_series(repo: Repo, plan: Plan) -> None:
    repo.commit("feat: new")
    config = write_config(repo)
    first = plan(config, "--prerelease", "rc")
    assert (first["next_version"], first["tag"]) == ("1.3.0rc1", "v1.3.0rc1")
    assert first["next_versions"] == {"pep440": "1.3.0rc1", "semver": "1.3.0-rc.1"}
    repo.commit("chore: release 1.3.0rc1", {"pyproject.toml": PYPROJECT.format(version="1.3.0rc1")})
    repo.tag("v1.3.0rc1")
    repo.commit("fix: found in rc1")
    second = plan(config, "--prerelease", "rc")
    assert second["next_version"] == "1.3.0rc2"
    assert second["current_version"] == "1.3.0rc1"
    beta = plan(config, "--prerelease", "beta")
    assert (beta["next_version"], beta["next_versions"]["semver"]) == ("1.3.0b1", "1.3.0-beta.1")
    final = plan(config)
    assert (final["next_version"], final["bump"]) == ("1.3.0", "minor")


def test_prerelease_already_at_head_is_nothing_but_final_is_allowed(repo: Repo, plan: Plan) -> None:
    repo.commit("feat: new", {"pyproject.toml": PYPROJECT.format(version="1.3.0rc1")})
    repo.tag("v1.3.0rc1")
    config = write_config(repo)
    assert plan(config, "--prerelease", "rc")["nothing_to_release"] is True
    assert plan(config)["next_version"] == "1.3.0"


def test_npm_prerelease_spelling(repo: Repo, plan: Plan) -> None:
    repo.commit("feat: new", {"package.json": '{\n  "name": "s",\n  "version": "1.2.0"\n}\n'})
    body = """
    [version]
    files = ["package.json:version"]

    [[targets]]
    name = "npm"
    kind = "npm"
    registry = "http://127.0.0.1:4873/"
    token_env = "NPM_TOKEN"
    """
    result = plan(write_config(repo, body), "--prerelease", "rc")
    assert (result["next_version"], result["tag"]) == ("1.3.0-rc.1", "v1.3.0-rc.1")
    assert result["targets"][0]["dist_tag"] == "rc"
    assert '"version": "1.3.0-rc.1"' in result["file_changes"][0]["diff"]


ZERO_CASES = [
    ("feat!: breaking on zero", False, "minor", "0.5.0"),
    ("feat!: breaking on zero", True, "major", "1.0.0"),
    ("feat: feature on zero", False, "minor", "0.5.0"),
    ("fix: fix on zero", False, "patch", "0.4.1"),
]


@pytest.mark.parametrize(("message", "major_on_zero", "bump", "version"), ZERO_CASES)
def test_zero_versions(
    tmp_path: Any, plan: Plan, message: str, major_on_zero: bool, bump: str, version: str
) -> None:
    repo = Repo(tmp_path / "project")
    repo.commit("chore: init", {"pyproject.toml": PYPROJECT.format(version="0.4.0")})
    repo.tag("v0.4.0")
    repo.commit(message)
    body = f"""
    [version]
    files = ["pyproject.toml:project.version"]
    major_on_zero = {str(major_on_zero).lower()}
    """
    result = plan(write_config(repo, body))
    assert (result["bump"], result["next_version"]) == (bump, version)


def test_first_release_is_the_version_in_the_files(tmp_path: Any, plan: Plan) -> None:
    repo = Repo(tmp_path / "project")
    repo.commit("feat: everything", {"pyproject.toml": PYPROJECT.format(version="0.1.0")})
    result = plan(write_config(repo))
    assert (result["next_version"], result["bump_source"]) == ("0.1.0", "first release")
    assert result["current_source"] == "version files (no release tag yet)"


def test_tag_only_project_starts_from_zero(tmp_path: Any, plan: Plan) -> None:
    repo = Repo(tmp_path / "project")
    repo.commit("feat: first feature")
    result = plan(write_config(repo, "\n[version]\nfiles = []\n"))
    assert (result["current_version"], result["next_version"]) == (None, "0.1.0")


def test_head_already_released(repo: Repo, plan: Plan) -> None:
    result = plan(write_config(repo))
    assert result["nothing_to_release"] is True
    assert result["why_nothing"] == "HEAD is already released as v1.2.0"
    assert result["bump"] is None and result["files"] == []


def test_custom_tag_format(tmp_path: Any, plan: Plan) -> None:
    repo = Repo(tmp_path / "project")
    repo.commit("chore: init", {"pyproject.toml": PYPROJECT.format(version="2.0.0")})
    repo.tag("sample-2.0.0")
    repo.tag("v9.9.9")  # another format's tag must not count
    repo.commit("fix: x")
    result = plan(write_config(repo, tag_format="sample-{version}"))
    assert (result["last_tag"], result["next_version"], result["tag"]) == (
        "sample-2.0.0",
        "2.0.1",
        "sample-2.0.1",
    )
