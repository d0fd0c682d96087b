"""Release notes from commits: links to the forge, grouping, placement in real changelogs."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import write_config
from gitrepo import Repo

from release.notes import forge_for

Plan = Callable[..., dict[str, Any]]
ROOT = Path(__file__).resolve().parents[1]

FORGES = [
    # (remote URL, expected base, expected commit page)
    ("git@github.com:acme/tool.git", "https://github.com/acme/tool", "/commit/"),
    ("https://github.com/acme/tool", "https://github.com/acme/tool", "/commit/"),
    (
        "https://x-access-token:s3cr3t@github.com/acme/tool.git",
        "https://github.com/acme/tool",
        None,
    ),
    (
        "ssh://git@gitlab.com:22/group/sub/tool.git",
        "https://gitlab.com/group/sub/tool",
        "/-/commit/",
    ),
    ("https://gitlab.example.org/group/tool.git", "https://gitlab.example.org/group/tool", None),
    ("git@bitbucket.org:team/tool.git", "https://bitbucket.org/team/tool", "/commits/"),
    ("git://127.0.0.1:9418/tool.git", None, None),
    ("https://git.example.org/acme/tool.git", None, None),
    ("/srv/git/tool.git", None, None),
]


@pytest.mark.parametrize(("url", "base", "commit"), FORGES)
def test_forge_from_remote_url(url: str, base: str | None, commit: str | None) -> None:
    forge = forge_for(url)
    assert (forge.base if forge else None) == base
    if forge and commit:
        assert forge.commit("abc") == f"{base}{commit}abc"
    if forge:
        assert "s3cr3t" not in forge.commit("abc") + forge.ref("#1", request=True)


REF_CASES = [
    ("git@github.com:a/b.git", "#12", True, "https://github.com/a/b/pull/12"),
    ("git@github.com:a/b.git", "#7", False, "https://github.com/a/b/issues/7"),
    ("git@gitlab.com:a/b.git", "!12", True, "https://gitlab.com/a/b/-/merge_requests/12"),
    ("git@gitlab.com:a/b.git", "#7", False, "https://gitlab.com/a/b/-/issues/7"),
    ("git@bitbucket.org:a/b.git", "#12", True, "https://bitbucket.org/a/b/pull-requests/12"),
]


@pytest.mark.parametrize(("url", "ref", "is_request", "page"), REF_CASES)
def test_pull_request_and_issue_pages(url: str, ref: str, is_request: bool, page: str) -> None:
    forge = forge_for(url)
    assert forge is not None and forge.ref(ref, request=is_request) == page


def _history(repo: Repo, remote: str | None) -> dict[str, str]:
    if remote:
        repo.git("remote", "add", "origin", remote)
    return {
        "fix": repo.commit("fix: trim names\n\nCloses #7"),
        "feat": repo.commit("feat(greet): shout (#12)"),
        "chore": repo.commit("chore: tidy"),
        "break": repo.commit("refactor(api)!: rename greet\n\nBREAKING CHANGE: greet() is hello()"),
    }


def _added(result: dict[str, Any], path: str) -> str:
    diff = next(c["diff"] for c in result["file_changes"] if c["path"] == path)
    return "\n".join(
        line[1:]
        for line in diff.splitlines()
        if line.startswith("+") and not line.startswith("+++")
    )


def test_markdown_notes_are_grouped_linked_and_after_the_title(repo: Repo, plan: Plan) -> None:
    changelog = "# Changelog\n\nAll notable changes.\n\n## 1.2.0 (2026-01-01)\n\n- old\n"
    repo.commit("chore: changelog", {"CHANGELOG.md": changelog})
    sha = _history(repo, "git@github.com:acme/tool.git")
    result = plan(write_config(repo))
    base = "https://github.com/acme/tool"
    link = {k: f"[{v[:7]}]({base}/commit/{v})" for k, v in sha.items()}
    body = (
        "### Breaking changes\n\n"
        f"- **api:** greet() is hello() ({link['break']})\n\n"
        "### Features\n\n"
        f"- **greet:** shout ({link['feat']}, [#12]({base}/pull/12))\n\n"
        "### Bug fixes\n\n"
        f"- trim names ({link['fix']}, [#7]({base}/issues/7))\n"
    )
    assert result["release_notes"] == body
    assert result["next_version"] == "2.0.0"
    date = re.search(r"## 2\.0\.0 \((.+)\)", result["changelog_entry"])
    assert date
    new = next(c for c in result["file_changes"] if c["path"] == "CHANGELOG.md")
    assert new["action"] == "modify"
    expected = changelog.replace("## 1.2.0", f"## 2.0.0 ({date.group(1)})\n\n{body}\n## 1.2.0", 1)
    assert _added(result, "CHANGELOG.md") in expected
    assert "### Chores" not in body  # a chore decides nothing and is no note


RST = """\
.. _changelog:

