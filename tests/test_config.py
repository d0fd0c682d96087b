"""Config validation: every problem at once, each with file, key and fix."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from release.config import find_config, load_config
from release.errors import ConfigError, UsageError

GOOD = """\
name = "demo"
path = "../demo"
branch = "main"
remote = "origin"
tag_format = "v{version}"

[version]
files = ["pyproject.toml:project.version", "package.json:version", "VERSION",
         "src/demo/__init__.py:__version__"]

[changelog]
file = "CHANGELOG.md"
fragments = "changelog.d"

[commands]
test = "python -m pytest -q"
build = ""
health = ""

[[targets]]
name = "internal"
kind = "pypi"
url = "http://127.0.0.1:8080/"
username_env = "PYPI_USERNAME"
password_env = "PYPI_PASSWORD"

[[targets]]
name = "npmjs"
kind = "npm"
registry = "http://127.0.0.1:4873/"
token_env = "NPM_TOKEN"
"""


def load(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "configs" / "demo.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(load(tmp_path, text))
    for p in info.value.problems:
        assert p.where.endswith("demo.toml"), p
        assert p.fix, p
    return [f"{p.what} | {p.fix}" for p in info.value.problems]


def test_the_contract_example_loads(tmp_path: Path) -> None:
    loaded = load_config(load(tmp_path, GOOD))
    assert loaded.root == (tmp_path / "demo").resolve()  # relative to the config file
    assert [t.kind for t in loaded.config.targets] == ["pypi", "npm"]
    assert loaded.config.scheme == "pep440"


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = (
        GOOD.replace('tag_format = "v{version}"', 'tag_format = "v"\nbrnach = "x"')
        .replace('password_env = "PYPI_PASSWORD"', 'pasword_env = "PYPI_PASSWORD"')
        .replace('url = "http://127.0.0.1:8080/"', 'url = "127.0.0.1:8080"')
    )
    found = problems(tmp_path, text)
    assert len(found) == 5, found
    joined = "\n".join(found)
    assert "unknown key 'brnach' | did you mean 'branch'?" in joined
    assert "tag_format: must contain {version} exactly once" in joined
    assert "unknown key 'targets[0].pasword_env' | did you mean 'password_env'?" in joined
    assert "targets[0]: no credentials: set password_env" in joined
    assert "targets[0].url: '127.0.0.1:8080' is not an http(s) URL" in joined


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('path = "."\n', "missing required key 'name'"),
        (
            'name = "x"\n[version]\nfiels = []\n',
            "unknown key 'version.fiels' | did you mean 'files'?",
        ),
        (
            'name = "x"\nbranch = 3\n',
            "branch: Input should be a valid string | write a quoted string",
        ),
        ('name = "x"\n[version]\nfiles = ["pyproject.toml:"]\n', "ends with ':'"),
        ('name = "x"\n[[targets]]\nname = "t"\nkind = "conda"\n', "unknown or missing target kind"),
        (
            'name = "x"\n[[targets]]\nname = "t"\nkind = "npm"\ntoken_env = "npm_abc def"\n',
            "is not an environment variable name",
        ),
        (
            'name = "x"\n[[targets]]\nname = "a"\nkind = "npm"\ntoken_env = "T"\n'
            '[[targets]]\nname = "a"\nkind = "npm"\ntoken_env = "T"\n',
            "repeated: a",
        ),
        ('name = "x"\n[version]\nscheme = "calver"\n', "version.scheme: Input should be 'pep440'"),
        ('name = "x"\ntag_format = "v {version}"\n', "character git does not allow"),
        (
            'name = "x"\n[[targets]]\nname = "p"\nkind = "pypi"\nurl = "https://upload.pypi.org/legacy/"\n',
            "no credentials: set password_env",
        ),
        (
            'name = "x"\n[[targets]]\nname = "p"\nkind = "pypi"\nurl = "http://127.0.0.1:8080/"\n'
            "trusted_publishing = true\n",
            "trusted_publishing works only with pypi.org and test.pypi.org",
        ),
    ],
)
def test_each_error_message(tmp_path: Path, text: str, expected: str) -> None:
    assert any(expected in p for p in problems(tmp_path, text)), problems(tmp_path, text)


def test_malformed_toml_names_the_line(tmp_path: Path) -> None:
    found = problems(tmp_path, 'name = "x"\n[version\n')
    assert found == [
        "invalid TOML: Expected ']' at the end of a table declaration (at line 2, "
        "column 9) | fix the syntax there"
    ]


def test_find_config_suggests_a_close_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load(tmp_path, GOOD)
    monkeypatch.setenv("RELEASE_CONFIG_DIR", str(tmp_path / "configs"))
    assert find_config("demo").name == "demo.toml"
    with pytest.raises(UsageError) as info:
        find_config("dmeo")
    assert "did you mean 'demo'?" in info.value.problems[0].fix


def test_npm_only_projects_use_semver(tmp_path: Path) -> None:
    text = GOOD.split("[[targets]]", maxsplit=1)[0] + "[[targets]]" + GOOD.split("[[targets]]")[2]
    assert load_config(load(tmp_path, text)).config.scheme == "semver"
