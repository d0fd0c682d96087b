"""Project configs: load `configs/projects/<name>.toml`, validate, report all problems at once."""

from __future__ import annotations

import difflib
import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from release.errors import ConfigError, Problem, UsageError
from release.forgeconfig import FORGE_KINDS, GithubTarget, GitlabTarget, Notify
from release.masking import register_env_secrets
from release.names import (
    PACKAGE_NAME_RULE,
    SAFE_NAME_RULE,
    name_problem,
    package_problem,
    ref_problem,
)
from release.paths import relative_problem
from release.versionfiles import VersionSource

CONFIG_DIR_ENV = "RELEASE_CONFIG_DIR"
_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


class _Strict(BaseModel):
    # Unknown keys are errors: a typo must never silently disable a setting. Strict types:
    # `in_all = "no"` is a mistake to report, not a string to read as false.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class VersionSettings(_Strict):
    files: list[str] = Field(default_factory=list, description="places that carry the version")
    command: str = Field(
        "", description="run instead of editing files, e.g. npm run version:{bump}"
    )
    scheme: Literal["pep440", "semver"] | None = Field(
        None, description="spelling of tags and files; default semver for npm-only projects"
    )
    major_on_zero: bool = Field(False, description="let a breaking change on 0.x go to 1.0.0")
    source: Literal["tag", "files"] = Field(
        "tag",
        description="what the current version is: the newest release tag on the branch, or the "
        "version files even where no reachable tag has it",
    )
    calver: str = Field(
        "",
        description="CalVer format (YY.MM.MICRO, YYYY.MM.DD, YY.MINOR.MICRO, ...): the next "
        "version follows the release date; empty: SemVer-style bumps",
    )

    @field_validator("calver")
    @classmethod
    def _calver_format(cls, fmt: str) -> str:
        from release.calver import check_format

        return check_format(fmt)

    @field_validator("files")
    @classmethod
    def _sources_parse(cls, files: list[str]) -> list[str]:
        for spec in files:
            _check_path(VersionSource.parse(spec).path)
        return files

    @field_validator("command")
    @classmethod
    def _command_placeholders(cls, command: str) -> str:
        try:
            command.format(bump="patch", version="1.2.3")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(
                f"unknown placeholder or stray brace ({exc}): only {{bump}} and {{version}} "
                "are filled in; write a literal brace as {{ or }}"
            ) from None
        return command

    def sources(self) -> list[VersionSource]:
        return [VersionSource.parse(spec) for spec in self.files]


BumpLabel = Literal["major", "minor", "patch", "none"]
_FRAGMENT_BUMPS: dict[str, BumpLabel] = {
    "breaking": "major",
    "removal": "major",
    "feature": "minor",
    "deprecation": "minor",
    "bugfix": "patch",
    "security": "patch",
    "perf": "patch",
    "doc": "none",
    "misc": "none",
}


class ChangelogSettings(_Strict):
    mode: Literal["generate", "check", "none"] = Field(
        "generate",
        description="generate: write the entry (towncrier fragments, else commits); check: the "
        "changelog is written by hand and must already have an entry for the version; none",
    )
    file: str = Field("CHANGELOG.md", description="the changelog the entries go into")
    fragments: str = Field("changelog.d", description="towncrier fragments; commits when none")
    # Which fragment types decide which bump; types not listed decide nothing.
    bump: dict[str, BumpLabel] = Field(default_factory=lambda: dict(_FRAGMENT_BUMPS))

    @field_validator("file", "fragments")
    @classmethod
    def _inside(cls, path: str) -> str:
        return _check_path(path)


class CommitSettings(_Strict):
    squash: Literal["release-please", "every-line", "off"] = Field(
        "release-please",
        description="commits inside a squash commit's body: release-please (a blank line then "
        "an unbulleted type(scope): header, or BEGIN_NESTED_COMMIT blocks; bullets never), "
        "every-line (python-semantic-release: any header-like line), off (header and footers)",
    )
    bump: dict[str, BumpLabel] = Field(
        default_factory=dict,
        description="commit type to bump, merged over feat = minor, fix = patch, perf = patch "
        '(e.g. refactor = "patch", perf = "none"); a breaking change is always major',
    )
    scope_bump: dict[str, BumpLabel] = Field(
        default_factory=dict,
        description='commit scope to bump whatever the type (e.g. deps = "patch"); '
        "the stronger of the type's and the scope's level wins",
    )

    @field_validator("bump", "scope_bump")
    @classmethod
    def _names(cls, table: dict[str, BumpLabel]) -> dict[str, BumpLabel]:
        import re

        bad = [k for k in table if not re.fullmatch(r"[A-Za-z0-9_.-]+", k)]
        if bad:
            raise ValueError(
                f"{', '.join(map(repr, bad))}: a commit type or scope is one word "
                "(letters, digits, - _ .), as written before the colon"
            )
        return table


