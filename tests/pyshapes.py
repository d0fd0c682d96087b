"""Python projects as they really are (dynamic versions from setuptools-scm or hatch-vcs),
made in tmp_path with a bare remote, and their configs for a local index."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import textwrap
from pathlib import Path

from gitrepo import Repo

_names = itertools.count()


def unique() -> int:
    """A number for a name no other project of this test process has."""
    return next(_names)


BACKENDS = {
    "setuptools-scm": """\
        [build-system]
        requires = ["setuptools>=69", "setuptools-scm>=8"]
        build-backend = "setuptools.build_meta"

        [tool.setuptools_scm]
        """,
    "hatch-vcs": """\
        [build-system]
        requires = ["hatchling", "hatch-vcs"]
        build-backend = "hatchling.build"

        [tool.hatch.version]
        source = "vcs"

        [tool.hatch.build.targets.wheel]
        packages = ["src/{module}"]
        """,
}


def project(
    base: Path,
    backend: str,
    *,
    dependencies: list[str] | None = None,
    files: dict[str, str] | None = None,
) -> Repo:
    """A dynamic-version project (the tag is its version) released as 1.2.0, one fix since;
    `files` are added to its first commit."""
    dist = f"shape-{os.getpid()}-{next(_names)}"
    module = dist.replace("-", "_")
    remote = base / f"{dist}.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    repo = Repo(base / dist)
    pyproject = textwrap.dedent(BACKENDS[backend]).format(module=module) + textwrap.dedent(
        f"""
        [project]
        name = "{dist}"
        dynamic = ["version"]
        requires-python = ">=3.11"
        dependencies = {json.dumps(dependencies or [])}
        """
    )
    repo.commit(
        "chore: initial import",
        {
            "pyproject.toml": pyproject,
            f"src/{module}/__init__.py": '"""Shape."""\n',
            ".gitignore": "dist/\n*.egg-info/\n",
            **(files or {}),
        },
    )
    repo.tag("v1.2.0")
    repo.git("remote", "add", "origin", remote.as_uri())
    repo.git("push", "-q", "origin", "main", "v1.2.0")
    repo.git("branch", "-q", "--set-upstream-to=origin/main")
    repo.commit("fix: handle empty input")
    repo.git("push", "-q", "origin", "main")
    return repo


def config(repo: Repo, index: str, extra: str = "") -> Path:
    path = repo.root.parent / f"{repo.root.name}.toml"
    path.write_text(
        textwrap.dedent(
            f"""\
            name = "{repo.root.name}"
            path = "{repo.root.name}"

            [version]
            files = []

            [[targets]]
            name = "local"
            kind = "pypi"
            url = "{index}"
            username_env = "TEST_PYPI_USERNAME"
            password_env = "TEST_PYPI_PASSWORD"
            """
        )
        + textwrap.dedent(extra)
    )
    return path
