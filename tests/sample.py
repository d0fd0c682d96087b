"""A small releasable Python project in a real git repository, with a remote and an index."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import textwrap
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from gitrepo import Repo

PYPROJECT = """\
[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "{dist}"
version = "1.2.0"
description = "A sample project released by the tests."
readme = "README.md"
requires-python = ">=3.11"

[tool.setuptools.packages.find]
where = ["src"]

[tool.towncrier]
directory = "changelog.d"
filename = "CHANGELOG.md"
title_format = "## {{version}} ({{project_date}})"
"""


@dataclass
class Sample:
    repo: Repo
    config: Path
    dist: str
    module: str
    remote: Path

    def world(self, simple_url: str) -> dict[str, object]:
        """Everything a release can change, read from git, the remote and the index."""
        files = {}
        for path in sorted(self.repo.root.rglob("*")):
            rel = path.relative_to(self.repo.root)
            if path.is_file() and rel.parts[0] != ".git":
                files[str(rel)] = hashlib.sha256(path.read_bytes()).hexdigest()
        self.repo.git("fetch", "-q", "origin")
        return {
            "head_tree": self.repo.git("rev-parse", "HEAD^{tree}"),
            "branch": self.repo.git("symbolic-ref", "--short", "HEAD"),
            "tags": self.repo.git("tag", "-l"),
            "remote_tags": sorted(
                line.split()[1]
                for line in self.repo.git("ls-remote", "--tags", "origin").splitlines()
            ),
            "remote_tree": self.repo.git("rev-parse", "origin/main^{tree}"),
            "status": self.repo.git("status", "--porcelain"),
            "files": files,
            "index": sorted(index_files(simple_url, self.dist)),
        }


def index_files(simple_url: str, dist: str) -> list[str]:
    url = f"{simple_url}{dist}/"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            body = response.read().decode()
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return []
        raise
    return [
        part.split('"')[0].rsplit("/", 1)[-1].split("#")[0] for part in body.split('href="')[1:]
    ]


def make_sample(
    base: Path,
    dist: str,
    index_url: str,
    *,
    health: str = "",
    extra: str = "",
    module: str | None = None,
) -> Sample:
    """A project at 1.2.0 (tagged, pushed to a file:// remote) with one feature since;
    its package is `module` (default: the distribution's name with underscores)."""
    module = module or dist.replace("-", "_")
    remote = base / f"{dist}.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    repo = Repo(base / dist)
    repo.commit(
        "chore: initial import",
        {
            "pyproject.toml": PYPROJECT.format(dist=dist),
            f"src/{module}/__init__.py": '"""Sample."""\n\n__version__ = "1.2.0"\n',
            "CHANGELOG.md": (
                "# Changelog\n\n<!-- towncrier release notes start -->\n\n## 1.2.0\n\n- first\n"
            ),
            "README.md": f"# {dist}\n\n`pip install {dist}==1.2.0`\n",
            ".gitignore": "dist/\nbuild/\n*.egg-info/\n__pycache__/\n",
            "changelog.d/.gitkeep": "",
        },
    )
    repo.tag("v1.2.0")
    repo.git("remote", "add", "origin", remote.as_uri())
    repo.git("push", "-q", "origin", "main", "v1.2.0")
    repo.git("branch", "-q", "--set-upstream-to=origin/main")
    repo.commit("feat: greet loudly", {"changelog.d/+loud.feature.md": "Greet loudly.\n"})
    repo.git("push", "-q", "origin", "main")
    config = base / f"{dist}.toml"
    config.write_text(
        textwrap.dedent(
            f"""\
            name = "{dist}"
            path = "{dist}"

            [version]
            files = ["pyproject.toml:project.version", "src/{module}/__init__.py:__version__"]

            [commands]
            health = {json.dumps(health)}

            [[targets]]
            name = "local"
            kind = "pypi"
            url = "{index_url}"
            username_env = "TEST_PYPI_USERNAME"
            password_env = "TEST_PYPI_PASSWORD"
            """
        )
        + extra
    )
    return Sample(repo, config, dist, module, remote)


PACKAGE_JSON = """\
{{
  "name": "{name}",
  "version": "1.2.0",
  "description": "A sample npm package released by the tests.",
  "main": "index.js",
  "scripts": {{
    "version:patch": "npm version patch --no-git-tag-version",
    "version:minor": "npm version minor --no-git-tag-version",
    "version:major": "npm version major --no-git-tag-version"
  }},
  "license": "MIT"
}}
"""


def make_npm_sample(
    base: Path,
    name: str,
    registry_url: str,
    *,
    index_url: str | None = None,
    version_command: bool = False,
) -> Sample:
    """An npm package at 1.2.0 (or a dual npm + Python project with `index_url`), one feature."""
    module = name.replace("-", "_")
    remote = base / f"{name}.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    repo = Repo(base / name)
    files = {
        "package.json": PACKAGE_JSON.format(name=name),
        "index.js": "exports.greet = (name) => `Hello, ${name}!`;\n",
        "CHANGELOG.md": "# Changelog\n\n<!-- towncrier release notes start -->\n",
        ".gitignore": "node_modules/\n*.tgz\ndist/\nbuild/\n*.egg-info/\n",
    }
    version_files = ["package.json:version"]
    if index_url:
        files["pyproject.toml"] = PYPROJECT.format(dist=name)
        files[f"src/{module}/__init__.py"] = '__version__ = "1.2.0"\n'
        files["README.md"] = f"# {name}\n"
        version_files = ["pyproject.toml:project.version", "package.json:version"]
    repo.commit("chore: initial import", files)
    repo.tag("v1.2.0")
    repo.git("remote", "add", "origin", remote.as_uri())
    repo.git("push", "-q", "origin", "main", "v1.2.0")
    repo.git("branch", "-q", "--set-upstream-to=origin/main")
    repo.commit("feat: greet loudly", {"index.js": "exports.greet = (n) => `HELLO, ${n}!`;\n"})
    repo.git("push", "-q", "origin", "main")
    version = (
        '[version]\ncommand = "npm run --silent version:{bump}"\n'
        if version_command
        else f"[version]\nfiles = {json.dumps(version_files)}\n"
    )
    targets = (
        f'[[targets]]\nname = "npm"\nkind = "npm"\nregistry = "{registry_url}"\n'
        'token_env = "TEST_NPM_TOKEN"\n'
    )
    if index_url:
        targets = (
            f'[[targets]]\nname = "local"\nkind = "pypi"\nurl = "{index_url}"\n'
            'username_env = "TEST_PYPI_USERNAME"\npassword_env = "TEST_PYPI_PASSWORD"\n\n'
        ) + targets
    config = base / f"{name}.toml"
    config.write_text(f'name = "{name}"\npath = "{name}"\n\n{version}\n{targets}')
    return Sample(repo, config, name, module, remote)


def tiny_wheel(out: Path, dist: str, version: str) -> Path:
    """A minimal valid wheel of `dist` at `version`, written directly: for what the tool did
    not publish itself (a release made by hand, an rc left behind)."""
    module = dist.replace("-", "_")
    info = f"{module}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": f'__version__ = "{version}"\n',
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{name},sha256={digest.decode()},{len(text.encode())}")
    files[f"{info}/RECORD"] = "\n".join([*record, f"{info}/RECORD,,", ""])
    path = out / f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path