class Commands(_Strict):
    test: str = Field("", description="must pass before a release (the tests gate)")
    build: str = Field("", description="default: python -m build / npm pack; writes dist/")
    health: str = Field("", description="after install from each registry; must exit 0")


class DocsSettings(_Strict):
    files: list[str] | None = Field(
        None, description="files whose mentions of the version follow releases; default README.md"
    )

    @field_validator("files")
    @classmethod
    def _inside(cls, files: list[str] | None) -> list[str] | None:
        for path in files or []:
            _check_path(path)
        return files


class Gate(_Strict):
    enabled: bool = True
    skippable: bool = Field(
        True,
        description="may be skipped with --skip-gate NAME --reason (the reason goes in the "
        "report); false forbids skipping",
    )


class BranchGate(Gate):
    allowed: list[str] = Field(
        default_factory=list, description="branch patterns that may release; default [branch]"
    )


class SecretsGate(Gate):
    allowlist: str = Field(
        ".secrets.baseline", description="detect-secrets baseline of known false positives"
    )

    @field_validator("allowlist")
    @classmethod
    def _inside(cls, path: str) -> str:
        return _check_path(path)


class CredentialFilesGate(Gate):
    files: list[str] = Field(
        default_factory=lambda: [".pypirc", ".npmrc", ".env"],
        description="files that may hold credentials: a tracked one must hold none written "
        "out (a ${VAR} reference is fine), a local one must be mode 0600",
    )

    @field_validator("files")
    @classmethod
    def _inside(cls, files: list[str]) -> list[str]:
        for path in files:
            _check_path(path)
        return files


class CustomGate(_Strict):
    name: str = Field(min_length=1)
    command: str = Field(min_length=1, description="must exit 0; run in the project's directory")
    why: str = ""
    skippable: bool = Field(
        True, description="may be skipped with --skip-gate NAME --reason; false forbids it"
    )


class Gates(_Strict):
    """The release policy checked in phase 1, before anything changes."""

    tests: Gate = Gate()
    build: Gate = Gate()
    branch: BranchGate = BranchGate()
    secrets: SecretsGate = SecretsGate()
    changelog: Gate = Gate(enabled=False)
    fragments: Gate = Gate()
    versions: Gate = Gate()
    credential_files: CredentialFilesGate = CredentialFilesGate()
    custom: list[CustomGate] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_names(self) -> Gates:
        builtin = set(type(self).model_fields) - {"custom"}
        names = [g.name for g in self.custom]
        clash = sorted({n for n in names if names.count(n) > 1 or n in builtin})
        if clash:
            raise ValueError(
                f"custom gate names must be unique and not built-in: {', '.join(clash)}"
            )
        return self


NO_CREDENTIALS = (
    'no credentials: set password_env = "NAME" (the variable holding the token), '
    "or trusted_publishing = true to publish from CI through OIDC"
)

# Where PyPI's trusted publishing and its never-again file names apply.
PYPI_UPLOAD_HOSTS = ("upload.pypi.org", "test.pypi.org")


class PypiTarget(_Strict):
    # The schema says what _has_credentials says, so editors flag it too.
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "anyOf": [
                {"required": ["password_env"]},
                {
                    "required": ["trusted_publishing"],
                    "properties": {"trusted_publishing": {"const": True}},
                },
            ]
        },
    )
    name: str = Field(description="the target's name in reports")
    kind: Literal["pypi"]
    url: str = Field(description="any PyPI-compatible upload endpoint")
    simple_url: str | None = Field(
        None, description="where the index lists files; derived from url"
    )
    username_env: str | None = Field(
        None, description="the user name's variable; default __token__"
    )
    password_env: str | None = Field(None, description="the variable holding the password or token")
    trusted_publishing: bool = Field(
        False,
        description="PyPI trusted publishing: in CI with an OIDC identity twine mints a "
        "short-lived token; password_env, if set, is used where there is none",
    )
    verify_timeout: float = Field(
        120.0, gt=0, le=3600, description="seconds to wait for the listing"
    )
    health: str = Field("", description="after install from this index; default commands.health")
    dependency_index: str | None = Field(
        None,
        description="where verification installs the release's dependencies from (a simple "
        "index URL); default: your own pip configuration. The release comes from url only",
    )
    deletable: bool | None = Field(
        None,
        description="whether the index lets a release be deleted (a rollback deletes it); "
        "default: false for pypi.org and test.pypi.org, true elsewhere. After a publish that "
        "cannot be deleted, a failing release finishes forward instead of rolling back",
    )

    @property
    def keeps_uploads(self) -> bool:
        """A publish here cannot be taken back."""
        if self.deletable is not None:
            return not self.deletable
        return any(host in self.url for host in PYPI_UPLOAD_HOSTS)

    @field_validator("url", "simple_url", "dependency_index")
    @classmethod
    def _is_url(cls, url: str | None) -> str | None:
        return _check_url(url) if url is not None else None

    @model_validator(mode="after")
    def _has_credentials(self) -> PypiTarget:
        if not self.password_env and not self.trusted_publishing:
            raise ValueError(NO_CREDENTIALS)
        return self

    @model_validator(mode="after")
    def _trusted_only_on_pypi(self) -> PypiTarget:
        if self.trusted_publishing and not any(h in self.url for h in PYPI_UPLOAD_HOSTS):
            raise ValueError(
                f"trusted_publishing works only with pypi.org and test.pypi.org, not {self.url}: "
                "set password_env instead"
            )
        return self

    @field_validator("username_env", "password_env")
    @classmethod
    def _env_name(cls, name: str | None) -> str | None:
        return _check_env_name(name)

    @field_validator("name")
    @classmethod
    def _safe_name(cls, name: str) -> str:
        return _check_name(name)


