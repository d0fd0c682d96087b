"""Auto-detection: a config inferred from what a repository holds, for projects with none."""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path

from release.config import LoadedConfig, load_config_text


def infer_config_text(root: Path) -> str:
    """The TOML config a user could save for the repository at `root`."""
    files: list[str] = []
    targets: list[str] = []
    name = root.resolve().name
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        project = tomllib.loads(pyproject.read_text("utf-8")).get("project", {})
        name = project.get("name", name)
        if "version" in project:
            files.append("pyproject.toml:project.version")
            init = _init_with_version(root, str(project.get("name", "")))
            if init:
                files.append(f"{init}:__version__")
            targets.append(
                '[[targets]]\nname = "pypi"\nkind = "pypi"\n'
                'url = "https://upload.pypi.org/legacy/"\npassword_env = "PYPI_TOKEN"\n'
            )
    package = root / "package.json"
    if package.is_file():
        data = json.loads(package.read_text("utf-8"))
        if not pyproject.is_file():
            name = data.get("name", name)
        if "version" in data:
            files.append("package.json:version")
            targets.append(
                '[[targets]]\nname = "npmjs"\nkind = "npm"\n'
                'registry = "https://registry.npmjs.org/"\ntoken_env = "NPM_TOKEN"\n'
            )
    if not files and (root / "VERSION").is_file():
        files.append("VERSION")
    lines = [
        f"# Inferred from {root.resolve()}; save as configs/projects/NAME.toml and adjust.",
        f"name = {json.dumps(str(name).split('/')[-1])}",
        f"path = {json.dumps(str(root.resolve()))}",
        "",
        "[version]",
        f"files = {json.dumps(files)}"
        + ("  # none found: a tag-only release" if not files else ""),
        "",
    ]
    if (root / "changelog.d").is_dir() or (root / "CHANGELOG.md").is_file():
        lines += ["[changelog]", 'file = "CHANGELOG.md"', 'fragments = "changelog.d"', ""]
    if targets:
        lines.append("")
    return "\n".join(lines) + "\n".join(targets)


def _init_with_version(root: Path, distribution: str) -> str | None:
    module = distribution.replace("-", "_")
    for candidate in (f"src/{module}/__init__.py", f"{module}/__init__.py"):
        path = root / candidate
        if path.is_file() and re.search(r"^__version__\s*=", path.read_text("utf-8"), re.M):
            return candidate
    return None


def inferred(root: Path) -> tuple[LoadedConfig, str]:
    text = infer_config_text(root)
    return load_config_text(text, root.resolve() / ".release-inferred.toml"), text


TOWNCRIER_TABLE = """
[tool.towncrier]
directory = "changelog.d"
filename = "CHANGELOG.md"
title_format = "## {version} ({project_date})"
issue_format = "#{issue}"
"""


def init_files(root: Path, config_dir: Path, name: str | None) -> dict[Path, str]:
    """The files `release init` writes: the project config, and towncrier settings plus a
    changelog.d/ when the project has none. Pure: the caller writes them."""
    text = infer_config_text(root)
    inferred_name = text.split('name = "', 1)[1].split('"', 1)[0]
    project = name or inferred_name.split("/")[-1].lstrip("@")
    rel = os.path.relpath(root.resolve(), config_dir.resolve())
    text = text.replace(f"name = {json.dumps(inferred_name)}", f"name = {json.dumps(project)}")
    text = text.replace(f"path = {json.dumps(str(root.resolve()))}", f"path = {json.dumps(rel)}")
    if "[changelog]" not in text:
        text = text.replace(
            "\n[version]",
            '\n[changelog]\nfile = "CHANGELOG.md"\nfragments = "changelog.d"\n\n[version]',
            1,
        )
    files = {config_dir / f"{project}.toml": "#:schema ../schema.json\n" + text.split("\n", 1)[1]}
    if not (root / "changelog.d").is_dir():
        files[root / "changelog.d" / ".gitkeep"] = ""
    pyproject = root / "pyproject.toml"
    has_towncrier = (root / "towncrier.toml").is_file() or (
        pyproject.is_file() and "[tool.towncrier" in pyproject.read_text("utf-8")
    )
    if not has_towncrier:
        if pyproject.is_file():
            files[pyproject] = pyproject.read_text("utf-8").rstrip("\n") + "\n" + TOWNCRIER_TABLE
        else:
            files[root / "towncrier.toml"] = TOWNCRIER_TABLE.lstrip("\n")
    if not (root / "CHANGELOG.md").exists():
        files[root / "CHANGELOG.md"] = "# Changelog\n\n<!-- towncrier release notes start -->\n"
    return files
