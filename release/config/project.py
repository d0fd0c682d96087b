"""A project's config file as a whole (ProjectConfig), and its [[packages]] entries."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from release.config.base import Strict, check_name, check_path, check_tag_format
from release.config.gates import Gates
from release.config.settings import (
    ChangelogSettings,
    Commands,
    CommitSettings,
    DocsSettings,
    VersionSettings,
)
from release.config.targets import NpmTarget, PypiTarget, Target
from release.forgeconfig import GithubTarget, GitlabTarget, Notify
from release.names import PACKAGE_NAME_RULE, package_problem

Dependents = Literal["follow", "always", "off"]


class PackageEntry(Strict):
    """One package of a repository holding several; unset keys come from the top level."""

    name: str = Field(min_length=1, description="the package's distribution / npm name")
    path: str = Field(description="the package's folder inside the repository")
    tag_format: str | None = Field(None, description='default "{name}-v{version}"')
    version: VersionSettings | None = None
    changelog: ChangelogSettings | None = None
    commits: CommitSettings | None = None
    commands: Commands | None = None
    docs: DocsSettings | None = None
    targets: list[Target] | None = Field(None, description="replaces the top-level targets")
    dependents: Dependents | None = None

    @field_validator("name")
    @classmethod
    def _package_name(cls, name: str) -> str:
        problem = package_problem(name)
        if problem:
            raise ValueError(f"{problem}: {PACKAGE_NAME_RULE}")
        return name

    @field_validator("path")
    @classmethod
    def _inside(cls, path: str) -> str:
        return check_path(path)

    @field_validator("tag_format")
    @classmethod
    def _tag_format(cls, fmt: str | None) -> str | None:
        return check_tag_format(fmt) if fmt is not None else None


class ProjectConfig(Strict):
    name: str = Field(min_length=1, description="the project's name in reports and state")
    path: str = Field(
        ".",
        description="the project's git repository, or its folder inside one (files are "
        "edited and the release built there; its commits are the repository's), relative "
        "to this file",
    )
    branch: str = Field("main", description="the release branch (see [gates.branch])")
    remote: str = Field("origin", description="the git remote the release is pushed to")
    tag_format: str = Field(
        "v{version}",
        description="release tags; {version} exactly once; {name} is the package's name "
        '(default "{name}-v{version}" when the config has several [[packages]])',
    )
    in_all: bool = Field(
        True, description="false: left out of --all runs; released only when named (--project)"
    )
    version: VersionSettings = Field(VersionSettings(), description="where the version lives")
    changelog: ChangelogSettings = Field(ChangelogSettings(), description="release notes")
    commits: CommitSettings = Field(
        CommitSettings(), description="how conventional commits decide the bump"
    )
    commands: Commands = Field(Commands(), description="the project's own commands")
    docs: DocsSettings = Field(DocsSettings(), description="files that mention the version")
    gates: Gates = Field(Gates(), description="the release policy, checked before any change")
    targets: list[Target] = Field(
        default_factory=list,
        description="registries to publish to, in order, then forge releases; none: tag only",
    )
    notify: list[Notify] = Field(
        default_factory=list, description="webhooks told about every outcome, after the report"
    )
    packages: list[PackageEntry] = Field(
        default_factory=list,
        description="the repository's packages, released together as one transaction; the "
        "keys above are their defaults. None: the repository is one package",
    )
    dependents: Dependents = Field(
        "follow",
        description="when a package releases, its dependents in this repository: follow "
        "(release, as a patch, those whose declared range no longer admits the new version; "
        "the range is rewritten), always (every dependent releases), off",
    )

    @model_validator(mode="after")
    def _unique_packages(self) -> ProjectConfig:
        for key in ("name", "path"):
            values = [getattr(p, key) for p in self.packages]
            dupes = sorted({v for v in values if values.count(v) > 1})
            if dupes:
                raise ValueError(f"package {key}s must be unique; repeated: {', '.join(dupes)}")
        return self

    @field_validator("name")
    @classmethod
    def _safe_name(cls, name: str) -> str:
        return check_name(name)

    @field_validator("tag_format")
    @classmethod
    def _tag_has_version(cls, fmt: str) -> str:
        return check_tag_format(fmt)

    @model_validator(mode="after")
    def _unique_target_names(self) -> ProjectConfig:
        names = [t.name for t in self.targets]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"target names must be unique; repeated: {', '.join(dupes)}")
        return self

    def secret_env_names(self) -> list[str]:
        """The variables whose values are secrets (passwords, tokens), never the names."""
        names: list[str] = []
        for t in self.targets:
            if isinstance(t, PypiTarget):
                secret = t.password_env
            elif isinstance(t, NpmTarget):
                secret = t.token_env
            else:  # a forge release: its token, named or defaulted from the CI
                secret = t.token_variable
            names += [secret] if secret else []
        return names

    @property
    def registries(self) -> list[PypiTarget | NpmTarget]:
        """The package registries among the targets (forge releases are not registries)."""
        return [t for t in self.targets if isinstance(t, PypiTarget | NpmTarget)]

    @property
    def forges(self) -> list[GithubTarget | GitlabTarget]:
        """The GitHub and GitLab releases among the targets."""
        return [t for t in self.targets if isinstance(t, GithubTarget | GitlabTarget)]

    @property
    def scheme(self) -> str:
        """Spelling of versions in tags and non-JSON files."""
        if self.version.scheme:
            return self.version.scheme
        kinds = {t.kind for t in self.registries}
        if kinds == {"npm"}:
            return "semver"
        if (
            not kinds
            and self.version.files
            and all(s.endswith(".json") or ".json:" in s for s in self.version.files)
        ):
            return "semver"
        return "pep440"
