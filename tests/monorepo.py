"""A repository of several packages (Python and npm, with internal dependencies) in real git,
with a bare remote, released to a real index and a real npm registry."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitrepo import Repo
from sample import index_files


@dataclass(frozen=True)
class Pkg:
    name: str
    kind: str  # "pypi" or "npm"
    deps: tuple[str, ...] = ()  # other packages of the repository it depends on

    @property
    def path(self) -> str:
        return f"packages/{self.name}"

    @property
    def module(self) -> str:
        return self.name.replace("-", "_")


@dataclass
class Mono:
    repo: Repo
    config: Path
    remote: Path
    packages: list[Pkg]
    simple_url: str
    registry_url: str
    extra: dict[str, Any] = field(default_factory=dict)

    def world(self) -> dict[str, Any]:
        """Everything a release can change: git here and on the remote, the index, npm."""
        self.repo.git("fetch", "-q", "origin")
        registry: dict[str, Any] = {}
        for p in self.packages:
            if p.kind == "pypi":
                registry[p.name] = sorted(index_files(self.simple_url, p.name))
            else:
                registry[p.name] = sorted(npm_versions(self.registry_url, p.name))
        return {
            "head_tree": self.repo.git("rev-parse", "HEAD^{tree}"),
            "tags": self.repo.git("tag", "-l"),
            "remote_tags": sorted(
                line.split("refs/tags/")[1]
                for line in self.repo.git("ls-remote", "--tags", "--refs", "origin").splitlines()
            ),
            "remote_tree": self.repo.git("rev-parse", "origin/main^{tree}"),
            "status": self.repo.git("status", "--porcelain"),
            "registry": registry,
        }


def npm_versions(registry_url: str, name: str) -> list[str]:
    try:
        with urllib.request.urlopen(f"{registry_url.rstrip('/')}/{name}", timeout=10) as r:
            return list(json.loads(r.read().decode()).get("versions", {}))
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return []
        raise


def _python_files(p: Pkg, version: str) -> dict[str, str]:
    major = int(version.partition(".")[0])
    deps = ", ".join(f'"{d}>={version},<{major + 1}"' for d in p.deps)
    return {
        f"{p.path}/pyproject.toml": (
            '[build-system]\nrequires = ["setuptools>=69"]\n'
            'build-backend = "setuptools.build_meta"\n\n'
            f'[project]\nname = "{p.name}"\nversion = "{version}"\n'
            f'requires-python = ">=3.11"\ndependencies = [{deps}]\n\n'
            '[tool.setuptools.packages.find]\nwhere = ["src"]\n'
        ),
        f"{p.path}/src/{p.module}/__init__.py": f'"""{p.name}."""\n\nVALUE = 1\n',
        f"{p.path}/CHANGELOG.md": "# Changelog\n",
    }


def _npm_files(p: Pkg, version: str) -> dict[str, str]:
    manifest: dict[str, Any] = {
        "name": p.name,
        "version": version,
        "main": "index.js",
        "license": "MIT",
    }
    if p.deps:
        manifest["dependencies"] = {d: f"^{version}" for d in p.deps}
    return {
        f"{p.path}/package.json": json.dumps(manifest, indent=2) + "\n",
        f"{p.path}/index.js": f"exports.value = () => '{p.name}';\n",
        f"{p.path}/CHANGELOG.md": "# Changelog\n",
    }


def config_text(
    name: str,
    repo_path: str,
    packages: list[Pkg],
    simple_url: str,
    index_url: str,
    registry_url: str,
    deletable: bool | None = None,
) -> str:
    lines = [
        f'name = "{name}"',
        f'path = "{repo_path}"',
        'tag_format = "{name}-v{version}"',
        "",
        "[gates.tests]",
        "enabled = false",
        "",
    ]
    for p in packages:
        lines += ["[[packages]]", f'name = "{p.name}"', f'path = "{p.path}"']
        if p.kind == "pypi":
            lines += [
                "[packages.version]",
                'files = ["pyproject.toml:project.version"]',
                "[[packages.targets]]",
                'name = "index"',
                'kind = "pypi"',
                f'url = "{index_url}"',
                'username_env = "TEST_PYPI_USERNAME"',
                'password_env = "TEST_PYPI_PASSWORD"',
                f'dependency_index = "{simple_url}"',
            ]
            if deletable is not None:
                lines.append(f"deletable = {str(deletable).lower()}")
        else:
            lines += [
                "[packages.version]",
                'files = ["package.json:version"]',
                "[[packages.targets]]",
                'name = "npm"',
                'kind = "npm"',
                f'registry = "{registry_url}"',
                'token_env = "TEST_NPM_TOKEN"',
                f'dependency_registry = "{registry_url}"',
            ]
        lines.append("")
    return "\n".join(lines)


def make_monorepo(
    base: Path,
    name: str,
    packages: list[Pkg],
    index_url: str,
    simple_url: str,
    registry_url: str,
    *,
    changed: tuple[str, ...] | None = None,
    deletable: bool | None = None,
) -> Mono:
    """Every package at 1.0.0 (tagged `{name}-v1.0.0`, pushed), then a `feat:` commit in each
    package of `changed` (default: all)."""
    remote = base / f"{name}.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    repo = Repo(base / name)
    files: dict[str, str] = {".gitignore": "node_modules/\n*.tgz\ndist/\nbuild/\n*.egg-info/\n"}
    for p in packages:
        files.update(_python_files(p, "1.0.0") if p.kind == "pypi" else _npm_files(p, "1.0.0"))
    repo.commit("chore: initial import", files)
    for p in packages:
        repo.tag(f"{p.name}-v1.0.0")
    repo.git("remote", "add", "origin", remote.as_uri())
    repo.git("push", "-q", "origin", "main", "--tags")
    repo.git("branch", "-q", "--set-upstream-to=origin/main")
    for p in packages:
        if changed is None or p.name in changed:
            source = (
                f"{p.path}/src/{p.module}/extra.py" if p.kind == "pypi" else f"{p.path}/extra.js"
            )
            repo.commit(f"feat: more of {p.name}", {source: "# more\n"})
    repo.git("push", "-q", "origin", "main")
    config = base / f"{name}.toml"
    config.write_text(
        config_text(name, name, packages, simple_url, index_url, registry_url, deletable)
    )
    return Mono(repo, config, remote, packages, simple_url, registry_url)
