"""The packages of a config: each one a complete config of its own, inheriting the top level."""

from __future__ import annotations

from pathlib import PurePosixPath

from pydantic import BaseModel

from release.config import LoadedConfig, ProjectConfig
from release.config.base import check_tag_format
from release.config.project import PackageEntry
from release.errors import ConfigError, Problem
from release.paths import inside

# The tables a package merges key by key over the top level's (a key it sets wins).
_TABLES = ("version", "changelog", "commits", "commands", "docs")


def members(loaded: LoadedConfig) -> list[LoadedConfig]:
    """Every package of the config, in config order; a config without [[packages]] is one."""
    cfg = loaded.config
    if not cfg.packages:
        return [loaded]
    found = [_member(loaded, entry, _nested(entry, cfg.packages)) for entry in cfg.packages]
    formats: dict[str, str] = {}
    for member in found:
        fmt = member.config.tag_format
        if fmt in formats:
            raise ConfigError(
                Problem(
                    f"packages {formats[fmt]} and {member.config.name} would make the same tags "
                    f"({fmt})",
                    f"{loaded.source}: tag_format",
                    "put {name} in tag_format (the default with several packages is "
                    '"{name}-v{version}"), or give each package its own',
                )
            )
        formats[fmt] = member.config.name
    return found


def _nested(entry: PackageEntry, every: list[PackageEntry]) -> tuple[str, ...]:
    """The other packages' folders inside this one's, relative to it."""
    here = PurePosixPath(entry.path)
    found = []
    for other in every:
        there = PurePosixPath(other.path)
        if other is not entry and there != here and there.is_relative_to(here):
            found.append(there.relative_to(here).as_posix())
    return tuple(found)


def history_paths(loaded: LoadedConfig) -> tuple[str, ...]:
    """The pathspecs of a package's own commits (none: the whole repository is the package)."""
    if loaded.repo is None:
        return ()
    return (".", *(f":(exclude){p}" for p in loaded.excludes))


def select(loaded: LoadedConfig, names: list[str]) -> list[str]:
    """The package names asked for with --package, checked against the config."""
    known = [p.name for p in loaded.config.packages] or [loaded.config.name]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(
            Problem(
                f"no package named {', '.join(map(repr, unknown))} in {loaded.config.name}",
                "--package",
                f"packages: {', '.join(known)}",
            )
        )
    return names


def _member(loaded: LoadedConfig, entry: PackageEntry, nested: tuple[str, ...]) -> LoadedConfig:
    cfg = loaded.config
    update: dict[str, object] = {"name": entry.name, "packages": []}
    for table in _TABLES:
        own = getattr(entry, table)
        if own is not None:
            update[table] = _merged(getattr(cfg, table), own)
    if entry.targets is not None:
        update["targets"] = entry.targets
    if entry.dependents is not None:
        update["dependents"] = entry.dependents
    update["tag_format"] = _tag_format(cfg, entry)
    config = cfg.model_copy(update=update)
    root = inside(loaded.root, entry.path, f"packages.{entry.name}.path")
    if not root.is_dir():
        raise ConfigError(
            Problem(
                f"package {entry.name}: {entry.path} is not a folder of {loaded.root}",
                str(loaded.source),
                f"set path to the package's folder, relative to the repository ({loaded.root})",
            )
        )
    return LoadedConfig(
        config=config,
        source=loaded.source,
        root=root,
        subdir=PurePosixPath(entry.path).as_posix(),
        repo=loaded.root,
        excludes=nested,
        parent=cfg.name,
    )


def _merged(top: BaseModel, own: BaseModel) -> BaseModel:
    return top.model_copy(update={k: getattr(own, k) for k in own.model_fields_set})


def _tag_format(cfg: ProjectConfig, entry: PackageEntry) -> str:
    if entry.tag_format is not None:
        fmt = entry.tag_format
    elif "tag_format" in cfg.model_fields_set or len(cfg.packages) == 1:
        fmt = cfg.tag_format
    else:
        fmt = "{name}-v{version}"
    fmt = fmt.replace("{name}", entry.name)
    try:
        return check_tag_format(fmt, entry.name)
    except ValueError as exc:
        raise ConfigError(
            Problem(
                f"package {entry.name}: tag_format {exc}",
                f"packages.{entry.name}.tag_format",
                'set tag_format = "{name}-v{version}" or another spelling git accepts',
            )
        ) from None
