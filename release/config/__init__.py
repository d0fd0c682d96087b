"""Project configs (`configs/projects/NAME.toml`): the names used all over, re-exported."""

from release.config.loading import (
    LoadedConfig,
    config_dir,
    find_config,
    load_config,
    load_config_text,
)
from release.config.project import ProjectConfig
from release.config.targets import NpmTarget, PypiTarget

__all__ = [
    "LoadedConfig",
    "NpmTarget",
    "ProjectConfig",
    "PypiTarget",
    "config_dir",
    "find_config",
    "load_config",
    "load_config_text",
]
