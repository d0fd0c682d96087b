"""A hand-written changelog's Unreleased section is released under the version's heading, in
the style of the file's own release headings (httpx's `## Dev` became `## 0.28.1 (6th
December, 2024)` by hand; a release writes exactly that), and only when it holds notes."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from gitrepo import Repo

from release import unreleased
from release.notes import release_notes
from release.planned import FileChange

DAY = dt.date(2024, 12, 6)

HTTPX = """\
# Changelog

All notable changes to this project will be documented in this file.

The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.0.0/).

## Dev

* Fix SSL case where `verify=False` together with client side certificates.

## 0.28.0 (28th November, 2024)

The 0.28 release includes a limited set of deprecations.
"""


def released(text: str, version: str, *, markdown: bool = True, previous: str = "v1.0.0") -> str:
    section = unreleased.find(text, markdown)
    assert section is not None, "no Unreleased section with notes found"
    return unreleased.release(text, section, version, DAY, tag=f"v{version}", previous_tag=previous)


def test_httpx_dev_section_becomes_the_release_as_its_maintainer_wrote_it() -> None:
    assert released(HTTPX, "0.28.1") == HTTPX.replace("## Dev", "## 0.28.1 (6th December, 2024)")


@pytest.mark.parametrize(
    ("newest", "heading"),
    [
        ("## [1.0.0] - 2024-11-28", "## [1.1.0] - 2024-12-06"),
        ("## v1.0.0 (2024/11/28)", "## v1.1.0 (2024/12/06)"),
        ("## 1.0.0 - November 28, 2024", "## 1.1.0 - December 6, 2024"),
        ("## 1.0.0 (Nov 28, 2024)", "## 1.1.0 (Dec 6, 2024)"),
        ("## Version 1.0.0 -- 28.11.2024", "## Version 1.1.0 -- 06.12.2024"),
        ("## 1.0.0 (1st November 2024)", "## 1.1.0 (6th December 2024)"),
        ("## 1.0.0", "## 1.1.0"),
    ],
)
def test_the_heading_follows_the_newest_release_heading(newest: str, heading: str) -> None:
    text = f"# Changes\n\n## Unreleased\n\n- a fix\n\n{newest}\n\n- first\n"
    assert released(text, "1.1.0").splitlines()[2] == heading


def test_keep_a_changelog_gets_a_fresh_unreleased_section_and_its_compare_links() -> None:
    url = "https://github.com/o/r/compare"
    text = (
        "# Changelog\n\n## [Unreleased]\n\n### Fixed\n\n- a fix\n\n"
        "## [1.0.0] - 2024-11-28\n\n### Added\n\n- first\n\n"
        f"[unreleased]: {url}/v1.0.0...HEAD\n[1.0.0]: {url}/v0.9.0...v1.0.0\n"
    )
    assert released(text, "1.1.0") == (
        "# Changelog\n\n## [Unreleased]\n\n## [1.1.0] - 2024-12-06\n\n### Fixed\n\n- a fix\n\n"
        "## [1.0.0] - 2024-11-28\n\n### Added\n\n- first\n\n"
        f"[unreleased]: {url}/v1.1.0...HEAD\n[1.1.0]: {url}/v1.0.0...v1.1.0\n"
        f"[1.0.0]: {url}/v0.9.0...v1.0.0\n"
    )


def test_restructuredtext_keeps_its_adornment() -> None:
    text = (
        "Changes\n=======\n\nUnreleased\n----------\n\n- a fix\n\n"
        "1.0.0 (2024-11-28)\n------------------\n\n- first\n"
    )
    assert released(text, "1.1.0", markdown=False) == text.replace(
        "Unreleased\n----------", "1.1.0 (2024-12-06)\n------------------"
    )


@pytest.mark.parametrize(
    "text",
    [
        "# Changelog\n\n## Unreleased\n\n## 1.0.0\n\n- first\n",  # nothing waits
        "# Changelog\n\n## Unreleased\n\n### Added\n\n### Fixed\n\n## 1.0.0\n",  # empty parts
        "# Changelog\n\n## 1.0.0\n\n- first\n\n## Unreleased\n\n- older\n",  # below a release
        "# Changelog\n\n## Development setup\n\n- pip install\n",  # not a release section
        "```\n## Unreleased\n- in a code block\n```\n",
    ],
)
def test_no_section_to_release(text: str) -> None:
    assert unreleased.find(text, markdown=True) is None


def test_the_forge_notes_are_the_sections_notes() -> None:
    new = released(HTTPX, "0.28.1")
    change = FileChange("CHANGELOG.md", HTTPX, new, "the Dev section", "changelog")
    assert release_notes("0.28.1", [change], "CHANGELOG.md") == (
        "* Fix SSL case where `verify=False` together with client side certificates."
    )


def _plan(config: Path, *given: str) -> dict[str, Any]:
    options = [*(given or ("--bump", "patch", "--allow-empty-notes")), "--json"]
    out = subprocess.run(
        [sys.executable, "-m", "release", "plan", "--config", str(config), *options],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return dict(json.loads(out.stdout))


# httpx released 0.28.1 by hand on 2024-12-06, on commits that decide no bump.
HTTPX_RELEASE = ("--bump", "patch", "--allow-empty-notes", "--date", "2024-12-06")
FIX = "* Fix SSL case where `verify=False` together with client side certificates.\n"


def test_a_push_plans_the_rename_and_a_missing_entry_is_still_refused(tmp_path: Path) -> None:
    # httpx's shape: a hand-written CHANGELOG.md (check mode), tags without v, commits
    # that are not conventional.
    repo = Repo(tmp_path / "httpx")
    before = HTTPX.replace(f"## Dev\n\n{FIX}\n", "")
    pyproject = '[project]\nname = "httpx"\nversion = "0.28.0"\n'
    repo.commit("Version 0.28.0", {"CHANGELOG.md": before, "pyproject.toml": pyproject})
    repo.git("tag", "0.28.0")
    repo.commit("Fix `verify=False`, `cert=...` case.", {"CHANGELOG.md": HTTPX})
    config = tmp_path / "httpx.toml"
    config.write_text(
        f'name = "httpx"\npath = "{repo.root}"\ntag_format = "{{version}}"\nbranch = "main"\n'
        '[version]\nfiles = ["pyproject.toml:project.version"]\n'
        '[changelog]\nmode = "check"\nfile = "CHANGELOG.md"\n'
    )
    plan = _plan(config, *HTTPX_RELEASE)
    changelog = next(f for f in plan["file_changes"] if f["path"] == "CHANGELOG.md")
    assert "-## Dev\n+## 0.28.1 (6th December, 2024)\n" in changelog["diff"]
    assert not any("a push would refuse" in note for note in plan["notes"])
    # Without notes under the heading there is nothing to name: the push would refuse.
    repo.commit("Empty the Dev section", {"CHANGELOG.md": HTTPX.replace(FIX, "")})
    plan = _plan(config, *HTTPX_RELEASE)
    assert "CHANGELOG.md" not in [f["path"] for f in plan["file_changes"]]
    assert any("no entry for 0.28.1" in note for note in plan["notes"])


PALLETS = """\
Version 3.1.0
-------------

