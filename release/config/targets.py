"""The registries a release is published to (kind pypi and npm), and the union of all targets."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from release.config.base import Strict, check_env_name, check_name, check_url
from release.forgeconfig import GithubTarget, GitlabTarget

NO_CREDENTIALS = (
    'no credentials: set password_env = "NAME" (the variable holding the token), '
    "or trusted_publishing = true to publish from CI through OIDC"
)

# Where PyPI's trusted publishing and its never-again file names apply.
PYPI_UPLOAD_HOSTS = ("upload.pypi.org", "test.pypi.org")


class PypiTarget(Strict):
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
        return check_url(url) if url is not None else None

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
        return check_env_name(name)

    @field_validator("name")
    @classmethod
    def _safe_name(cls, name: str) -> str:
        return check_name(name)


class NpmTarget(Strict):
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
        return check_url(url)

    @field_validator("dependency_registry")
    @classmethod
    def _is_dependency_url(cls, url: str | None) -> str | None:
        return check_url(url) if url is not None else None

    @field_validator("token_env")
    @classmethod
    def _env_name(cls, name: str | None) -> str | None:
        return check_env_name(name)

    @field_validator("name")
    @classmethod
    def _safe_name(cls, name: str) -> str:
        return check_name(name)


Target = Annotated[
    PypiTarget | NpmTarget | GithubTarget | GitlabTarget, Field(discriminator="kind")
]