class NpmTarget(_Strict):
    name: str = Field(description="the target's name in reports")
    kind: Literal["npm"]
    registry: str = Field("https://registry.npmjs.org/", description="the npm registry")
    token_env: str = Field(description="the variable holding the token (never the token)")
    access: Literal["public", "restricted"] | None = None
    tag: str | None = Field(None, description="dist-tag; default latest, or the pre-release token")
    provenance: bool = Field(False, description="npm provenance, where the CI supports it")
    verify_timeout: float = Field(120.0, gt=0, le=3600, description="seconds to wait for npm view")
    health: str = Field("", description="after install from this registry; default commands.health")
    dependency_registry: str | None = Field(
        None,
        description="where packing and verification install dependencies from; default: "
        "your own npm configuration. The release comes from registry only",
    )

    @field_validator("registry")
    @classmethod
    def _is_url(cls, url: str) -> str:
        return _check_url(url)

    @field_validator("dependency_registry")
    @classmethod
    def _is_dependency_url(cls, url: str | None) -> str | None:
        return _check_url(url) if url is not None else None

    @field_validator("token_env")
    @classmethod
    def _env_name(cls, name: str | None) -> str | None:
        return _check_env_name(name)

    @field_validator("name")
    @classmethod
    def _safe_name(cls, name: str) -> str:
        return _check_name(name)


Target = Annotated[
    PypiTarget | NpmTarget | GithubTarget | GitlabTarget, Field(discriminator="kind")
]


Dependents = Literal["follow", "always", "off"]


class PackageEntry(_Strict):
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
        return _check_path(path)

    @field_validator("tag_format")
    @classmethod
    def _tag_format(cls, fmt: str | None) -> str | None:
        return check_tag_format(fmt) if fmt is not None else None


class ProjectConfig(_Strict):
    name: str = Field(min_length=1, description="the project's name in reports and state")
    path: str = Field(".", description="the project's git repository, relative to this file")
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
        return _check_name(name)

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


def check_tag_format(fmt: str, name: str = "name") -> str:
    """A tag format git accepts for every version spelling; {name} stands for a package."""
    if fmt.count("{version}") != 1:
        raise ValueError("must contain {version} exactly once, e.g. 'v{version}'")
    try:
        tags = [fmt.format(version=v, name=name) for v in ("1.2.3", "1.2.3rc1", "1.2.3-rc.1")]
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(
            f"unknown placeholder or stray brace ({exc}): only {{version}} and {{name}} "
            "are filled in"
        ) from None
    for tag in tags:
        problem = ref_problem(tag)
        if problem:
            raise ValueError(
                f"makes tags such as {tag!r} that git refuses: it {problem}; "
                "write it like 'v{version}' or '{name}-v{version}'"
            )
    return fmt


def _check_url(url: str) -> str:
    import urllib.parse

    # Echoed: credentials in a URL (user:token@) are masked in every output.
    problem = "is not an http(s) URL; write it like 'https://host/path/'"
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        problem = "contains a space or a control character; percent-encode it (%20)"
    else:
        try:
            parts = urllib.parse.urlsplit(url)
            _ = parts.port  # a port that is not a number raises here
        except ValueError:
            problem = "has an invalid host or port; write it like 'https://host:8080/path/'"
        else:
            if parts.scheme in ("http", "https") and parts.hostname:
                return url
    raise ValueError(f"{url[:200]!r} {problem}")


def _check_env_name(name: str | None) -> str | None:
    import re

    if name is not None and not re.match(_ENV_NAME, name):
        # The value is not echoed: people paste the secret itself here.
        raise ValueError(
            "is not an environment variable name (letters, digits, _); "
            "name the variable that holds the secret, never the secret"
        )
    return name


def _check_name(name: str) -> str:
    problem = name_problem(name)
    if problem:
        raise ValueError(f"{problem}: {SAFE_NAME_RULE}")
    return name