=========
CHANGELOG
=========

.. _changelog-v1.2.0:

v1.2.0 (2026-01-01)
===================

Bug Fixes
---------

* old
"""


def test_no_changelog_kept_means_no_entry_and_no_refusal(repo: Repo, plan: Plan) -> None:
    repo.commit("chore: only chores")
    result = plan(write_config(repo), "--bump", "patch")
    assert result["next_version"] == "1.2.1" and result["changelog_entry"] is None


def test_restructuredtext_entry_goes_below_title_and_labels(
    repo: Repo, plan: Plan, tmp_path: Path
) -> None:
    repo.commit("chore: changelog", {"CHANGELOG.rst": RST})
    sha = _history(repo, "https://gitlab.com/acme/tool.git")
    config = write_config(repo, '[changelog]\nfile = "CHANGELOG.rst"\n')
    result = plan(config)
    entry = result["changelog_entry"]
    head = entry.splitlines()[0]
    assert entry.startswith(f"{head}\n{'=' * len(head)}\n\nBreaking changes\n----------------\n")
    assert (
        f"* **greet:** shout (`{sha['feat'][:7]} <https://gitlab.com/acme/tool/-/commit/" in entry
    )
    assert "`#12 <https://gitlab.com/acme/tool/-/issues/12>`__" in entry
    # Apply the planned text and read where the entry landed.
    path = tmp_path / "new.rst"
    old_lines = RST.splitlines()
    added = _added(result, "CHANGELOG.rst").splitlines()
    new_text = "\n".join(old_lines[:6] + added + old_lines[6:])
    path.write_text(new_text)
    text = path.read_text()
    assert (
        text.index("CHANGELOG\n=========") < text.index(head) < text.index(".. _changelog-v1.2.0:")
    )
    assert text.startswith(".. _changelog:\n")


def test_other_hosts_get_no_links(repo: Repo, plan: Plan) -> None:
    repo.commit("chore: changelog", {"CHANGELOG.md": "# Changelog\n"})
    sha = _history(repo, "https://git.example.org/acme/tool.git")
    notes = plan(write_config(repo))["release_notes"]
    assert "](" not in notes and f"- trim names ({sha['fix'][:7]}, #7)" in notes


def test_release_without_notes_is_refused_unless_allowed(repo: Repo, plan: Plan) -> None:
    repo.commit("chore: only chores", {"CHANGELOG.md": "# Changelog\n"})
    config = write_config(repo)
    before = repo.user_state()
    error = plan(config, "--bump", "patch", expect=2)["error"][0]
    assert "has no notes" in error["what"] and "--allow-empty-notes" in error["fix"]
    assert repo.user_state() == before
    allowed = plan(config, "--bump", "patch", "--allow-empty-notes")
    assert allowed["next_version"] == "1.2.1"
    # Allowed: no empty "## 1.2.1 (date)" heading in the changelog, and the plan says so.
    assert allowed["changelog_entry"] is None and allowed["release_notes"] is None
    assert "CHANGELOG.md" not in allowed["files"]
    assert any("writes no changelog entry" in note for note in allowed["notes"])


@pytest.mark.parametrize("example", ["demo", "demo-dual", "demo-npm"])
def test_bundled_examples_get_linked_notes_at_the_marker(
    tmp_path: Path, plan: Plan, example: str
) -> None:
    repo = Repo(tmp_path / example)
    shutil.copytree(ROOT / "examples" / example, repo.root, dirs_exist_ok=True)
    repo.commit("chore: import the example")
    repo.tag("v0.1.0")
    sha = _history(repo, f"git@github.com:acme/{example}.git")
    config_text = (ROOT / "configs" / "projects" / f"{example}.toml").read_text()
    config = tmp_path / f"{example}.toml"
    config.write_text(re.sub(r"(?m)^path = .*$", f'path = "{example}"', config_text))
    result = plan(config)
    added = _added(result, "CHANGELOG.md")
    assert f"[{sha['feat'][:7]}](https://github.com/acme/{example}/commit/{sha['feat']})" in added
    changelog = (repo.root / "CHANGELOG.md").read_text()
    marker = "<!-- towncrier release notes start -->\n\n"
    new_text = changelog.replace(marker, f"{marker}{added.strip()}\n\n")
    assert new_text.index(marker) < new_text.index("## 0.2.0") < new_text.index("## 0.1.0")


ENTRY_MD = "## 2.0.0 (d)\n\n- new\n"
ENTRY_RST = "2.0.0 (d)\n---------\n\n* new\n"
PLACES = [
    # (id, existing changelog, markdown?, expected result)
    ("empty", "", True, ENTRY_MD),
    ("md-title-intro", "# Changes\n\nIntro.\n\n## 1.0\n\n- a\n", True,
     f"# Changes\n\nIntro.\n\n{ENTRY_MD}\n## 1.0\n\n- a\n"),
    ("md-title-only", "# Changes\n\nIntro.\n", True, f"# Changes\n\nIntro.\n\n{ENTRY_MD}"),
    ("md-no-title", "## 1.0\n\n- a\n", True, f"{ENTRY_MD}\n## 1.0\n\n- a\n"),
    ("md-fenced-hash", "# C\n\n```\n# not a heading\n```\n\n## 1.0\n", True,
     f"# C\n\n```\n# not a heading\n```\n\n{ENTRY_MD}\n## 1.0\n"),
    ("md-marker", "# C\n\n<!-- towncrier release notes start -->\n\n## 1.0\n", True,
     f"# C\n\n<!-- towncrier release notes start -->\n\n{ENTRY_MD}\n## 1.0\n"),
    ("rst-label-title", ".. _log:\n\nLog\n===\n\n.. _v1:\n\n1.0\n---\n\n* a\n", False,
     f".. _log:\n\nLog\n===\n\n{ENTRY_RST}\n.. _v1:\n\n1.0\n---\n\n* a\n"),
    ("rst-title-only", "Log\n===\n\nIntro.\n", False, f"Log\n===\n\nIntro.\n\n{ENTRY_RST}"),
    ("rst-marker", "Log\n===\n\n.. towncrier release notes start\n\n1.0\n---\n", False,
     f"Log\n===\n\n.. towncrier release notes start\n\n{ENTRY_RST}\n1.0\n---\n"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("existing", "markdown", "expected"), [p[1:] for p in PLACES], ids=[p[0] for p in PLACES]
)
def test_entry_placement(existing: str, markdown: bool, expected: str) -> None:
    from release.changelog import insert_entry

    marker = (
        "<!-- towncrier release notes start -->"
        if markdown
        else (".. towncrier release notes start")
    )
    entry = ENTRY_MD if markdown else ENTRY_RST
    assert insert_entry(existing, entry, marker, markdown=markdown) == expected


def test_the_space_a_towncrier_template_leaves_after_its_entry_stays() -> None:
    # attrs' template ends its entry with two blank lines, and towncrier keeps them: the
    # entries of its CHANGELOG.md are two blank lines apart (its 26.1.0 is byte for byte so).
    from release.changelog import insert_entry

    marker = "<!-- towncrier release notes start -->"
    existing = f"# Changelog\n\n{marker}\n\n## 1.0\n\n- a\n\n\n## 0.9\n"
    entry = "## 2.0 (d)\n\n- new\n\n\n"
    assert insert_entry(existing, entry, marker, markdown=True) == (
        f"# Changelog\n\n{marker}\n\n## 2.0 (d)\n\n- new\n\n\n## 1.0\n\n- a\n\n\n## 0.9\n"
    )


RST_STYLES = [
    ("==\nT\n==\n\n1.0\n===\n\nFixes\n-----\n", ("=", "-")),
    ("T\n=\n\n1.0\n---\n\nFixes\n~~~~~\n", ("-", "~")),
    ("T\n=\n", ("-", "~")),
    ("", ("=", "-")),
]


@pytest.mark.parametrize(("existing", "styles"), RST_STYLES)
def test_restructuredtext_underlines_follow_the_file(
    existing: str, styles: tuple[str, str]
) -> None:
    from release.changelog import rst_styles

    assert rst_styles(existing) == styles


def test_human_plan_shows_the_entry(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    from release.cli import main

    repo.commit("feat(greet): wave", {"CHANGELOG.md": "# Changelog\n"})
    assert main(["plan", "--ci", "--config", str(write_config(repo))]) == 0
    out = capsys.readouterr().out
    assert "Changelog entry\n## 1.3.0 (" in out and "- **greet:** wave (" in out
