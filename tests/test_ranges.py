"""Ranges of both ecosystems: what they admit (npm's against npm's own semver), and their edits."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from release.dependents import Dependency, admits, updated_spec
from release.errors import ConfigError

TABLE: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "npm_semver.json").read_text(encoding="utf-8")
)


def python(spec: str) -> Dependency:
    return Dependency("cli", "core", "cli/pyproject.toml", "project.dependencies", spec, "python")


def npm(spec: str) -> Dependency:
    return Dependency("web", "ui", "web/package.json", "dependencies", spec, "npm")


# ---- npm: the table npm's own semver wrote (scripts/npm_semver_table.py) --------------------


def test_the_table_is_large_and_mixed() -> None:
    """A table that admits everything, or nothing, would prove nothing."""
    cases = TABLE["cases"]
    assert len(cases) >= 70 and len(TABLE["versions"]) >= 30
    yes = sum(len(c["admits"]) for c in cases)
    assert 200 < yes < len(cases) * len(TABLE["versions"]) - 200
    assert sum(not c["valid"] for c in cases) >= 5


@pytest.mark.parametrize(
    "case", TABLE["cases"], ids=[c["range"] or "(empty)" for c in TABLE["cases"]]
)
def test_npm_ranges_admit_what_npm_semver_admits(case: dict[str, Any]) -> None:
    dep = npm(case["range"])
    if not case["valid"]:
        with pytest.raises(ConfigError, match="not a version range npm understands") as err:
            admits(dep, "1.2.3")
        assert "web/package.json" in str(err.value) and "fix:" in str(err.value)
        return
    got = [v for v in TABLE["versions"] if admits(dep, v)]
    assert got == case["admits"]


@pytest.mark.parametrize(
    ("spec", "version", "expected"),
    [
        ("workspace:*", "9.0.0", True),
        ("workspace:^", "9.0.0-rc.1", True),
        ("workspace:~", "0.0.1", True),
        ("workspace:^1.2.0", "1.9.0", True),
        ("workspace:^1.2.0", "2.0.0", False),
        ("workspace:1.2.0", "1.2.1", False),
        ("latest", "7.0.0", True),
        ("file:../core", "3.0.0", True),
        ("link:../core", "3.0.0", True),
    ],
)
def test_npm_protocols(spec: str, version: str, expected: bool) -> None:
    assert admits(npm(spec), version) is expected


@pytest.mark.parametrize(
    "spec", ["next", "git+https://example.invalid/x.git", "workspace:^1.2.3.4"]
)
def test_npm_specs_naming_no_range_are_refused_with_a_fix(spec: str) -> None:
    with pytest.raises(ConfigError, match="semver range such as"):
        admits(npm(spec), "1.0.0")


def test_a_version_that_is_not_semver_is_refused() -> None:
    with pytest.raises(ConfigError, match="not a semver version"):
        admits(npm("^1.0.0"), "1.0")


# ---- Python: PEP 440, pre-releases only where the range names one ---------------------------

VERSIONS = ["1.1.0", "1.2.0", "1.2.5", "1.3.0", "1.9.9", "2.0.0rc1", "2.0.0", "2.1.0", "3.0.0"]
FINALS = [v for v in VERSIONS if "rc" not in v]
PYTHON_CASES = [
    (">=1.2,<2", ["1.2.0", "1.2.5", "1.3.0", "1.9.9"]),
    (">= 1.2 , < 2", ["1.2.0", "1.2.5", "1.3.0", "1.9.9"]),
    ("(>=1.3)", ["1.3.0", "1.9.9", "2.0.0", "2.1.0", "3.0.0"]),
    ("~=1.2", ["1.2.0", "1.2.5", "1.3.0", "1.9.9"]),
    ("~=1.2.0", ["1.2.0", "1.2.5"]),
    ("==1.2.*", ["1.2.0", "1.2.5"]),
    ("==1.2.0", ["1.2.0"]),
    ("===1.2.0", ["1.2.0"]),
    ("!=1.2.5", [v for v in FINALS if v != "1.2.5"]),
    (">2", ["2.1.0", "3.0.0"]),
    ("<2", ["1.1.0", "1.2.0", "1.2.5", "1.3.0", "1.9.9"]),
    ("<=2.0.0", [v for v in FINALS if v <= "2.0.0"]),
    (">=1.0", FINALS),  # 2.0.0rc1 out: pip prefers the final releases it already has
    (">=2.0.0rc1", ["2.0.0rc1", "2.0.0", "2.1.0", "3.0.0"]),
    ("", VERSIONS),
]


@pytest.mark.parametrize(
    ("spec", "expected"), PYTHON_CASES, ids=[c[0] or "(empty)" for c in PYTHON_CASES]
)
def test_python_ranges(spec: str, expected: list[str]) -> None:
    assert [v for v in VERSIONS if admits(python(spec), v)] == expected


def test_python_direct_references_and_bad_input() -> None:
    assert admits(python(""), "0.0.1")
    with pytest.raises(ConfigError, match="not a PEP 440 version range") as err:
        admits(python("^1.2"), "1.2.0")
    assert "cli/pyproject.toml" in str(err.value)
    with pytest.raises(ConfigError, match="not a PEP 440 version"):
        admits(python(">=1"), "one")


# ---- updated_spec: the smallest edit in the same style ---------------------------------------

UPDATES = [
    ("python", ">=1.2,<2", "2.0.0", ">=2.0.0,<3"),
    ("python", ">=1.2, <2.0", "2.0.0", ">=2.0.0, <3.0"),
    ("python", ">=1.2,<1.3", "1.3.0", ">=1.3.0,<1.4"),
    ("python", "<1.3", "2.0.0", "<2.1"),
    ("python", "==1.2.0", "2.0.0", "==2.0.0"),
    ("python", "==1.2.*", "2.0.0", "==2.0.*"),
    ("python", "~=1.2", "2.0", "~=2.0"),
    ("python", "~=1.2", "2.0.0", "~=2.0"),
    ("python", "~=1.2.0", "1.3.1", "~=1.3.1"),
    ("python", "~=1.2", "2.0rc1", "~=2.0rc1"),
    ("python", "(>=1.0,<2)", "2.1", "(>=2.1,<3)"),
    ("python", ">1.0,<2,!=1.5", "2.0.0", ">=2.0.0,<3,!=1.5"),
    ("python", "<=1.9", "2.0.0", "<=2.0.0"),
    ("python", ">=1.2,<2", "2.0.0rc1", ">=2.0.0rc1,<3"),
    ("npm", "^1.2.0", "2.0.0", "^2.0.0"),
    ("npm", "^1.2", "2.0.0", "^2.0"),
    ("npm", "^0.2.3", "0.3.0", "^0.3.0"),
    ("npm", "^1", "2.0.0-rc.1", "^2.0.0-rc.1"),
    ("npm", "~1.2.0", "1.3.0", "~1.3.0"),
    ("npm", "~1", "2.5.0", "~2"),
    ("npm", "1.2.0", "2.0.0", "2.0.0"),
    ("npm", "=v1.2.3", "1.2.4", "=v1.2.4"),
    ("npm", "1.2.x", "1.3.0", "1.3.x"),
    ("npm", "1.x || 3.x", "4.0.0", "1.x || 4.x"),
    ("npm", ">=1.2.0 <2.0.0", "2.0.0", ">=2.0.0 <3.0.0"),
    ("npm", ">= 1.2.3 < 2", "2.0.0", ">= 2.0.0 < 3"),
    ("npm", ">=1.2.0 <2.0.0-0", "2.0.0", ">=2.0.0 <3.0.0-0"),
    ("npm", "<=1.2", "2.0.0", "<=2.0"),
    ("npm", "1.2.3 - 2.3.4", "3.0.0", "3.0.0 - 3.0.0"),
    ("npm", "1.2.3 - 2", "3.1.0", "3.1.0 - 3"),
    ("npm", "workspace:^1.2.0", "2.0.0", "workspace:^2.0.0"),
    ("npm", "workspace:~1.2.0", "1.3.0", "workspace:~1.3.0"),
]


@pytest.mark.parametrize(("ecosystem", "spec", "version", "expected"), UPDATES)
def test_updated_spec_keeps_the_style(
    ecosystem: str, spec: str, version: str, expected: str
) -> None:
    dep = python(spec) if ecosystem == "python" else npm(spec)
    assert not admits(dep, version)
    new = updated_spec(dep, version)
    assert new == expected
    assert admits(Dependency(**{**dep.__dict__, "spec": new}), version)


@pytest.mark.parametrize(
    ("dep", "version"),
    [(python(">=1.2,<2"), "1.5"), (npm("^1.2.0"), "1.9.0"), (npm("workspace:^"), "9.0.0")],
)
def test_a_range_that_admits_is_left_alone(dep: Dependency, version: str) -> None:
    assert updated_spec(dep, version) == dep.spec


def test_an_exclusion_cannot_be_edited_and_says_how_to_fix() -> None:
    with pytest.raises(ConfigError, match="cannot say how to edit") as err:
        updated_spec(python(">=1.0,!=1.5"), "1.5")
    assert "cli/pyproject.toml" in str(err.value) and "by hand" in str(err.value)


def test_every_npm_range_of_the_table_is_moved_or_refused_cleanly() -> None:
    """Whatever updated_spec returns admits the version; it never returns a wrong range."""
    moved = refused = 0
    for case in (c for c in TABLE["cases"] if c["valid"]):
        for version in ("1.3.0", "2.0.0", "3.0.0", "10.0.0", "2.0.0-rc.1"):
            dep = npm(case["range"])
            try:
                new = updated_spec(dep, version)
            except ConfigError:
                refused += 1
                continue
            assert admits(Dependency(**{**dep.__dict__, "spec": new}), version), (dep.spec, new)
            moved += 1
    assert moved > 250 and refused < 20


def test_long_runs_of_spaces_cost_no_time() -> None:
    """node-semver's port of npm's regex takes seconds per dozen spaces in a row (npm fixed it
    in 7.5.2 by collapsing whitespace): 300 spaces would take about 15 s without the fix."""
    started = time.perf_counter()
    wide = npm(">=1.0.0" + " " * 300 + "<1.5.0")
    assert admits(wide, "1.2.0") and not admits(wide, "2.0.0")
    with pytest.raises(ConfigError, match="not a version range npm understands"):
        admits(npm("1.2.3" + " " * 300 + "<"), "1.2.3")
    with pytest.raises(ConfigError, match="cannot say how to edit"):
        updated_spec(npm("1.2.3" + " " * 2000 + "<2"), "2.0.0")
    assert updated_spec(npm(">=1.0.0" + " " * 300 + "<1.5.0"), "2.0.0").endswith("<2.1.0")
    assert time.perf_counter() - started < 2
