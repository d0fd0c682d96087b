"""What an npm package.json says: which package manager packs it, and what the package offers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Lockfiles in the order a package manager would claim the project.
LOCKFILES = (
    ("pnpm-lock.yaml", "pnpm"),
    ("yarn.lock", "yarn"),
    ("npm-shrinkwrap.json", "npm"),
    ("package-lock.json", "npm"),
)

# The scripts `npm pack` (and pnpm/yarn pack) run: they may need devDependencies installed.
PACK_SCRIPTS = ("prepack", "prepare", "postpack", "prepublish", "prepublishOnly")


@dataclass(frozen=True)
class Manager:
    """The package manager that packs the project, and the lockfile that made the choice."""

    name: str  # npm, pnpm or yarn
    lockfile: str | None
    berry: bool = False  # yarn 2+ (`--immutable`, `pack --out`) rather than yarn 1

    def install(self) -> list[str]:
        """The install command that also brings devDependencies, honouring the lockfile."""
        if self.name == "pnpm":
            return ["pnpm", "install", "--frozen-lockfile" if self.lockfile else "--no-lockfile"]
        if self.name == "yarn":
            if self.berry:
                return ["yarn", "install", *(["--immutable"] if self.lockfile else [])]
            return ["yarn", "install", "--frozen-lockfile" if self.lockfile else "--no-lockfile"]
        if self.lockfile:
            return ["npm", "ci", "--include=dev", "--no-audit", "--no-fund"]
        return ["npm", "install", "--include=dev", "--no-save", "--no-audit", "--no-fund"]

    def publish_script(self) -> str:
        """The script its publish runs before packing (npm, pnpm and yarn 1: prepublishOnly;
        yarn 2+: prepublish). Packing alone skips it, so the release runs it before packing."""
        return "prepublish" if self.berry else "prepublishOnly"

    def pack(self, dest: str) -> list[str]:
        """The pack command writing one tarball into `dest`."""
        if self.name == "pnpm":
            return ["pnpm", "pack", "--pack-destination", dest]
        if self.name == "yarn":
            target = f"{dest}/package.tgz"
            return ["yarn", "pack", "--out" if self.berry else "--filename", target]
        return ["npm", "pack", "--json", "--pack-destination", dest]


def choose_manager(manifest: dict[str, Any], files: set[str]) -> Manager:
    """npm, pnpm or yarn: from `packageManager` first (corepack's rule), then the lockfile.

    >>> choose_manager({}, {"pnpm-lock.yaml"}).name
    'pnpm'
    >>> choose_manager({"packageManager": "yarn@4.1.0"}, {"yarn.lock"}).berry
    True
    >>> choose_manager({}, set())
    Manager(name='npm', lockfile=None, berry=False)
    """
    declared = str(manifest.get("packageManager") or "")
    name, _, version = declared.partition("@")
    lockfile = next((lock for lock, _ in LOCKFILES if lock in files), None)
    if name not in ("npm", "pnpm", "yarn"):
        name = next((who for lock, who in LOCKFILES if lock == lockfile), "npm")
    owned = {lock for lock, who in LOCKFILES if who == name}
    lockfile = next((lock for lock, _ in LOCKFILES if lock in files and lock in owned), None)
    berry = name == "yarn" and (
        ".yarnrc.yml" in files or (bool(version) and not version.startswith("1."))
    )
    return Manager(name, lockfile, berry)


def needs_install(manifest: dict[str, Any]) -> bool:
    """Whether packing runs scripts that may need the project's dependencies installed."""
    scripts = manifest.get("scripts") or {}
    has_deps = bool(manifest.get("devDependencies") or manifest.get("dependencies"))
    return has_deps and any(name in scripts for name in PACK_SCRIPTS)


@dataclass(frozen=True)
class Offers:
    """What an installed package offers a user, so verification checks exactly that."""

    entry: str | None  # what to require/import: the package itself, or a file in it
    bins: tuple[str, ...]  # commands it installs
    files: tuple[str, ...]  # files and patterns it declares (files, types, exports targets)

    @property
    def nothing(self) -> bool:
        return self.entry is None and not self.bins and not self.files


def offers(manifest: dict[str, Any], present: set[str]) -> Offers:
    """What a package.json promises; `present` names the files at the package's top.

    An entry exists when `main`, `exports["."]` or `module` says so, or when Node's own
    default (`index.js`) is there; exports without "." are files, not an entry.

    >>> offers({"name": "t", "version": "1.0.0"}, set()).nothing
    True
    >>> offers({"name": "t", "types": "index.d.ts"}, {"index.d.ts"})
    Offers(entry=None, bins=(), files=('index.d.ts',))
    >>> offers({"name": "@s/c", "bin": "cli.js"}, {"cli.js"}).bins
    ('c',)
    >>> offers({"name": "e", "exports": {"./x": "./x.js"}}, set()).files
    ('x.js',)
    >>> offers({"name": "t", "exports": {".": {"types": "./i.d.ts"}}}, set())
    Offers(entry=None, bins=(), files=('i.d.ts',))
    """
    name = str(manifest.get("name", ""))
    exports = manifest.get("exports")
    subpaths = _export_subpaths(exports)
    dot = [t for t in _targets(subpaths.get(".")) if "*" not in t]
    entry: str | None = None
    if any(not _is_types(t) for t in dot) or manifest.get("main") or "index.js" in present:
        entry = name
    elif manifest.get("module"):
        entry = f"{name}/{_clean(str(manifest['module']))}"
    # A "." that exports types only is a file to find, not something to load.
    files: list[str] = [] if entry else [_clean(t) for t in dot]
    for sub, target in subpaths.items():
        if sub != "." and "*" not in sub:
            files += [_clean(t) for t in _targets(target) if "*" not in t]
    for key in ("types", "typings"):
        if isinstance(manifest.get(key), str):
            files.append(_clean(manifest[key]))
    for pattern in manifest.get("files") or []:
        if isinstance(pattern, str) and not pattern.startswith("!"):
            files.append(_clean(pattern))
    return Offers(entry, _bins(manifest, name), tuple(dict.fromkeys(f for f in files if f)))


def _export_subpaths(exports: Any) -> dict[str, Any]:
    if exports is None:
        return {}
    if isinstance(exports, (str, list)):
        return {".": exports}
    if isinstance(exports, dict):
        if exports and all(not str(k).startswith(".") for k in exports):
            return {".": exports}  # conditions only: they describe the "." entry
        return {str(k): v for k, v in exports.items()}
    return {}


def _targets(value: Any) -> list[str]:
    """The file paths an exports value points to, through conditions and fallbacks."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [t for item in value for t in _targets(item)]
    if isinstance(value, dict):
        return [t for item in value.values() for t in _targets(item)]
    return []


def _is_types(path: str) -> bool:
    return path.endswith((".d.ts", ".d.mts", ".d.cts"))


def _bins(manifest: dict[str, Any], name: str) -> tuple[str, ...]:
    value = manifest.get("bin")
    if isinstance(value, str):
        return (name.rsplit("/", 1)[-1],)
    if isinstance(value, dict):
        return tuple(str(k) for k in value)
    return ()


def _clean(path: str) -> str:
    return path.removeprefix("./").rstrip("/")
