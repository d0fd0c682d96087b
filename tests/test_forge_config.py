"""Forge targets and `[[notify]]` in configs and plans: checked keys, masked webhooks, and
the releases a push would make. Offline: no service is started."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from conftest import write_config
from gitrepo import Repo

from release.config import load_config
from release.errors import ConfigError
from release.notes import release_notes
from release.planned import FileChange

FORGES = """
[[targets]]
name = "github"
kind = "github"

[[targets]]
name = "gitlab"
kind = "gitlab"
project = "group/sub/widget"

[[notify]]
url = "https://hooks.example.com/services/T00/B00/s3cr3tS3cr3tS3cr3t"
format = "slack"
on = ["failed", "needs_operator"]
"""


def config_problems(repo: Repo, body: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(repo, body))
    return [f"{p.what} | {p.fix}" for p in caught.value.problems]


def test_plan_shows_forge_releases_and_notifications(
    repo: Repo, plan: Callable[..., dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITLAB_CI", raising=False)
    monkeypatch.delenv("CI_PROJECT_PATH", raising=False)
    monkeypatch.delenv("CI_API_V4_URL", raising=False)
    repo.git("remote", "add", "origin", "git@github.com:octo-org/widget.git")
    repo.commit("feat: greet loudly")
    data = plan(write_config(repo, FORGES), "--prerelease", "rc")
    github, gitlab = data["targets"]
    assert github["url"] == "https://api.github.com/repos/octo-org/widget/releases"
    assert github["credentials_env"] == ["GITHUB_TOKEN"]
    assert github["detail"].startswith("release v1.3.0rc1 (pre-release)")
    assert gitlab["url"] == "https://gitlab.com/api/v4/projects/group%2Fsub%2Fwidget/releases"
    assert gitlab["credentials_env"] == ["GITLAB_TOKEN"]
    assert data["notifications"] == [
        "slack to https://hooks.example.com/*** on failed, needs_operator"
    ]


def test_in_gitlab_ci_the_job_token_and_instance_are_the_defaults(
    repo: Repo, plan: Callable[..., dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITLAB_CI", "true")
    monkeypatch.setenv("CI_API_V4_URL", "https://gitlab.example.com/api/v4")
    monkeypatch.setenv("CI_PROJECT_PATH", "team/widget")
    repo.commit("fix: a fix")
    data = plan(write_config(repo, '[[targets]]\nname = "gl"\nkind = "gitlab"\n'))
    (gitlab,) = data["targets"]
    assert gitlab["credentials_env"] == ["CI_JOB_TOKEN"]
    assert gitlab["url"] == "https://gitlab.example.com/api/v4/projects/team%2Fwidget/releases"


def test_bad_forge_and_notify_keys_are_reported_together(repo: Repo) -> None:
    found = config_problems(
        repo,
        """
        [[targets]]
        name = "github"
        kind = "github"
        repositry = "octo-org/widget"

        [[targets]]
        name = "gh2"
        kind = "github"
        repository = "not a repository"
        token_env = "ghp_abc-not-a-name"

        [[notify]]
        url = "https://hooks.example.com/x"
        url_env = "HOOK"
        on = ["sometimes"]
        """,
    )
    text = "\n".join(found)
    assert "unknown key 'targets[0].repositry' | did you mean 'repository'?" in text
    assert "is not owner/name" in text
    assert "is not an environment variable name" in text
    assert "notify[0].on[0]" in text
    assert len(found) == 4, found


def test_notify_needs_exactly_one_url(repo: Repo) -> None:
    found = config_problems(repo, '[[notify]]\nurl_env = "HOOK"\nurl = "https://h.example/x"\n')
    assert any("exactly one of url or url_env" in p for p in found)


def test_release_notes_are_the_changelog_entry() -> None:
    old = "# Changelog\n\n<!-- start -->\n\n## 1.2.0\n\n- first\n"
    entry = "## 1.3.0 (2026-12-01)\n\n### Features\n\n- Loud.\n\n"
    new = old.replace("## 1.2.0", entry + "## 1.2.0")
    files = [FileChange("CHANGELOG.md", old, new, "changelog", "changelog")]
    assert release_notes("1.3.0", files, "CHANGELOG.md") == "### Features\n\n- Loud."
    assert release_notes("1.3.0rc1", [], "CHANGELOG.md") == "Release 1.3.0rc1."
