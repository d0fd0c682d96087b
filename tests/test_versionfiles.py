"""Each version-source kind: read, rewrite, and keep everything else byte for byte."""

from __future__ import annotations

import pytest

from release.errors import VersionError
from release.versionfiles import SourceKind, VersionSource

PYPROJECT = """\
# top comment
[project]
name   = "demo"     # odd spacing stays
version = "1.2.0" # inline comment stays
dependencies = [
  "rich",  # why rich
]

[tool.other]
version = "9.9.9"
"""

PACKAGE_JSON = """\
{
    "name": "demo",
    "version": "1.2.0",
    "scripts": {
        "version:patch": "npm version patch"
    },
    "description": "caf\u00e9"
}
"""

CASES = [
    ("pyproject.toml:project.version", SourceKind.TOML, PYPROJECT),
    ("package.json:version", SourceKind.JSON, PACKAGE_JSON),
    ("VERSION", SourceKind.WHOLE_FILE, "1.2.0\n"),
    (
        "src/demo/__init__.py:__version__",
        SourceKind.PYTHON,
        '"""Demo."""\n\n__version__ = "1.2.0"  # set by releases\nOTHER = "1.2.0"\n',
    ),
    ("src/demo/_v.py:__version__", SourceKind.PYTHON, "__version__: str = '1.2.0'\n"),
    (
        'docs/conf.py:^release = "(?P<version>[^"]+)"',
        SourceKind.REGEX,
        'project = "demo"\nrelease = "1.2.0"\nversion = "1.2"\n',
    ),
    ("setup.cfg:^version = (.+)$", SourceKind.REGEX, "[metadata]\nversion = 1.2.0\n"),
]


@pytest.mark.parametrize(("spec", "kind", "text"), CASES, ids=[c[0].split(":")[0] for c in CASES])
def test_round_trip_changes_only_the_version(spec: str, kind: SourceKind, text: str) -> None:
    source = VersionSource.parse(spec)
    assert source.kind is kind
    assert source.read(text) == "1.2.0"
    new = source.write(text, "1.3.0rc1")
    assert source.read(new) == "1.3.0rc1"
    old_lines, new_lines = text.splitlines(), new.splitlines()
    assert len(old_lines) == len(new_lines)
    changed = [(a, b) for a, b in zip(old_lines, new_lines, strict=True) if a != b]
    assert len(changed) == 1
    assert changed[0][1] == changed[0][0].replace("1.2.0", "1.3.0rc1")
    assert source.write(new, "1.2.0") == text


def test_json_keeps_tabs_and_missing_final_newline() -> None:
    text = '{\n\t"version": "0.1.0",\n\t"private": true\n}'
    new = VersionSource.parse("package.json:version").write(text, "0.2.0")
    assert new == '{\n\t"version": "0.2.0",\n\t"private": true\n}'


def test_nested_json_key() -> None:
    text = '{\n  "meta": {\n    "version": "1.0.0"\n  },\n  "version": "9.9.9"\n}\n'
    source = VersionSource.parse("meta.json:meta.version")
    assert source.kind is SourceKind.JSON
    assert source.read(text) == "1.0.0"
    assert source.write(text, "1.1.0") == text.replace("1.0.0", "1.1.0")


@pytest.mark.parametrize(
    ("spec", "text", "message"),
    [
        (
            "pyproject.toml:project.version",
            "[project]\nname = 'x'\n",
            "key 'project.version' not found",
        ),
        ("pyproject.toml:tool.x.version", "[project]\n", "no table [tool]"),
        ("pyproject.toml:project.version", "[project\n", "not valid TOML"),
        ("pyproject.toml:project.version", "[project]\nversion = 3\n", "is not a string"),
        ("package.json:version", "{", "not valid JSON"),
        ("package.json:version", "{}", "key 'version' not found"),
        ("a.py:__version__", "VERSION = '1'\n", "the version was not found"),
        ("a.py:__version__", "__version__ = '1.0.0'\n__version__ = '1.0.0'\n", "matches 2 places"),
        ("VERSION", "1.0.0\n2.0.0\n", "must hold the version alone"),
    ],
)
def test_read_errors_say_what_and_where(spec: str, text: str, message: str) -> None:
    with pytest.raises(VersionError) as info:
        VersionSource.parse(spec).read(text)
    problem = info.value.problems[0]
    assert message in problem.what
    assert problem.where == spec
    assert problem.fix


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (":version", "has no file path"),
        ("pyproject.toml:", "ends with ':'"),
        ("setup.cfg:version = ([", "not a valid regex"),
        ("setup.cfg:(a)(b)", "group named 'version' or exactly one group"),
    ],
)
def test_bad_specs(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        VersionSource.parse(spec)