def _check_path(path: str) -> str:
    problem = relative_problem(path)
    if problem:
        shown = path if len(path) <= 80 else path[:80] + "..."
        raise ValueError(f"{shown!r} {problem}")
    return path


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
        raise ConfigError(_problems(exc, where, data)) from exc
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


def _problems(exc: ValidationError, where: str, data: dict[str, Any]) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p in _KINDS)]
        key = _dotted(loc, data)
        kind = err["type"]
        if kind == "extra_forbidden":
            allowed = _allowed_keys(loc[:-1], data)
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            fix = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(allowed)}"
            problems.append(Problem(f"unknown key {key!r}", where, fix))
        elif kind == "missing":
            problems.append(Problem(f"missing required key {key!r}", where, f"add {key} = ..."))
        elif kind in {"union_tag_invalid", "union_tag_not_found"}:
            problems.append(
                Problem(
                    f"{key}: unknown or missing target kind",
                    where,
                    'set kind = "pypi", "npm", "github" or "gitlab"',
                )
            )
        else:
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(Problem(f"{key}: {msg}", where, _fix_for(kind, err, key)))
    # pydantic skips a model's own checks when one of its fields is invalid; this one is
    # said anyway, so a bad url does not hide that the target has no credentials.
    for key in _pypi_targets_without_credentials(data):
        if not any(p.what.startswith(f"{key}: no credentials") for p in problems):
            problems.append(
                Problem(
                    f"{key}: {NO_CREDENTIALS}",
                    where,
                    f'add password_env = "NAME" to {key}',
                )
            )
    return problems


def _pypi_targets_without_credentials(data: dict[str, Any]) -> list[str]:
    targets = data.get("targets")
    if not isinstance(targets, list):
        return []
    return [
        f"targets[{i}]"
        for i, t in enumerate(targets)
        if isinstance(t, dict)
        and t.get("kind") == "pypi"
        and not (t.get("password_env") or t.get("trusted_publishing"))
    ]


_TYPE_FIXES = {
    "string_type": 'write a quoted string, e.g. key = "value"',
    "bool_type": "write true or false",
    "bool_parsing": "write true or false",
    "list_type": 'write a list, e.g. key = ["a", "b"]',
    "dict_type": "write a table, e.g. [section]",
    "model_type": "write a table, e.g. [section]",
    "int_type": "write a whole number",
}


def _fix_for(kind: str, err: Any, key: str = "") -> str:
    if kind in _TYPE_FIXES:
        return _TYPE_FIXES[kind]
    ctx = err.get("ctx", {}) if isinstance(err, dict) else {}
    expected = ctx.get("expected")
    if expected:
        return f"expected {expected}"
    for bound, word in (("gt", "greater than"), ("ge", "at least"), ("lt", "less than")):
        if bound in ctx:
            return f"set {key} to a number {word} {ctx[bound]}"
    if "le" in ctx:
        return f"set {key} to a number at most {ctx['le']}"
    if "min_length" in ctx:
        return f"set {key} to a non-empty value"
    if kind == "value_error":
        return f"change {key} as the message says (`release config reference` lists every key)"
    return f"change {key}: `release config reference` shows its type and an example"


def _dotted(loc: list[Any], data: dict[str, Any]) -> str:
    parts: list[str] = []
    for p in loc:
        parts.append(f"[{p}]" if isinstance(p, int) else ("." if parts else "") + str(p))
    return "".join(parts)


def _allowed_keys(loc: list[Any], data: dict[str, Any]) -> list[str]:
    """The keys the model accepts at `loc`, for a "did you mean" on an unknown one."""
    model: Any = ProjectConfig
    node: Any = data
    for part in loc:
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and part < len(node) else {}
            if model is _TARGET:
                kind = node.get("kind") if isinstance(node, dict) else None
                model = _BY_KIND.get(str(kind), PypiTarget)
            continue
        fields = getattr(model, "model_fields", {})
        if part not in fields:
            return []
        node = node.get(part, {}) if isinstance(node, dict) else {}
        model = _model_of(fields[part].annotation)
    return list(getattr(model, "model_fields", {}))


_TARGET = object()  # the targets union: which model depends on each item's kind
_BY_KIND: dict[str, type[BaseModel]] = {
    "pypi": PypiTarget,
    "npm": NpmTarget,
    "github": GithubTarget,
    "gitlab": GitlabTarget,
}
_KINDS = ("pypi", "npm", *FORGE_KINDS)


def _model_of(annotation: Any) -> Any:
    """The BaseModel class inside an annotation (list[X], X | None), or the targets marker."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    args = get_args(annotation)
    if NpmTarget in args or PypiTarget in args:
        return _TARGET
    for arg in args:
        found = _model_of(arg)
        if found is not None:
            return found
    return None
