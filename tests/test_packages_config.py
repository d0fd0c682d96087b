"""Configs of several packages read as the user wrote them: defaults inherited key by key,
tags that cannot collide, and `{name}` in a one-package config."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conftest import write_config
from gitrepo import Repo

Plan = Callable[..., dict[str, Any]]

PY = '[project]\nname = "{name}"\nversion = "1.0.0"\n'


def two_packages(repo: Repo) -> None:
    repo.commit(
        "feat: two packages",
        {
            "pkgs/a/pyproject.toml": PY.format(name="a"),
            "pkgs/b/pyproject.toml": PY.format(name="b"),
        },
    )


SET = """
[version]
files = ["pyproject.toml:project.version"]
[commands]
test = "true"
[[packages]]
name = "a"
path = "pkgs/a"
[[packages]]
name = "b"
path = "pkgs/b"
[packages.commands]
health = "b-health"
"""


def test_packages_inherit_the_top_level_key_by_key(repo: Repo, plan: Plan) -> None:
    two_packages(repo)
    result = plan(write_config(repo, SET))
    rows = {p["project"]: p for p in result["packages"]}
    assert rows["a"]["tag"] == "a-v1.0.0" and rows["b"]["tag"] == "b-v1.0.0"
    # b set only health: its test command still comes from the top level; a has no health.
    commands = {p: {c["name"]: c["command"] for c in rows[p]["commands"]} for p in rows}
    assert commands["b"]["test"] == "true" and commands["b"]["health"] == "b-health"
    assert commands["a"]["test"] == "true" and "health" not in commands["a"]
    assert rows["b"]["version_files"][0]["spec"] == "pyproject.toml:project.version"


def test_one_tag_format_for_several_packages_is_refused(repo: Repo, plan: Plan) -> None:
    two_packages(repo)
    result = plan(write_config(repo, SET, tag_format="v{version}"), expect=2)
    (error,) = result["error"]
    assert "packages a and b would make the same tags (v{version})" in error["what"]
    assert "{name}" in error["fix"]


def test_name_in_a_one_package_tag_format_is_the_project(repo: Repo, plan: Plan) -> None:
    repo.tag("sample-v1.2.0")
    repo.commit("fix: a")
    result = plan(write_config(repo, tag_format="{name}-v{version}"))
    assert result["tag"] == "sample-v1.2.1"


def test_a_package_folder_that_is_missing_is_named(repo: Repo, plan: Plan) -> None:
    body = SET.replace('path = "pkgs/b"', 'path = "pkgs/nowhere"')
    two_packages(repo)
    result = plan(write_config(repo, body), expect=2)
    assert "pkgs/nowhere is not a folder" in result["error"][0]["what"]


def test_a_dev_version_without_a_number_announces_the_next_release(repo: Repo, plan: Plan) -> None:
    # opentelemetry-python writes `1.45.0.dev` between releases: PEP 440 reads it as dev0.
    dev = PY.format(name="sample").replace('"1.0.0"', '"1.3.0.dev"')
    repo.commit("chore: start 1.3.0", {"pyproject.toml": dev})
    result = plan(write_config(repo))
    assert result["version_files"][0]["version"] == "1.3.0.dev"
    assert result["next_version"] == "1.3.0"


def test_a_package_left_out_that_cannot_be_read_stops_nothing(repo: Repo, plan: Plan) -> None:
    two_packages(repo)
    repo.commit(
        "fix: b's version is one the tool does not release",
        {"pkgs/b/pyproject.toml": PY.format(name="b").replace('"1.0.0"', '"0.66b0.dev"')},
    )
    repo.commit("fix: a", {"pkgs/a/x.py": "x = 1\n"})
    result = plan(write_config(repo, SET), "--package", "a", "--no-dependents")
    rows = {p["project"]: p for p in result["packages"]}
    assert rows["a"]["next_version"] == "1.0.0"
    assert rows["b"]["why_nothing"].startswith("not selected (--package); '0.66b0.dev'")
    # Selected, it is refused with the reason.
    result = plan(write_config(repo, SET), "--package", "b", expect=2)
    assert "'0.66b0.dev' is not a version this tool can release" in result["error"][0]["what"]
