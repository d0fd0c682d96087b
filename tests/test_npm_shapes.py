"""npm packages as they really are, released end to end to a local verdaccio: a committed
`.npmrc`, a prepack script that needs a devDependency, and packages with no requireable entry
(bin-only, types-only, name and version only), each verified by what it offers."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from gitrepo import Repo
from services import NpmRegistry

from release.cli import main

pytestmark = pytest.mark.services
_names = itertools.count()

MAKE_DIST = """\
#!/usr/bin/env node
const fs = require("fs");
fs.mkdirSync("dist", { recursive: true });
fs.writeFileSync("dist/index.js", "exports.ok = true;\\n");
"""
HELLO = """\
#!/usr/bin/env node
if (!process.argv.includes("--help")) process.exit(3);
console.log("usage: hello [--help]");
"""


def package(base: Path, manifest: dict[str, Any], files: dict[str, str]) -> Repo:
    """An npm package at 1.2.0 (tagged, pushed) with one fix since; name is set here."""
    name = str(manifest["name"])
    remote = base / f"{name}.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    repo = Repo(base / name)
    body = {**manifest, "version": "1.2.0"}
    repo.commit(
        "chore: initial import",
        {
            "package.json": json.dumps(body, indent=2) + "\n",
            ".gitignore": "node_modules/\n",
            **files,
        },
    )
    repo.tag("v1.2.0")
    repo.git("remote", "add", "origin", remote.as_uri())
    repo.git("push", "-q", "origin", "main", "v1.2.0")
    repo.git("branch", "-q", "--set-upstream-to=origin/main")
    repo.commit("fix: smaller")
    repo.git("push", "-q", "origin", "main")
    config = base / f"{name}.toml"
    config.write_text(
        f'name = "{name}"\npath = "{name}"\n\n[version]\nfiles = ["package.json:version"]\n\n'
        f'[[targets]]\nname = "npm"\nkind = "npm"\nregistry = "{{registry}}"\n'
        'token_env = "TEST_NPM_TOKEN"\n'
    )
    return repo


def builds_dist(
    base: Path, name: str, scripts: dict[str, str], files: dict[str, str] | None = None
) -> Repo:
    """A package whose `dist/` a devDependency of its own (tools/make-dist) makes, run by
    `scripts`."""
    tool = {"name": "make-dist", "version": "1.0.0", "bin": {"make-dist": "cli.js"}}
    return package(
        base,
        {
            "name": name,
            "main": "dist/index.js",
            "files": ["dist"],
            "scripts": scripts,
            "devDependencies": {"make-dist": "file:./tools/make-dist"},
        },
        {
            "tools/make-dist/package.json": json.dumps(tool),
            "tools/make-dist/cli.js": MAKE_DIST,
            **(files or {}),
        },
    )


@pytest.fixture
def push(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], npm_registry: NpmRegistry
) -> Callable[[Repo], tuple[int, dict[str, Any], dict[str, Any]]]:
    """Release a package; return the exit code, the report and the verify step's journal record."""
    monkeypatch.setenv("TEST_NPM_TOKEN", npm_registry.token)

    def run(repo: Repo) -> tuple[int, dict[str, Any], dict[str, Any]]:
        config = repo.root.parent / f"{repo.root.name}.toml"
        config.write_text(config.read_text().replace("{registry}", npm_registry.url))
        code = main(["push", "--config", str(config), "--json", "--ci"])
        out = capsys.readouterr()
        assert npm_registry.token not in out.out + out.err
        report = json.loads(out.out)
        lines = Path(report["journal"]).read_text().splitlines()
        verify = [r for r in map(json.loads, lines) if r.get("step") == "verify npm"]
        return code, report, verify[-1]

    return run


def unique(stem: str) -> str:
    return f"{stem}-{os.getpid()}-{next(_names)}"


def test_prepack_with_a_dev_dependency_and_a_committed_npmrc(
    tmp_path: Path, push: Callable[..., Any]
) -> None:
    name = unique("prepack")
    # A committed .npmrc, as sindresorhus' packages have one.
    repo = builds_dist(tmp_path, name, {"prepack": "make-dist"}, {".npmrc": "package-lock=false\n"})
    code, report, verify = push(repo)
    assert code == 0, report
    gates = {g["name"]: g["status"] for g in report["gates"]}
    assert gates["credential_files"] == "passed"
    assert (report["version"], report["targets"][0]["status"]) == ("1.2.1", "verified")
    assert (verify["loaded"], verify["files"]) == (name, ["dist"])


