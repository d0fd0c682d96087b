"""Which packages a repository holds: its workspace declarations (npm, yarn, pnpm, uv) or, with
none, the folders holding a package manifest. Read only; None means "one package, as today"."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from packaging.utils import canonicalize_name

from release.errors import Problem, ReleaseError, RepositoryError
from release.inference import read_json, read_toml
from release.manifests import npm_entries, python_entries
from release.names import package_problem
from release.paths import relative_problem

# Folders no package lives in: tools' caches and outputs, and the tests, samples and docs
# a repository carries (their manifests are fixtures, not releases).
SKIPPED = frozenset({".git", "node_modules", ".venv", "venv", "dist", "build", "docs"})
SKIPPED_PREFIXES = ("test", "example")
PLAIN_DEPTH = 3
# `**` in a workspace glob walks at most this deep: a huge tree cannot stall init.
GLOB_DEPTH = 8
GLOB_LIMIT = 5000  # folders one glob may name: beyond, a glob too wide to be meant


@dataclass(frozen=True)
class Member:
    """One package of a monorepo, as its manifests say."""

    name: str  # the distribution / npm name, as written (scope kept)
    path: str  # POSIX, relative to the repository ("." for a uv workspace's root project)
    kinds: tuple[str, ...]  # "python", "npm"
    version: str | None  # the manifest's static version, if it has one
    why: str  # what made it a package
    requires: tuple[str, ...] = ()  # the names of the other members it depends on

    @property
    def kind(self) -> str:
        return "+".join(self.kinds)


@dataclass(frozen=True)
class Workspace:
    """The packages found, the declaration (or scan) that found them, and what was left out."""

    source: str
    members: tuple[Member, ...]
    notes: tuple[str, ...]


def find_packages(root: Path) -> Workspace | None:
    """The packages of the repository at `root`; None when it is one package (or holds none)."""
    declared = _declarations(root)
    notes: list[str] = []
    if declared:
        folders: dict[str, str] = {}
        for source, patterns in declared:
            for folder in _expand_all(root, source, patterns, notes):
                folders.setdefault(folder, f"matched by {source}")
        if _uv_root_is_member(root, declared):
            folders = {".": "the uv workspace's root project", **folders}
        source = " and ".join(s for s, _ in declared)
    else:
        if _root_is_package(root):
            return None
        folders = {f: "a package manifest in a plain folder" for f in _scan(root, notes)}
        source = f"plain folders holding a manifest, up to {PLAIN_DEPTH} deep"
    members: dict[str, Member] = {}
    for folder, why in folders.items():
        member = _member(root, folder, why, notes)
        if member is None:
            continue
        taken = members.setdefault(_key(member.name), member)
        if taken is not member:
            # Two folders publishing one name: a registry would take only one of them.
            notes.append(f"{folder} is also named {member.name} (as {taken.path}): skipped")
    if not members:
        return None
    return Workspace(source, _with_requires(root, list(members.values())), tuple(notes))


def _declarations(root: Path) -> list[tuple[str, list[str]]]:
    """Each workspace declaration with its globs ("!" marks an exclusion)."""
    found: list[tuple[str, list[str]]] = []
    package = read_json(root / "package.json") or {}
    workspaces = package.get("workspaces")
    if isinstance(workspaces, dict):  # yarn's {"packages": [...], "nohoist": [...]}
        workspaces = workspaces.get("packages")
    if workspaces is not None:
        found.append(("package.json workspaces", _globs(workspaces, "package.json workspaces")))
    pnpm = root / "pnpm-workspace.yaml"
    if pnpm.is_file():
        data = _yaml(pnpm)
        # pnpm 9 keeps settings there too: a file without `packages` declares no members.
        packages = data.get("packages") if isinstance(data, dict) else None
        packages = [] if packages is None else packages
        found.append(("pnpm-workspace.yaml", _globs(packages, "pnpm-workspace.yaml packages")))
    uv = (read_toml(root / "pyproject.toml") or {}).get("tool", {}).get("uv", {}).get("workspace")
    if isinstance(uv, dict):
        where = "pyproject.toml [tool.uv.workspace]"
        members = _globs(uv.get("members", []), f"{where} members")
        exclude = _globs(uv.get("exclude", []), f"{where} exclude")
        found.append(("[tool.uv.workspace]", members + ["!" + e.lstrip("!") for e in exclude]))
    return found


def _globs(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RepositoryError(
            Problem("is not a list of folder globs", where, 'write a list such as ["packages/*"]')
        )
    for pattern in value:
        shown = pattern.removeprefix("!")
        problem = relative_problem(shown)
        if problem is not None:
            # The same rule as every path a release reads: a glob naming "../*" would make
            # another repository's folders packages of this one.
            raise RepositoryError(
                Problem(
                    f"the workspace glob {pattern!r} {problem}",
                    where,
                    "list only folders inside the repository, e.g. 'packages/*'",
                )
            )
    return list(value)


def _expand_all(root: Path, source: str, patterns: list[str], notes: list[str]) -> list[str]:
    included = [p for p in patterns if not p.startswith("!")]
    excluded = [p[1:] for p in patterns if p.startswith("!")]
    folders: dict[str, None] = {}
    for pattern in included:
        for folder in _expand(root, pattern, source):
            rel = folder.relative_to(root).as_posix()
            if rel == "." or rel in folders or any(_matches(rel, x) for x in excluded):
                continue
            if folder.is_symlink() or not folder.resolve().is_relative_to(root.resolve()):
                notes.append(f"{rel} ({source}) is a symbolic link: skipped")
                continue
            folders[rel] = None
    return list(folders)


def _expand(root: Path, pattern: str, source: str) -> list[Path]:
    """The folders a workspace glob names, walked without following any symbolic link."""
    current = [root]
    for part in _parts(pattern):
        found: dict[Path, None] = {}
        for folder in current:
            if folder.is_symlink():
                found[folder] = None  # never entered: carried to the end to be reported
            elif part == "**":
                found.update(dict.fromkeys([folder, *_descendants(folder, GLOB_DEPTH)]))
            else:
                hidden = part.startswith(".")
                for child in _children(folder):
                    if fnmatchcase(child.name, part) and (hidden or not child.name.startswith(".")):
                        found[child] = None
            if len(found) > GLOB_LIMIT:
                raise RepositoryError(
                    Problem(
                        f"the workspace glob {pattern!r} names more than {GLOB_LIMIT} folders",
                        source,
                        "name the package folders more narrowly, e.g. 'packages/*'",
                    )
                )
        current = list(found)
    return current


def _parts(pattern: str) -> list[str]:
    parts = [p for p in PurePosixPath(pattern.rstrip("/")).parts if p != "."]
    # `**/**` is `**`: kept apart, each would walk the tree again from every folder found.
    return [p for i, p in enumerate(parts) if not (p == "**" and parts[i - 1 : i] == ["**"])]


def _matches(rel: str, pattern: str) -> bool:
    """Whether a folder (POSIX, relative) is named by a glob, `**` spanning any depth."""

    def match(names: list[str], parts: list[str]) -> bool:
        if not parts:
            return not names
        if parts[0] == "**":
            return any(match(names[i:], parts[1:]) for i in range(len(names) + 1))
        return bool(names) and fnmatchcase(names[0], parts[0]) and match(names[1:], parts[1:])

    return match(rel.split("/"), _parts(pattern))


def _children(folder: Path) -> list[Path]:
    # A link is listed (so it can be reported) but never entered.
    if folder.is_symlink():
        return []
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    return [e for e in entries if e.is_dir() and e.name not in ("node_modules", ".git")]


def _descendants(folder: Path, depth: int) -> Iterator[Path]:
    if depth <= 0:
        return
    # As in every glob tool, `**` does not reach into hidden folders (.github, .cache).
    for child in _children(folder):
        if child.name.startswith("."):
            continue
        yield child
        if not child.is_symlink():
            yield from _descendants(child, depth - 1)


def _scan(root: Path, notes: list[str]) -> list[str]:
    """Folders up to PLAIN_DEPTH deep holding a manifest; a package's own subfolders are its."""
    found: list[str] = []

    def walk(folder: Path, depth: int) -> None:
        for child in _children(folder):
            name = child.name.lower()
            if name in SKIPPED or name.startswith((".", *SKIPPED_PREFIXES)):
                continue
            rel = child.relative_to(root).as_posix()
            if child.is_symlink():
                # Noted without looking inside: what it holds is outside the repository's say.
                notes.append(f"{rel} is a symbolic link: skipped")
                continue
            if _has_manifest(child):
                found.append(rel)  # a private one too: the note says why it is left out
            if not _is_package(child) and depth < PLAIN_DEPTH:
                walk(child, depth + 1)

    walk(root, 1)
    return found


