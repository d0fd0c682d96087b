"""The config `init` and `plan --path` infer for a repository, written out with the reasons.

Pure: text is returned, never written; `init` writes only the project config (and, with
`--scaffold`, new towncrier files it names), never a file the repository already has.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from release.config import LoadedConfig, load_config_text
from release.inference import Answer, Inference, infer
from release.members import Monorepo, infer_monorepo
from release.workspaces import find_packages

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
    comment = f"  # {_oneline(why)}" if why else ""
    return f"{key} = {_value(value)}{comment}"


def _oneline(text: str) -> str:
    # A reason quotes names from the repository (folders, manifests); a line break in one
    # would end the comment and put the rest of it into the TOML as a key.
    return re.sub(r"[\x00-\x1f\x7f]+", " ", text)


def config_text(found: Inference, name: str, path: str) -> str:
    """The TOML config for an inference, each inferred key with its reason in a comment."""
    lines = [
        _line("name", name, found.name.why),
        _line("path", path),
    ]
    if found.branch.value:
        lines.append(_line("branch", found.branch.value, found.branch.why))
    lines += [_line("tag_format", found.tag_format.value, found.tag_format.why)]
    return "\n".join(lines + _body(found, "")) + "\n"


def _body(found: Inference, table: str, targets: bool = True) -> list[str]:
    """A package's own tables (version, changelog, commands, targets) under `table`."""
    lines = ["", f"[{table}version]"]
    files = found.version_files
    lines.append(_line("files", files.value, files.why))
    if found.scheme.value:
        lines.append(_line("scheme", found.scheme.value, found.scheme.why))
    if found.calver.value:
        lines.append(_line("calver", found.calver.value, found.calver.why))
        if found.calver_start.value:
            lines.append(_line("calver_start", found.calver_start.value, found.calver_start.why))
    changelog = dict(found.changelog.value)
    lines += ["", f"[{table}changelog]  # {_oneline(found.changelog.why)}"]
    lines += [_line(k, v) for k, v in changelog.items()]
    if found.test.value:
        lines += ["", f"[{table}commands]", _line("test", found.test.value, found.test.why)]
    if targets:
        lines += _targets(found.targets.value, table, found.targets.why)
    return lines


def _targets(targets: list[dict[str, Any]], table: str, why: str) -> list[str]:
    lines = []
    for target in targets:
        entry = {**(PYPI if target["kind"] == "pypi" else NPM), **target}
        lines += ["", f"[[{table}targets]]  # " + _oneline(why)]
        lines += [_line(k, v) for k, v in entry.items()]
    return lines


def _kind(kinds: tuple[str, ...]) -> str:
    words = " and ".join("Python" if k == "python" else k for k in kinds)
    return f"{'an' if words.startswith('npm') else 'a'} {words} package"


def monorepo_text(repo: Monorepo, name: str, path: str) -> str:
    """The TOML config for a monorepo: shared keys once at the top, then one [[packages]]
    each, every inferred key with its reason in a comment."""
    tag_format = repo.tag_format
    shared = tag_format.value
    lines = [
        _line("name", name, repo.name.why),
        _line("path", path, "the repository"),
    ]
    if repo.branch.value:
        lines.append(_line("branch", repo.branch.value, repo.branch.why))
    lines.append(_line("tag_format", shared, tag_format.why))
    lines.append(f"# {len(repo.packages)} packages found from {repo.source}")
    lines += [f"# {_oneline(note)}" for note in repo.notes]
    # The same targets for every package are written once: the registry and its credentials
    # are then edited in one place (a package's own `targets` would replace them).
    first = repo.packages[0].found.targets
    shared_targets = len(repo.packages) > 1 and all(
        p.found.targets.value == first.value for p in repo.packages
    )
    if shared_targets:
        lines += _targets(first.value, "", f"every package: {first.why}")
    for package in repo.packages:
        member = package.member
        lines += ["", "[[packages]]", _line("name", member.name, _kind(member.kinds))]
        lines.append(_line("path", member.path, member.why))
        if package.tag_format.value != shared:
            lines.append(_line("tag_format", package.tag_format.value, package.tag_format.why))
        if member.requires:
            needs = _oneline(", ".join(member.requires))
            lines.append(f"# depends on {needs} (its manifest says so)")
        lines += _body(package.found, "packages.", targets=not shared_targets)
    return "\n".join(lines) + "\n"


def infer_config_text(root: Path) -> str:
    """The TOML config a user could save for the repository at `root` (for `plan --path`)."""
    header = f"# Inferred from {root.resolve()}; save as configs/projects/NAME.toml and adjust.\n"
    workspace = find_packages(root)
    if workspace is not None:
        repo = infer_monorepo(root, workspace)
        name = str(repo.name.value).split("/")[-1].lstrip("@")
        return header + monorepo_text(repo, name, str(root.resolve()))
    found = infer(root)
    name = str(found.name.value)
    return header + config_text(found, name, str(root.resolve()))


def inferred(root: Path) -> tuple[LoadedConfig, str]:
    text = infer_config_text(root)
    return load_config_text(text, root.resolve() / ".release-inferred.toml"), text


def init_files(
    root: Path, config_dir: Path, name: str | None, scaffold: bool = False
) -> tuple[dict[Path, str], Inference | Monorepo]:
    """What `release init` writes: the project config first; with `scaffold`, a towncrier
    setup for each package that has none (only files that do not exist yet)."""
    rel = os.path.relpath(root.resolve(), config_dir.resolve())
    workspace = find_packages(root)
    if workspace is not None:
        repo = infer_monorepo(root, workspace)
        project = name or str(repo.name.value).split("/")[-1].lstrip("@")
        files: dict[Path, str] = {}
        if scaffold:
            packages = []
            for package in repo.packages:
                added, found = _scaffold(root / package.member.path, package.found)
                files.update(added)
                packages.append(replace(package, found=found))
            repo = replace(repo, packages=tuple(packages))
        text = "#:schema ../schema.json\n" + monorepo_text(repo, project, rel)
        return {config_dir / f"{project}.toml": text, **files}, repo
    found = infer(root)
    project = name or str(found.name.value).split("/")[-1].lstrip("@")
    files = {}
    if scaffold:
        files, found = _scaffold(root, found)
    config = config_dir / f"{project}.toml"
    text = "#:schema ../schema.json\n" + config_text(found, project, rel)
    return {config: text, **files}, found


def _scaffold(folder: Path, found: Inference) -> tuple[dict[Path, str], Inference]:
    if found.changelog.value["mode"] == "generate":
        return {}, found
    filename = found.changelog.value.get("file", "CHANGELOG.md")
    markdown = filename.endswith(".md")
    title = 'title_format = "## {version} ({project_date})"\n' if markdown else ""
    new = {
        folder / "towncrier.toml": TOWNCRIER_TOML.format(filename=filename, title=title),
        folder / "changelog.d" / ".gitkeep": "",
        folder / filename: "# Changelog\n\n<!-- towncrier release notes start -->\n",
    }
    files = {path: text for path, text in new.items() if not path.exists()}
    return files, infer_with_scaffold(found, filename)


def infer_with_scaffold(found: Inference, filename: str) -> Inference:
    changelog = {"mode": "generate", "file": filename, "fragments": "changelog.d"}
    why = "towncrier settings added by --scaffold (towncrier.toml, changelog.d/)"
    return replace(found, changelog=Answer(changelog, why))