def test_what_prepublish_only_builds_is_in_the_package(
    tmp_path: Path, push: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """eslint-plugin-import's shape: `lib/` is built by prepublishOnly, which `npm publish`
    runs and `npm pack` does not; the release packs, so it runs the script itself."""
    name = unique("prepublish")
    repo = builds_dist(tmp_path, name, {"prepublishOnly": "npm run build", "build": "make-dist"})
    # The plan shows it among the commands, between the install and the pack.
    config = repo.root.parent / f"{name}.toml"
    shown = tmp_path / "shown.toml"
    shown.write_text(config.read_text().replace("{registry}", "http://127.0.0.1:9/"))
    assert main(["plan", "--config", str(shown), "--json"]) == 0
    commands = [c["name"] for c in json.loads(capsys.readouterr().out)["commands"]]
    assert commands[:3] == ["install", "prepublishOnly", "build"], commands
    code, report, verify = push(repo)
    assert code == 0, report
    assert (report["version"], report["targets"][0]["status"]) == ("1.2.1", "verified")
    assert (verify["loaded"], verify["files"]) == (name, ["dist"])


def test_a_prepublish_only_that_needs_git_stops_the_release_before_anything_leaves(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    npm_registry: NpmRegistry,
) -> None:
    """isaacs' packages push their tags in prepublishOnly: in the release commit's export
    there is no repository; the release stops at the pack, says why, and rolls back."""
    name = unique("pushes-tags")
    repo = package(
        tmp_path,
        {"name": name, "scripts": {"prepublishOnly": "git push origin --follow-tags"}},
        {"index.js": "exports.ok = true;\n"},
    )
    monkeypatch.setenv("TEST_NPM_TOKEN", npm_registry.token)
    config = repo.root.parent / f"{name}.toml"
    config.write_text(config.read_text().replace("{registry}", npm_registry.url))
    head = repo.git("rev-parse", "HEAD")
    code = main(["push", "--config", str(config), "--json", "--ci"])
    report = json.loads(capsys.readouterr().out)
    assert code != 0 and report["outcome"] == "failed", report
    text = "\n".join(report["problems"])
    assert "prepublishOnly script failed" in text and "postpublish" in text, text
    assert repo.git("rev-parse", "HEAD") == head and "v1.2.1" not in repo.git("tag")


@pytest.mark.parametrize(
    ("shape", "manifest", "files", "offered"),
    [
        ("bin-only", {"bin": {"hello": "cli.js"}}, {"cli.js": HELLO}, ("commands", ["hello"])),
        (
            "types-only",
            {"types": "index.d.ts", "files": ["index.d.ts"]},
            {"index.d.ts": "export declare const ok: true;\n"},
            ("files", ["index.d.ts"]),
        ),
        ("bare", {}, {"README.md": "# name and version only\n"}, ("loaded", None)),
    ],
)
def test_a_package_without_an_entry_is_verified_by_what_it_offers(
    tmp_path: Path,
    push: Callable[..., Any],
    npm_registry: NpmRegistry,
    shape: str,
    manifest: dict[str, Any],
    files: dict[str, str],
    offered: tuple[str, Any],
) -> None:
    name = unique(shape)
    repo = package(tmp_path, {"name": name, **manifest}, files)
    code, report, verify = push(repo)
    assert code == 0, report
    assert report["targets"][0]["status"] == "verified"
    key, value = offered
    assert verify[key] == value
    assert "1.2.1" in (npm_registry.packument(name) or {}).get("versions", {})


def installed(where: Path, manifest: dict[str, Any], files: dict[str, str]) -> dict[str, Any]:
    """A package laid out as `npm install` leaves it, bins linked, without a registry."""
    root = where / "node_modules" / manifest["name"]
    for name, text in {"package.json": json.dumps(manifest), **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    for command, target in (manifest.get("bin") or {}).items():
        (root / target).chmod(0o755)
        (where / "node_modules" / ".bin").mkdir(exist_ok=True)
        (where / "node_modules" / ".bin" / command).symlink_to(root / target)
    return manifest


def test_what_a_package_offers_must_work(tmp_path: Path) -> None:
    from release.errors import CommandError, ReleaseError
    from release.ops.npm import check_offers

    broken_cli = "#!/usr/bin/env node\nprocess.exit(1);\n"
    manifest = installed(
        tmp_path / "a", {"name": "a", "bin": {"a": "cli.js"}}, {"cli.js": broken_cli}
    )
    with pytest.raises(CommandError, match="--help"):
        check_offers("a", manifest, tmp_path / "a", {})
    manifest = installed(tmp_path / "b", {"name": "b", "types": "index.d.ts"}, {})
    with pytest.raises(ReleaseError, match=r"declares files it does not contain: index\.d\.ts"):
        check_offers("b", manifest, tmp_path / "b", {})
    manifest = installed(tmp_path / "c", {"name": "c", "main": "main.js"}, {"main.js": "throw 1;"})
    with pytest.raises(CommandError):
        check_offers("c", manifest, tmp_path / "c", {})
    esm = {"name": "d", "type": "module", "exports": "./index.js"}
    manifest = installed(tmp_path / "d", esm, {"index.js": "export const ok = 1;\n"})
    assert check_offers("d", manifest, tmp_path / "d", {}).entry == "d"  # imported, not required