def _has_manifest(folder: Path) -> bool:
    return (folder / "pyproject.toml").is_file() or (folder / "package.json").is_file()


def _is_package(folder: Path) -> bool:
    """A folder that is a releasable package itself (what a single-package repository is)."""
    links = (folder / "pyproject.toml").is_symlink() or (folder / "package.json").is_symlink()
    if links:
        return False  # never read through a link; _member says so in a note
    project = (read_toml(folder / "pyproject.toml") or {}).get("project", {})
    package = read_json(folder / "package.json") or {}
    return bool(project.get("name")) or bool(package.get("name") and not package.get("private"))


def _root_is_package(root: Path) -> bool:
    # Projects this tool does not read the version of are still one package: a setup.py or
    # setup.cfg project, or Poetry's [tool.poetry] name, is no monorepo of its subfolders.
    poetry = (read_toml(root / "pyproject.toml") or {}).get("tool", {}).get("poetry", {})
    legacy = (root / "setup.py").is_file() or (root / "setup.cfg").is_file()
    return _is_package(root) or legacy or bool(isinstance(poetry, dict) and poetry.get("name"))


def _virtual(pyproject: dict[str, Any]) -> bool:
    # uv neither builds nor installs such a project: a workspace's umbrella, never published.
    return pyproject.get("tool", {}).get("uv", {}).get("package") is False


