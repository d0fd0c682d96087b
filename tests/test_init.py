"""`release init` reads real repository shapes as they are, says why, and never writes into them."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
from gitrepo import Repo

from release.cli import main
from release.version import Version

SCM = """\
[build-system]
requires = ["setuptools>=64", "setuptools_scm>=8"]
build-backend = "setuptools.build_meta"

[project]
name = "scmproj"
dynamic = ["version"]

[tool.setuptools_scm]

[tool.towncrier]
directory = "changelog"
filename = "docs/changelog.rst"
"""

HATCH = """\
[build-system]
requires = ["hatchling", "hatch-vcs"]
build-backend = "hatchling.build"

[project]
name = "hatchproj"
dynamic = ["version"]

[tool.hatch.version]
source = "vcs"
"""


PYPROJECT_AT = '[project]\nname = "calproj"\nversion = "{version}"\n'


def init(
    root: Path, configs: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run init in-process; return its JSON answer and the config it wrote, parsed."""
    code = main(["init", "--path", str(root), "--json", *extra])
    out = capsys.readouterr().out
    assert code == 0, out
    answer: dict[str, Any] = json.loads(out)
    return answer, tomllib.loads(Path(answer["config"]).read_text())


@pytest.fixture
def configs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "configs"
    directory.mkdir()
    monkeypatch.setenv("RELEASE_CONFIG_DIR", str(directory))
    return directory


def untouched(repo: Repo) -> tuple[dict[str, str], str]:
    return repo.snapshot(), repo.git("for-each-ref", "--format=%(refname) %(objectname)")


