"""`release init` on monorepos: workspace declarations (npm, pnpm, uv) and plain folders become
one [[packages]] entry each, with the tag spelling each package's own tags use."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
from gitrepo import Repo

from release import workspaces
from release.cli import main
from release.detect import init_files
from release.initreport import init_json
from release.members import infer_monorepo
from release.workspaces import find_packages


def package_json(name: str, version: str = "1.0.0", **more: Any) -> str:
    return json.dumps({"name": name, "version": version, **more}, indent=2) + "\n"


def pyproject(name: str, version: str = "1.0.0", extra: str = "") -> str:
    return f'[project]\nname = "{name}"\nversion = "{version}"\n{extra}'


@pytest.fixture
def configs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "configs"
    directory.mkdir()
    monkeypatch.setenv("RELEASE_CONFIG_DIR", str(directory))
    return directory


def init(
    root: Path, configs: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run init in-process; the config parsed, its packages by name. What init wrote must
    load (init checks) and plan (`config check` builds the plan)."""
    for old in configs.iterdir():
        old.unlink()
    before = untouched(root)
    code = main(["init", "--path", str(root), "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert untouched(root) == before  # nothing written into the repository
    written = json.loads(out)["config"]
    assert main(["config", "check", written, "--json"]) == 0, capsys.readouterr().out
    capsys.readouterr()
    config = tomllib.loads(Path(written).read_text())
    return config, {p["name"]: p for p in config.get("packages", [])}


def untouched(root: Path) -> tuple[dict[str, str], str]:
    """Every file of the work tree and .git, digested, and every ref."""
    files = {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }
    refs = subprocess.run(
        ["git", "for-each-ref", "--format=%(refname) %(objectname)"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return files, refs


def test_npm_workspaces_with_a_workspace_dependency_and_changesets_tags(
    tmp_path: Path, configs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = Repo(tmp_path / "shop")
    cli_deps = {"dependencies": {"@shop/core": "workspace:^"}, "scripts": {"test": "node t.js"}}
    repo.commit(
        "chore: init",
        {
            "package.json": json.dumps({"private": True, "workspaces": ["packages/*"]}),
            "packages/core/package.json": package_json("@shop/core", "1.2.0"),
            "packages/core/CHANGELOG.md": "# @shop/core\n",
            "packages/cli/package.json": package_json("@shop/cli", "0.3.0", **cli_deps),
            "packages/notes/README.md": "not a package\n",
        },
    )
    repo.tag("@shop/core@1.2.0")
    repo.tag("@shop/cli@0.3.0")
    config, packages = init(repo.root, configs, capsys)
    assert config["name"] == "shop" and config["branch"] == "main"
    assert config["tag_format"] == "{name}@{version}"  # shared: written once
    assert list(packages) == ["@shop/cli", "@shop/core"]
    core, cli = packages["@shop/core"], packages["@shop/cli"]
    assert (core["path"], cli["path"]) == ("packages/core", "packages/cli")
    assert "tag_format" not in core
    assert core["version"] == {"files": ["package.json:version"]}
    assert core["changelog"] == {"mode": "check", "file": "CHANGELOG.md"}  # its own folder's
    assert cli["commands"] == {"test": "npm test"}
    # The same target for both: written once at the top, where its credentials are edited.
    assert "targets" not in core and "targets" not in cli
    assert [(t["kind"], t["access"]) for t in config["targets"]] == [("npm", "public")]
    text = next(iter(init_files(repo.root, configs, None)[0].values()))
    assert "# depends on @shop/core (its manifest says so)" in text
    assert "# 2 packages found from package.json workspaces" in text

    # What init wrote plans as a set: a fix in core releases core alone
    # (`workspace:^` still admits 1.2.1, so cli does not follow).
    written = configs / "shop.toml"
    repo.commit("fix: core rounding", {"packages/core/index.js": "module.exports = 1;\n"})
    assert main(["plan", "--config", str(written), "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    releasing = {p["project"]: p["tag"] for p in plan["packages"] if not p["nothing_to_release"]}
    assert releasing == {"@shop/core": "@shop/core@1.2.1"}


def test_pnpm_globs_with_exclusions_deep_members_and_a_private_app(
    tmp_path: Path, configs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = Repo(tmp_path / "pnpmrepo")
    repo.commit(
        "chore: init",
        {
            "package.json": json.dumps({"name": "root", "private": True}),
            "pnpm-workspace.yaml": "packages:\n  - 'apps/*'\n  - 'libs/**'\n"
            "  - '!libs/internal/**'\n",
            "apps/web/package.json": package_json("web", private=True),
            "libs/liba/package.json": package_json("liba", "2.1.0"),
            "libs/nested/libb/package.json": package_json("libb"),
            "libs/internal/libc/package.json": package_json("libc"),
            "libs/liba/node_modules/dep/package.json": package_json("dep"),
            "libs/nested/copy/package.json": package_json("liba"),  # a second "liba"
            "libs/odd/package.json": package_json("not a name\n[x]"),
        },
    )
    repo.tag("liba-v2.1.0")
    config, packages = init(repo.root, configs, capsys)
    assert list(packages) == ["liba", "libb"]
    assert packages["libb"]["path"] == "libs/nested/libb"
    assert config["tag_format"] == "{name}-v{version}"
    workspace = find_packages(repo.root)
    assert workspace is not None and workspace.source == "pnpm-workspace.yaml"
    assert workspace.notes == (
        "apps/web/package.json is private (never published): no npm package",
        "libs/nested/copy is also named liba (as libs/liba): skipped",
        "libs/odd: 'not a name\\n[x]' is not a package name a registry would take: skipped",
    )


def test_uv_workspace_root_member_exclude_and_slash_tags(
    tmp_path: Path, configs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = Repo(tmp_path / "uvrepo")
    towncrier = '[tool.towncrier]\ndirectory = "changes"\nfilename = "CHANGES.md"\n'
    repo.commit(
        "chore: init",
        {
            "pyproject.toml": pyproject("shop", "1.0.0")
            + '[tool.uv.workspace]\nmembers = ["packages/*"]\nexclude = ["packages/legacy"]\n',
            "packages/core/pyproject.toml": pyproject("shop-core", "2.0.0", towncrier),
            "packages/cli/pyproject.toml": '[project]\nname = "shop_cli"\n'
            'dynamic = ["version"]\ndependencies = ["Shop.Core>=2", "rich"]\n'
            '[tool.hatch.version]\npath = "src/shop_cli/__about__.py"\n',
            "packages/cli/src/shop_cli/__about__.py": '__version__ = "0.7.0"\n',
            "packages/legacy/pyproject.toml": pyproject("shop-legacy"),
            "packages/dev/pyproject.toml": pyproject("dev", extra="[tool.uv]\npackage = false\n"),
        },
    )
    repo.tag("shop-core/v2.0.0")
    repo.tag("shop-core/v1.0.0", "HEAD")
    config, packages = init(repo.root, configs, capsys)
    assert list(packages) == ["shop", "shop_cli", "shop-core"]  # uv: the root is a member
    assert packages["shop"]["path"] == "."
    core = packages["shop-core"]
    assert core["tag_format"] == "{name}/v{version}"
    assert config["tag_format"] == "{name}-v{version}"  # the other two have no tags yet
    assert core["version"]["files"] == ["pyproject.toml:project.version"]
    assert core["changelog"] == {"mode": "generate", "file": "CHANGES.md", "fragments": "changes"}
    assert [t["kind"] for t in config["targets"]] == ["pypi"]
    workspace = find_packages(repo.root)
    assert workspace is not None
    cli = next(m for m in workspace.members if m.name == "shop_cli")
    assert cli.requires == ("shop-core",)  # PEP 503 names: Shop.Core is shop-core
    assert workspace.notes == (
        "packages/dev: [tool.uv] package = false (a virtual project): not released",
    )
    assert packages["shop_cli"]["version"]["files"] == ["src/shop_cli/__about__.py:__version__"]
    answer = init_json(configs / "x.toml", [], infer_monorepo(repo.root, workspace))
    versions = {p["name"]: p["version"] for p in answer["packages"]}
    assert versions == {"shop": "1.0.0", "shop_cli": "0.7.0", "shop-core": "2.0.0"}


def test_plain_folders_python_and_npm_mixed(
    tmp_path: Path, configs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = Repo(tmp_path / "mixed")
    repo.commit(
        "chore: init",
        {
            "pyproject.toml": "[tool.ruff]\nline-length = 100\n",  # tooling only: no package
            "python/alpha/pyproject.toml": pyproject("alpha", "0.4.0"),
            "python/alpha/sub/package.json": package_json("inside-alpha"),  # alpha's own
            "js/widget/package.json": package_json("widget", "3.0.0"),
            "tools/private/package.json": package_json("scripts", private=True),
            "tools/private/lib/pyproject.toml": pyproject("toolkit"),  # below a private one
            "tests/fixtures/pyproject.toml": pyproject("fixture"),
            "examples/demo/package.json": package_json("demo"),
            "docs/package.json": package_json("site"),
            "a/b/c/d/pyproject.toml": pyproject("too-deep"),
        },
    )
    repo.tag("alpha-v0.4.0")
    config, packages = init(repo.root, configs, capsys)
    assert sorted(packages) == ["alpha", "toolkit", "widget"]
    assert packages["alpha"]["path"] == "python/alpha"
    assert "targets" not in config  # each its own
    assert packages["widget"]["targets"][0]["kind"] == "npm"
    assert packages["alpha"]["targets"][0]["kind"] == "pypi"
    assert config["tag_format"] == "{name}-v{version}"
    workspace = find_packages(repo.root)
    assert workspace is not None and workspace.source.startswith("plain folders")
    assert workspace.notes == (
        "tools/private/package.json is private (never published): no npm package",
    )
    # `plan --path` infers the same set, no config saved: alpha is released as tagged,
    # widget's first release is the version in its package.json.
    assert main(["plan", "--path", str(repo.root), "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert "[[packages]]" in plan["inferred_config"]
    versions = {p["project"]: (p["current_version"], p["next_version"]) for p in plan["packages"]}
    assert versions == {
        "alpha": ("0.4.0", None),
        "toolkit": ("1.0.0", "1.0.0"),
        "widget": ("3.0.0", "3.0.0"),
    }


def test_a_single_package_repository_is_not_a_monorepo(
    tmp_path: Path, configs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = Repo(tmp_path / "single")
    repo.commit(
        "chore: init",
        {
            "pyproject.toml": pyproject("single", "1.0.0"),
            "frontend/package.json": package_json("single-ui"),  # no workspace declaration
        },
    )
    repo.tag("v1.0.0")
    assert find_packages(repo.root) is None
    assert main(["init", "--path", str(repo.root), "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert "packages" not in answer
    config = tomllib.loads(Path(answer["config"]).read_text())
    assert "packages" not in config and config["tag_format"] == "v{version}"

    # A setup.py project is one package too, though its version is not read from pyproject.
    legacy = Repo(tmp_path / "legacy")
    legacy.commit("chore: init", {"setup.py": "from setuptools import setup\nsetup()\n"})
    legacy.commit("chore: ui", {"ui/package.json": package_json("legacy-ui")})
    assert find_packages(legacy.root) is None


@pytest.mark.parametrize(
    ("files", "said"),
    [
        (
            {"package.json": json.dumps({"private": True, "workspaces": ["../*"]})},
            "package.json workspaces: the workspace glob '../*' leads out of the repository",
        ),
        (
            {"pnpm-workspace.yaml": "packages:\n  - /etc\n"},
            "the workspace glob '/etc' is absolute",
        ),
        (
            {"pyproject.toml": '[tool.uv.workspace]\nmembers = "packages/*"\n'},
            "[tool.uv.workspace] members: is not a list of folder globs",
        ),
        (
            {"pnpm-workspace.yaml": "packages: [unclosed\n"},
            "pnpm-workspace.yaml is not valid YAML",
        ),
    ],
)
def test_a_glob_leading_outside_or_a_broken_declaration_is_refused(
    tmp_path: Path,
    configs: Path,
    capsys: pytest.CaptureFixture[str],
    files: dict[str, str],
    said: str,
) -> None:
    repo = Repo(tmp_path / "bad")
    repo.commit("chore: init", files)
    (tmp_path / "neighbour").mkdir()
    (tmp_path / "neighbour" / "package.json").write_text(package_json("neighbour"))
    before = untouched(repo.root)
    assert main(["init", "--path", str(repo.root)]) == 2
    err = capsys.readouterr().err
    assert said in err and "fix:" in err and "Traceback" not in err
    assert list(configs.iterdir()) == []
    assert untouched(repo.root) == before


def test_a_symlinked_member_is_skipped_with_a_note(
    tmp_path: Path, configs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "package.json").write_text(package_json("stolen"))
    repo = Repo(tmp_path / "linked")
    repo.commit(
        "chore: init",
        {
            "package.json": json.dumps({"private": True, "workspaces": ["packages/*"]}),
            "packages/real/package.json": package_json("real"),
        },
    )
    (repo.root / "packages" / "link").symlink_to(outside)
    (repo.root / "vendor").symlink_to(tmp_path)  # a link the glob would walk through
    (repo.root / "package.json").write_text(
        json.dumps({"private": True, "workspaces": ["packages/*", "vendor/*"]})
    )
    _, packages = init(repo.root, configs, capsys)
    assert list(packages) == ["real"]
    workspace = find_packages(repo.root)
    assert workspace is not None
    note = "packages/link (package.json workspaces) is a symbolic link: skipped"
    assert workspace.notes == (note, "vendor (package.json workspaces) is a symbolic link: skipped")
    (repo.root / "vendor").unlink()
    text = next(iter(init_files(repo.root, configs, None)[0].values()))
    assert f"# {note}" in text and "stolen" not in text

    # Without a declaration, the scan does not follow a link either.
    (repo.root / "package.json").write_text(json.dumps({"private": True}))
    (repo.root / "packages" / "plainlink").symlink_to(outside)
    workspace = find_packages(repo.root)
    assert workspace is not None and [m.name for m in workspace.members] == ["real"]
    assert workspace.notes == (
        "packages/link is a symbolic link: skipped",
        "packages/plainlink is a symbolic link: skipped",
    )

    # A manifest that is itself a link is not read either.
    (repo.root / "packages" / "real" / "package.json").unlink()
    (repo.root / "packages" / "real" / "package.json").symlink_to(outside / "package.json")
    (repo.root / "package.json").write_text(json.dumps({"workspaces": ["packages/real"]}))
    assert find_packages(repo.root) is None


def test_yarn_packages_object_scaffold_per_package_and_the_json_answer(
    tmp_path: Path, configs: Path
) -> None:
    repo = Repo(tmp_path / "yarnrepo")
    workspaces = {"packages": ["modules/*", "!modules/old"], "nohoist": ["**/x"]}
    repo.commit(
        "chore: init",
        {
            "package.json": json.dumps({"private": True, "workspaces": workspaces}),
            "modules/one/package.json": package_json("one"),
            "modules/two/package.json": package_json("two", "0.2.0"),
            "modules/two/towncrier.toml": '[tool.towncrier]\ndirectory = "news"\n',
            "modules/old/package.json": package_json("old"),
            "modules/.hidden/package.json": package_json("hidden"),
        },
    )
    repo.tag("v0.1.0")  # the repository tagged everything at once before
    files, found = init_files(repo.root, configs, None, scaffold=True)
    config_path = next(iter(files))
    added = sorted(p.relative_to(repo.root).as_posix() for p in files if p != config_path)
    # Only `one` had no changelog: its towncrier setup goes into its own folder.
    assert added == [
        "modules/one/CHANGELOG.md",
        "modules/one/changelog.d/.gitkeep",
        "modules/one/towncrier.toml",
    ]
    config = tomllib.loads(files[config_path])
    one, two = config["packages"]
    assert one["changelog"] == {
        "mode": "generate",
        "file": "CHANGELOG.md",
        "fragments": "changelog.d",
    }
    assert two["changelog"]["fragments"] == "news"
    assert "(the tags spelled v{version} name no package)" in files[config_path]

    answer = init_json(config_path, list(files), found)
    assert answer["inferred"]["packages"] == {
        "value": 2,
        "why": "found from package.json workspaces",
    }
    assert [
        (p["name"], p["path"], p["kind"], p["version"], p["tag_format"]) for p in answer["packages"]
    ] == [
        ("one", "modules/one", "npm", "1.0.0", "{name}-v{version}"),
        ("two", "modules/two", "npm", "0.2.0", "{name}-v{version}"),
    ]
    assert "branch" not in answer["packages"][0]["inferred"]  # the repository's, said once
    assert answer["inferred"]["tag format"] == {
        "value": "{name}-v{version}",
        "why": "2 packages have no tag of their own yet "
        "(the tags spelled v{version} name no package)",
    }
    assert any(
        item.startswith("test command:") and "(one, two)" in item for item in answer["not_inferred"]
    )


def test_the_bundled_monorepo_example_is_read_as_its_config_says(
    tmp_path: Path, configs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    example = Path(__file__).parent.parent / "examples" / "demo-mono"
    repo = Repo(tmp_path / "demo-mono")
    shutil.copytree(example, repo.root, dirs_exist_ok=True)
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "chore: init")
    assert main(["init", "--path", str(repo.root), "--ci"]) == 0
    out = capsys.readouterr().out
    # The table: every package with its path, kind, version and tag format.
    assert "3 packages in" in out and "@sandbox/demo-mono-js" in out
    assert "packages/core" in out and "0.1.0" in out and "{name}-v{version}" in out
    written = tomllib.loads((configs / "demo-mono.toml").read_text())
    by_hand = tomllib.loads(
        (Path(__file__).parent.parent / "configs" / "projects" / "demo-mono.toml").read_text()
    )

    def shape(config: dict[str, Any]) -> dict[str, tuple[str, list[str], list[str]]]:
        return {
            p["name"]: (p["path"], p["version"]["files"], [t["kind"] for t in p["targets"]])
            for p in config["packages"]
        }

    assert shape(written) == shape(by_hand)
    assert written["tag_format"] == by_hand["tag_format"]


def test_a_glob_naming_too_many_folders_is_refused(
    tmp_path: Path,
    configs: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(workspaces, "GLOB_LIMIT", 5)  # the real bound is 5000 folders
    repo = Repo(tmp_path / "wide")
    files = {f"d{i}/e/package.json": package_json(f"p{i}") for i in range(4)}
    files["pnpm-workspace.yaml"] = "packages:\n  - '**/**/**'\n"
    repo.commit("chore: init", files)
    assert main(["init", "--path", str(repo.root)]) == 2
    err = capsys.readouterr().err
    assert "the workspace glob '**/**/**' names more than 5 folders" in err
    assert list(configs.iterdir()) == []
    monkeypatch.setattr(workspaces, "GLOB_LIMIT", 9)  # root, d0..d3, their e: 9 folders
    workspace = workspaces.find_packages(repo.root)
    assert workspace is not None and len(workspace.members) == 4


def test_names_from_the_repository_cannot_break_out_of_a_comment(
    tmp_path: Path, configs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = Repo(tmp_path / "hostile")
    towncrier = '[tool.towncrier]\ndirectory = "news\\nin_all = false"\n'
    repo.commit(
        "chore: init",
        {
            "pkgs/a/pyproject.toml": pyproject("a", extra=towncrier),
            "pkgs/b\nin_all = false/package.json": package_json("b", private=True),
        },
    )
    config, packages = init(repo.root, configs, capsys)
    assert "in_all" not in config and list(packages) == ["a"]
    assert packages["a"]["changelog"]["fragments"] == "news\nin_all = false"  # a value, quoted
