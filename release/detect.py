"""The config `init` and `plan --path` infer for a repository, written out with the reasons.

Pure: text is returned, never written; `init` writes only the project config (and, with
`--scaffold`, new towncrier files it names), never a file the repository already has.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from release.config import LoadedConfig, load_config_text
from release.inference import Answer, Inference, infer

PYPI = {
    "name": "pypi",
    "kind": "pypi",
    "url": "https://upload.pypi.org/legacy/",
    "password_env": "PYPI_TOKEN",
}
NPM = {"name": "npmjs", "kind": "npm", "token_env": "NPM_TOKEN"}

TOWNCRIER_TOML = """[tool.towncrier]
directory = "changelog.d"
filename = "{filename}"
{title}issue_format = "#{{issue}}"
"""


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


def _line(key: str, value: Any, why: str = "") -> str:
    comment = f"  # {why}" if why else ""
    return f"{key} = {_value(value)}{comment}"


def config_text(found: Inference, name: str, path: str) -> str:
    """The TOML config for an inference, each inferred key with its reason in a comment."""
    lines = [
        _line("name", name, found.name.why),
        _line("path", path),
    ]
    if found.branch.value:
        lines.append(_line("branch", found.branch.value, found.branch.why))
    lines += [_line("tag_format", found.tag_format.value, found.tag_format.why), "", "[version]"]
    files = found.version_files
    lines.append(_line("files", files.value, files.why))
    if found.scheme.value:
        lines.append(_line("scheme", found.scheme.value, found.scheme.why))
    if found.calver.value:
        lines.append(_line("calver", found.calver.value, found.calver.why))
    changelog = dict(found.changelog.value)
    lines += ["", f"[changelog]  # {found.changelog.why}"]
    lines += [_line(k, v) for k, v in changelog.items()]
    if found.test.value:
        lines += ["", "[commands]", _line("test", found.test.value, found.test.why)]
    for target in found.targets.value:
        entry = {**(PYPI if target["kind"] == "pypi" else NPM), **target}
        lines += ["", "[[targets]]  # " + found.targets.why]
        lines += [_line(k, v) for k, v in entry.items()]
    return "\n".join(lines) + "\n"


def infer_config_text(root: Path) -> str:
    """The TOML config a user could save for the repository at `root` (for `plan --path`)."""
    found = infer(root)
    header = f"# Inferred from {root.resolve()}; save as configs/projects/NAME.toml and adjust.\n"
    name = str(found.name.value)
    return header + config_text(found, name, str(root.resolve()))


def inferred(root: Path) -> tuple[LoadedConfig, str]:
    text = infer_config_text(root)
    return load_config_text(text, root.resolve() / ".release-inferred.toml"), text


def init_files(
    root: Path, config_dir: Path, name: str | None, scaffold: bool = False
) -> tuple[dict[Path, str], Inference]:
    """What `release init` writes: the project config first; with `scaffold`, a towncrier
    setup for a project that has none (only files that do not exist yet)."""
    found = infer(root)
    project = name or str(found.name.value).split("/")[-1].lstrip("@")
    rel = os.path.relpath(root.resolve(), config_dir.resolve())
    files: dict[Path, str] = {}
    if scaffold and found.changelog.value["mode"] != "generate":
        filename = found.changelog.value.get("file", "CHANGELOG.md")
        markdown = filename.endswith(".md")
        title = 'title_format = "## {version} ({project_date})"\n' if markdown else ""
        new = {
            root / "towncrier.toml": TOWNCRIER_TOML.format(filename=filename, title=title),
            root / "changelog.d" / ".gitkeep": "",
            root / filename: "# Changelog\n\n<!-- towncrier release notes start -->\n",
        }
        files.update({path: text for path, text in new.items() if not path.exists()})
        found = infer_with_scaffold(found, filename)
    config = config_dir / f"{project}.toml"
    text = "#:schema ../schema.json\n" + config_text(found, project, rel)
    return {config: text, **files}, found


def infer_with_scaffold(found: Inference, filename: str) -> Inference:
    changelog = {"mode": "generate", "file": filename, "fragments": "changelog.d"}
    why = "towncrier settings added by --scaffold (towncrier.toml, changelog.d/)"
    return replace(found, changelog=Answer(changelog, why))