def _uv_root_is_member(root: Path, declared: list[tuple[str, list[str]]]) -> bool:
    # uv makes the workspace root a member whenever it declares a [project].
    uv = any(source == "[tool.uv.workspace]" for source, _ in declared)
    return uv and bool((read_toml(root / "pyproject.toml") or {}).get("project", {}).get("name"))


def _member(root: Path, rel: str, why: str, notes: list[str]) -> Member | None:
    folder = root / rel
    links = [n for n in ("pyproject.toml", "package.json") if (folder / n).is_symlink()]
    if links:
        notes.append(f"{rel}/{links[0]} is a symbolic link: the folder is skipped")
        return None
    pyproject = read_toml(folder / "pyproject.toml")
    package = read_json(folder / "package.json")
    if pyproject is None and (folder / "pyproject.toml").is_file():
        notes.append(f"{rel}/pyproject.toml does not parse: skipped")
    project = (pyproject or {}).get("project", {})
    kinds: list[str] = []
    names: list[str] = []
    versions: list[str] = []
    if project.get("name") and _virtual(pyproject or {}):
        notes.append(f"{rel}: [tool.uv] package = false (a virtual project): not released")
    elif project.get("name"):
        kinds.append("python")
        names.append(str(project["name"]))
        versions += [str(project["version"])] if "version" in project else []
    if package and package.get("name"):
        if package.get("private"):
            notes.append(f"{rel}/package.json is private (never published): no npm package")
        else:
            kinds.append("npm")
            names.append(str(package["name"]))
            versions += [str(package["version"])] if "version" in package else []
    if not kinds:
        return None
    if problem := package_problem(names[0]):
        notes.append(f"{rel}: {problem} a registry would take: skipped")
        return None
    return Member(names[0], rel, tuple(kinds), versions[0] if versions else None, why)


def _with_requires(root: Path, members: list[Member]) -> tuple[Member, ...]:
    """Each member with the other members its manifests depend on (for the config's notes)."""
    by_name = {_key(m.name): m.name for m in members}
    out = []
    for member in members:
        wanted = _dependencies(root / member.path)
        requires = sorted({by_name[w] for w in wanted if w in by_name} - {member.name})
        out.append(replace(member, requires=tuple(requires)))
    return tuple(out)


def _dependencies(folder: Path) -> set[str]:
    """The names a member's manifests depend on, read as the release's dependents are."""
    names: set[str] = set()
    readers = (("pyproject.toml", python_entries), ("package.json", npm_entries))
    for manifest, entries in readers:
        path = folder / manifest
        if not path.is_file():
            continue
        try:
            names |= {_key(e.name) for e in entries(path.read_text("utf-8"), manifest)}
        except (ReleaseError, UnicodeDecodeError):
            continue  # a manifest the plan cannot read: the plan names the problem
    return names


def _key(name: str) -> str:
    # npm names are compared as written; Python names as PEP 503 says (Shop_Core == shop-core).
    return name if name.startswith("@") else str(canonicalize_name(name))


def _yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1})" if mark is not None else ""
        said = " ".join(str(exc).split())[:200]
        raise RepositoryError(
            Problem(
                f"pnpm-workspace.yaml is not valid YAML{at}: {said}",
                "pnpm-workspace.yaml",
                "fix the file (pnpm would refuse it too)",
            )
        ) from exc