def test_setuptools_scm_tags_without_v_and_an_old_spelling(
    tmp_path: Path, configs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = Repo(tmp_path / "scmproj")
    repo.commit("first", {"pyproject.toml": SCM, "tox.ini": "[tox]\n"})
    repo.tag("v5.1.1")
    repo.commit("second")
    repo.tag("6.0.0")
    repo.commit("third")
    repo.tag("6.1.0")
    repo.tag("latest")
    repo.commit("fix it", {"changelog/12.bugfix.rst": "Fixed.\n"})
    before = untouched(repo)
    answer, config = init(repo.root, configs, capsys)
    assert untouched(repo) == before  # byte-identical work tree, .git and refs
    assert answer["written"] == [answer["config"]] and answer["added_to_repository"] == []
    assert config["tag_format"] == "{version}"
    assert "older spellings left aside (v: 1 tags)" in answer["inferred"]["tag format"]["why"]
    assert "latest" in answer["inferred"]["tag format"]["why"]
    assert config["version"]["files"] == []
    assert "setuptools-scm" in answer["inferred"]["version files"]["why"]
    assert config["changelog"] == {
        "mode": "generate",
        "file": "docs/changelog.rst",
        "fragments": "changelog",
    }
    assert config["commands"]["test"] == "tox"
    assert [t["kind"] for t in config["targets"]] == ["pypi"]

    code = main(["plan", "--project", "scmproj", "--json"])
    plan = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (plan["current_version"], plan["current_source"]) == ("6.1.0", "tag 6.1.0")
    assert (plan["next_version"], plan["tag"]) == ("6.1.1", "6.1.1")
    assert plan["files"] == ["docs/changelog.rst", "changelog/12.bugfix.rst"]


def test_hatch_vcs_on_a_trunk_default_branch(
    tmp_path: Path, configs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    upstream = Repo(tmp_path / "upstream")
    upstream.git("checkout", "-q", "-b", "trunk")
    upstream.commit("first", {"pyproject.toml": HATCH, "package.json": '{"private": true}\n'})
    upstream.tag("1.0.0")
    clone = tmp_path / "hatchproj"
    subprocess.run(["git", "clone", "-q", str(upstream.root), str(clone)], check=True)
    _, config = init(clone, configs, capsys)
    assert config["branch"] == "trunk"
    assert config["version"]["files"] == []
    assert config["changelog"] == {"mode": "none"}
    assert [t["kind"] for t in config["targets"]] == ["pypi"]  # a private package.json: no npm


def test_towncrier_toml_news_rst_calver_and_a_dev_version(
    tmp_path: Path,
    configs: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = Repo(tmp_path / "calproj")
    files = {
        "pyproject.toml": '[project]\nname = "calproj"\nversion = "24.7.0"\n',
        "towncrier.toml": '[tool.towncrier]\ndirectory = "newsfragments"\nfilename = "NEWS.rst"\n',
        "NEWS.rst": "Release notes\n=============\n\n.. towncrier release notes start\n",
        "newsfragments/.gitkeep": "",
    }
    for version, date in (
        ("24.6.0", "2024-06-03"),
        ("24.7.0", "2024-07-09"),
        ("24.7.1", "2024-07-20"),
    ):
        monkeypatch.setenv("GIT_COMMITTER_DATE", f"{date}T12:00:00")
        files["pyproject.toml"] = f'[project]\nname = "calproj"\nversion = "{version}"\n'
        repo.commit(f"release {version}", files)
        repo.tag(version)
    monkeypatch.delenv("GIT_COMMITTER_DATE")
    repo.commit(
        "start 24.8",
        {
            "pyproject.toml": '[project]\nname = "calproj"\nversion = "24.8.0.dev0"\n',
            "newsfragments/5.feature": "A feature.\n",
        },
    )
    before = untouched(repo)
    _, config = init(repo.root, configs, capsys)
    assert untouched(repo) == before
    assert config["tag_format"] == "{version}"
    assert config["version"]["calver"] == "YY.MM.MICRO"
    assert config["version"]["files"] == ["pyproject.toml:project.version"]
    assert config["changelog"]["file"] == "NEWS.rst"
    assert config["changelog"]["fragments"] == "newsfragments"

    def plan(*args: str) -> dict[str, Any]:
        code = main(["plan", "--project", "calproj", "--json", *args])
        data: dict[str, Any] = json.loads(capsys.readouterr().out)
        assert code == 0, data
        return data

    first = plan("--date", "2024-08-02")
    assert first["next_version"] == "24.8.0"  # the .dev0 in the files announces it
    assert first["reasons"] == ["the version files say 24.8.0.dev0: the next release is 24.8.0"]
    assert first["files"] == ["pyproject.toml", "NEWS.rst", "newsfragments/5.feature"]
    late = plan("--date", "2024-09-10")  # the calendar moved past the announcement
    assert late["next_version"] == "24.9.0"
    assert "a release on 2024-09-10 is 24.9.0 (YY.MM.MICRO)" in late["reasons"][0]

    # Released as 24.8.0; a fix later that month bumps within the period.
    repo.commit("release", {"pyproject.toml": PYPROJECT_AT.format(version="24.8.0")})
    repo.tag("24.8.0")
    repo.commit("fix", {"newsfragments/6.bugfix": "Fixed.\n"})
    assert plan("--date", "2024-08-20")["next_version"] == "24.8.1"
    today = dt.datetime.now(dt.UTC).date()
    assert plan()["next_version"] == f"{today.year % 100}.{today.month}.0"


def test_hand_written_changelog_is_checked_not_written(
    tmp_path: Path, configs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = Repo(tmp_path / "handproj")
    repo.commit(
        "chore: init",
        {
            "pyproject.toml": '[project]\nname = "handproj"\nversion = "1.0.0"\n',
            "CHANGES.rst": "Changes\n=======\n\n1.0.0\n-----\n\n- first\n",
        },
    )
    repo.tag("v1.0.0")
    repo.commit("fix: a bug")
    _, config = init(repo.root, configs, capsys)
    assert config["changelog"] == {"mode": "check", "file": "CHANGES.rst"}
    main(["plan", "--project", "handproj", "--json"])
    plan = json.loads(capsys.readouterr().out)
    assert plan["files"] == ["pyproject.toml"]  # no entry written
    assert (
        "CHANGES.rst has no entry for 1.0.1, and no Unreleased section with notes: "
        "a push would refuse"
    ) in plan["notes"]
    repo.commit("docs: notes", {"CHANGES.rst": "Changes\n=======\n\n1.0.1\n-----\n\n- fix\n"})
    main(["plan", "--project", "handproj", "--json"])
    assert json.loads(capsys.readouterr().out)["notes"] == []


def test_npm_package_publish_config_and_scripts(
    tmp_path: Path, configs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = Repo(tmp_path / "npmproj")
    package = {
        "name": "@acme/npmproj",
        "version": "2.0.0",
        "scripts": {"test": "node test.js", "build": "tsc"},
        "publishConfig": {"registry": "https://npm.example.invalid/", "access": "public"},
    }
    repo.commit("chore: init", {"package.json": json.dumps(package), ".npmrc": "x=1\n"})
    repo.tag("npmproj@2.0.0")
    _, config = init(repo.root, configs, capsys)
    assert config["name"] == "npmproj" and config["tag_format"] == "npmproj@{version}"
    assert config["version"]["files"] == ["package.json:version"]
    assert config["commands"]["test"] == "npm run build && npm test"
    (target,) = config["targets"]
    assert (target["kind"], target["registry"], target["access"]) == (
        "npm",
        "https://npm.example.invalid/",
        "public",
    )


def test_scaffold_adds_only_new_towncrier_files_and_names_them(
    tmp_path: Path, configs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = Repo(tmp_path / "plain")
    pyproject = '[project]\nname = "plain"\nversion = "0.1.0"\n'
    repo.commit("chore: init", {"pyproject.toml": pyproject})
    answer, config = init(repo.root, configs, capsys, "--scaffold")
    added = sorted(Path(p).relative_to(repo.root).as_posix() for p in answer["added_to_repository"])
    assert added == ["CHANGELOG.md", "changelog.d/.gitkeep", "towncrier.toml"]
    assert (repo.root / "pyproject.toml").read_text() == pyproject  # never edited
    assert config["changelog"]["mode"] == "generate"
    again = main(["init", "--path", str(repo.root)])
    assert again == 2 and "already exists" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {
                "pyproject.toml": '[project]\nname = "p"\ndynamic = ["version"]\n'
                '[tool.pdm.version]\nsource = "scm"\n'
            },
            [],
        ),
        (
            {
                "pyproject.toml": '[build-system]\nbuild-backend = "flit_core.buildapi"\n'
                '[project]\nname = "p"\ndynamic = ["version"]\n',
                "p/__init__.py": '"""P."""\n__version__ = "1.0.0"\n',
            },
            ["p/__init__.py:__version__"],
        ),
        (
            {
                "pyproject.toml": '[project]\nname = "p"\ndynamic = ["version"]\n'
                '[tool.hatch.version]\npath = "src/p/__about__.py"\n',
                "src/p/__about__.py": '__version__ = "1.0.0"\n',
            },
            ["src/p/__about__.py:__version__"],
        ),
        (
            {
                "pyproject.toml": '[project]\nname = "p"\nversion = "1.0.0"\n',
                "src/p/__init__.py": "from importlib.metadata import version\n"
                '__version__ = version("p")\n',
            },
            ["pyproject.toml:project.version"],  # metadata, not a literal: not a source
        ),
        ({"VERSION": "1.0.0\n"}, ["VERSION"]),
    ],
    ids=["pdm-scm", "flit", "hatch-path", "metadata-version", "version-file"],
)
def test_version_sources(tmp_path: Path, files: dict[str, str], expected: list[str]) -> None:
    from release.inference import infer

    repo = Repo(tmp_path / "p")
    repo.commit("init", files)
    assert infer(repo.root).version_files.value == expected


def test_monorepo_tags_name_the_project(tmp_path: Path) -> None:
    from release.inference import infer

    repo = Repo(tmp_path / "mono")
    repo.commit("init", {"pyproject.toml": '[project]\nname = "core"\nversion = "1.1.0"\n'})
    for tag in ("core-v1.0.0", "core-v1.1.0", "cli-v2.0.0", "v10", "stable"):
        repo.tag(tag)
    found = infer(repo.root)
    assert found.tag_format.value == "core-v{version}"
    assert "ignored (no full version): stable, v10" in found.tag_format.why


def test_a_folder_name_with_spaces_becomes_a_safe_project_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Without a pyproject.toml or package.json the folder names the project; its spaces must
    # not make `plan --path` refuse the name it inferred itself.
    repo = Repo(tmp_path / "my project (old)")
    repo.commit("feat: first", {"README.md": "x\n"})
    code = main(["plan", "--path", str(repo.root), "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert 'name = "my-project-old"' in json.loads(out.out)["inferred_config"]


def test_the_newest_tag_is_the_highest_version_not_the_last_string(
    tmp_path: Path, configs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Tags made on one day (a release and its floating alias): v9 must not beat v10.
    repo = Repo(tmp_path / "sameday")
    repo.commit("feat: one", {"pyproject.toml": PYPROJECT_AT.format(version="9.21.2")})
    repo.tag("v9.21.2")
    repo.commit("feat!: two", {"pyproject.toml": PYPROJECT_AT.format(version="10.6.0")})
    repo.tag("v10.6.0")
    repo.tag("v10")
    answer, _ = init(repo.root, configs, capsys)
    why = answer["inferred"]["tag format"]["why"]
    assert "v10.6.0 (the newest)" in why, why


def test_a_scoped_public_package_is_published_public(
    tmp_path: Path, configs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # slugify's shape: "@sindresorhus/slugify", no publishConfig. npm would publish it as
    # restricted; the project means it to be public.
    repo = Repo(tmp_path / "slug")
    package = {"name": "@acme/slug", "version": "2.2.0"}
    repo.commit("chore: init", {"package.json": json.dumps(package)})
    repo.tag("v2.2.0")
    _, config = init(repo.root, configs, capsys)
    (target,) = config["targets"]
    assert (target["kind"], target["access"]) == ("npm", "public")


def test_calver_periods_counting_from_one_are_followed(
    tmp_path: Path,
    configs: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # structlog's shape: YY.MINOR.MICRO, each year's first release is YY.1.0, the version
    # from hatch-vcs (the tag is the truth), a hand-written changelog.
    repo = Repo(tmp_path / "yearly")
    pyproject = (
        '[build-system]\nrequires = ["hatchling", "hatch-vcs"]\nbuild-backend = "hatchling.build"\n'
        '[project]\nname = "yearly"\ndynamic = ["version"]\n[tool.hatch.version]\nsource = "vcs"\n'
    )
    for version, date in (
        ("23.1.0", "2023-02-01"),
        ("24.1.0", "2024-01-10"),
        ("24.2.0", "2024-05-01"),
        ("25.1.0", "2025-01-16"),
        ("25.2.0", "2025-03-11"),
    ):
        monkeypatch.setenv("GIT_COMMITTER_DATE", f"{date}T12:00:00")
        changes = f"# Changes\n\n## {version}\n\n- work\n"
        repo.commit(
            f"feat: work for {version}", {"pyproject.toml": pyproject, "CHANGELOG.md": changes}
        )
        repo.tag(version)
    monkeypatch.delenv("GIT_COMMITTER_DATE")
    repo.commit("fix: a bug", {"CHANGELOG.md": "# Changes\n\n## 26.1.0\n\n- a bug\n"})
    _, config = init(repo.root, configs, capsys)
    assert config["version"]["calver"] == "YY.MINOR.MICRO"
    assert config["version"]["calver_start"] == 1

    def next_version(date: str) -> str:
        code = main(["plan", "--project", "yearly", "--json", "--date", date])
        data: dict[str, Any] = json.loads(capsys.readouterr().out)
        assert code == 0, data
        return str(data["next_version"])

    assert next_version("2026-01-19") == "26.1.0"  # a new year starts at 1, as the tags do
    assert next_version("2025-06-01") == "25.2.1"  # within the year: the fix bumps MICRO


def test_calver_periods_counting_from_zero_keep_the_default() -> None:
    from release.calver import recognise_start

    dated = [
        (Version(24, 0, 0), dt.date(2024, 1, 20)),
        (Version(24, 1, 0), dt.date(2024, 4, 20)),
        (Version(25, 0, 0), dt.date(2025, 1, 26)),
        (Version(25, 1, 0), dt.date(2025, 4, 26)),
    ]
    assert recognise_start("YY.MINOR.MICRO", dated) is None
    habit = [(Version(y, 0 if y < 17 else 1, 0), dt.date(2000 + y, 2, 1)) for y in range(15, 21)]
    assert recognise_start("YY.MINOR.MICRO", habit) == (
        1,
        "each period's first release counts from 1: 17.1.0, 18.1.0, 19.1.0, 20.1.0",
    )
    ones = [(Version(v.major, v.minor + 1, 0), d) for v, d in dated]
    assert recognise_start("YY.MINOR.MICRO", ones) == (
        1,
        "each period's first release counts from 1: 24.1.0, 25.1.0",
    )
