"""Auto-detection: a config inferred from what a repository holds, for projects with none."""

from __future__ import annotations

import json
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