Unreleased

-   Drop support for Python 3.8. :pr:`5623`


Version 3.0.3
-------------

Released 2024-04-07

-   The default ``hashlib.sha1`` may not be available in FIPS builds.
"""


def test_pallets_entry_is_dated_as_its_maintainer_dates_it() -> None:
    # Flask's CHANGES.rst names the version ahead and says "Unreleased" under it; its
    # 3.1.0 release commit made that "Released 2024-11-13", in the style of 3.0.3's.
    dated = unreleased.date_entry(PALLETS, "3.1.0", dt.date(2024, 11, 13), markdown=False)
    assert dated == PALLETS.replace("Unreleased", "Released 2024-11-13")
    assert unreleased.date_entry(dated or "", "3.1.0", DAY, markdown=False) is None  # dated
    assert unreleased.date_entry(PALLETS, "3.0.3", DAY, markdown=False) is None  # released


def test_a_pallets_shaped_plan_dates_the_entry(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "flask")
    pyproject = '[project]\nname = "flask"\nversion = "{}"\n'
    repo.commit("release version 3.0.3", {"CHANGES.rst": PALLETS.split("\n\n\n")[1]})
    repo.git("tag", "3.0.3")
    changes = {"CHANGES.rst": PALLETS, "pyproject.toml": pyproject.format("3.1.0.dev")}
    repo.commit("start version 3.1.0", changes)
    config = tmp_path / "flask.toml"
    config.write_text(
        f'name = "flask"\npath = "{repo.root}"\ntag_format = "{{version}}"\nbranch = "main"\n'
        '[version]\nfiles = ["pyproject.toml:project.version"]\nscheme = "pep440"\n'
        '[changelog]\nmode = "check"\nfile = "CHANGES.rst"\n'
    )
    plan = _plan(config, "--date", "2024-11-13")
    assert plan["next_version"] == "3.1.0"
    changes_rst = next(f for f in plan["file_changes"] if f["path"] == "CHANGES.rst")
    assert "-Unreleased\n+Released 2024-11-13\n" in changes_rst["diff"]


def test_a_heading_keeps_a_closing_hash_that_belongs_to_its_title() -> None:
    text = "# Changes\n\n## Unreleased ##\n\n- a fix\n\n## C# 1.0.0 ##\n\n- first\n"
    assert released(text, "1.1.0").splitlines()[2] == "## C# 1.1.0"


@pytest.mark.parametrize(
    "line",
    [
        "## " + "# " * 200_000 + "x",  # a title full of #, no closing run
        "## " + "(" * 400_000,  # remarks never closed
    ],
)
def test_hostile_lines_are_read_in_one_pass(line: str) -> None:
    # Each of these cost the square of its length with the patterns first written (a 64 kB
    # heading: 12 s; these: hours). Read in one pass, they take milliseconds.
    text = f"# Changes\n\n{line}\n\n- a note\n\n## 1.0.0\n"
    assert unreleased.find(text, markdown=True) is None
    marker = "Unreleased " + "(" * 400_000
    entry = f"# Changes\n\n## 1.1.0\n\n{marker}\n\n- a note\n"
    assert unreleased.date_entry(entry, "1.1.0", DAY, markdown=True) == entry.replace(
        marker, "Released 2024-12-06"
    )


def test_a_crlf_changelog_stays_crlf() -> None:
    text = HTTPX.replace("\n", "\r\n")
    assert released(text, "0.28.1") == text.replace("## Dev", "## 0.28.1 (6th December, 2024)")
    pallets = PALLETS.replace("\n", "\r\n")
    dated = unreleased.date_entry(pallets, "3.1.0", dt.date(2024, 11, 13), markdown=False)
    assert dated == pallets.replace("Unreleased", "Released 2024-11-13")
