"""Find and read a project's config file: validate it, resolve its paths, mask its secrets."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from release.config.project import ProjectConfig
from release.errors import ConfigError, Problem, UsageError
from release.masking import register_env_secrets
from release.names import SAFE_NAME_RULE, name_problem

CONFIG_DIR_ENV = "RELEASE_CONFIG_DIR"


class LoadedConfig(BaseModel):
    """A validated config with the paths it names resolved."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    config: ProjectConfig
    source: Path
    root: Path
    # A package of a repository holding several: its folder there, and the repository.
    subdir: str = "."
    repo: Path | None = None
    # The folders of the other packages inside this one: their commits are theirs.
    excludes: tuple[str, ...] = ()
    parent: str = ""  # the name of the set a package belongs to

    @property
    def repository(self) -> Path:
        """The git repository (a package's root is a folder inside it)."""
        return self.repo or self.root

    @property
    def is_set(self) -> bool:
        """A config of several packages, released together."""
        return bool(self.config.packages)


def config_dir() -> Path:
    return Path(os.environ.get(CONFIG_DIR_ENV, "configs/projects")).resolve()


def find_config(project: str) -> Path:
    """The config file of a named project, or a UsageError listing the ones there are."""
    directory = config_dir()
    problem = name_problem(project)
    if problem:
        raise UsageError(Problem(f"{problem}: {SAFE_NAME_RULE}", "--project", "name a project"))
    candidate = directory / f"{project}.toml"
    if candidate.is_file():
        return candidate
    import difflib  # only for a name that misses

    known = sorted(p.stem for p in directory.glob("*.toml")) if directory.is_dir() else []
    close = difflib.get_close_matches(project, known, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise UsageError(
        Problem(
            f"no config for project {project!r} in {directory}",
            "--project",
            f"{hint}known projects: {', '.join(known) or 'none'}; "
            "or pass --config PATH to a config file",
        )
    )


def load_config(path: Path) -> LoadedConfig:
    """Read and validate one config file; every problem is reported together."""
    where = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            Problem(f"cannot read the config ({exc.strerror})", where, "check the path")
        ) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(Problem("the config is not UTF-8", where, "save it as UTF-8")) from exc
    return load_config_text(text, path)


def load_config_text(text: str, path: Path) -> LoadedConfig:
    """Validate config text as if it were the file at `path` (paths resolve from its folder)."""
    where = str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(Problem(f"invalid TOML: {exc}", where, "fix the syntax there")) from exc
    except RecursionError as exc:
        raise ConfigError(
            Problem("the config nests too deeply to read", where, "flatten its tables and arrays")
        ) from exc
    try:
        config = ProjectConfig.model_validate(data)
    except ValidationError as exc:
        # Loaded only for a config with mistakes: a valid one never pays for the wording.
        from release.config.problems import validation_problems

        raise ConfigError(validation_problems(exc, where, data)) from exc
    if not config.packages and "{name}" in config.tag_format:
        # One package: {name} is the project's own name.
        config = config.model_copy(
            update={"tag_format": config.tag_format.replace("{name}", config.name)}
        )
    # Every verb that loads a config masks its secrets: gates and status print command
    # output and registry answers too, not only push.
    register_env_secrets(config.secret_env_names())
    return LoadedConfig(
        config=config, source=path.resolve(), root=(path.parent / config.path).resolve()
    )
