"""Config models for forge releases (`kind = "github"`, `kind = "gitlab"`) and `[[notify]]`."""

from __future__ import annotations

import os
import re
import urllib.parse
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

FORGE_KINDS = ("github", "gitlab")
Event = Literal["released", "rolled_back", "needs_operator", "failed"]
EVENTS: tuple[Event, ...] = ("released", "rolled_back", "needs_operator", "failed")

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_REPOSITORY = re.compile(r"^[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+$")


class _Strict(BaseModel):
    # Unknown keys are errors: a typo must never silently disable a setting.
    model_config = ConfigDict(extra="forbid", frozen=True)


def _url(url: str) -> str:
    if not url.startswith(("http://", "https://")) or len(url.split("://", 1)[1]) < 1:
        raise ValueError(f"{url!r} is not an http(s) URL; write it like 'https://host/path'")
    return url.rstrip("/")


def _env(name: str | None) -> str | None:
    if name is not None and not _ENV_NAME.match(name):
        raise ValueError(
            f"{name!r} is not an environment variable name; name the variable, never the secret"
        )
    return name


class GithubTarget(_Strict):
    name: str = Field(description="the target's name in reports")
    kind: Literal["github"]
    repository: str | None = Field(
        None, description="owner/name; default read from the remote's URL"
    )
    api_url: str = Field("https://api.github.com", description="the REST API (GitHub Enterprise)")
    token_env: str = Field("GITHUB_TOKEN", description="the variable holding the token")
    assets: bool = Field(True, description="attach the built sdist, wheel and npm tarball")

    @field_validator("repository")
    @classmethod
    def _owner_name(cls, value: str | None) -> str | None:
        if value is not None and not _REPOSITORY.match(value):
            raise ValueError(f"{value!r} is not owner/name, e.g. 'octo-org/widget'")
        return value

    @field_validator("api_url")
    @classmethod
    def _is_url(cls, url: str) -> str:
        return _url(url)

    @field_validator("token_env")
    @classmethod
    def _env_name(cls, name: str) -> str:
        _env(name)
        return name

    @property
    def token_variable(self) -> str:
        return self.token_env


class GitlabTarget(_Strict):
    name: str = Field(description="the target's name in reports")
    kind: Literal["gitlab"]
    project: str | None = Field(
        None, description="group/name or the numeric id; default read from the remote's URL"
    )
    api_url: str | None = Field(
        None, description="the REST API (self-managed); default $CI_API_V4_URL, else gitlab.com"
    )
    token_env: str | None = Field(
        None,
        description="the token's variable; default CI_JOB_TOKEN in GitLab CI, else GITLAB_TOKEN",
    )
    assets: bool = Field(True, description="link the published packages from the release")

    @field_validator("api_url")
    @classmethod
    def _is_url(cls, url: str | None) -> str | None:
        return _url(url) if url is not None else None

    @field_validator("token_env")
    @classmethod
    def _env_name(cls, name: str | None) -> str | None:
        return _env(name)

    @property
    def api(self) -> str:
        # In GitLab CI the job knows its own instance, self-managed or not.
        return self.api_url or os.environ.get("CI_API_V4_URL") or "https://gitlab.com/api/v4"

    @property
    def token_variable(self) -> str:
        if self.token_env:
            return self.token_env
        return "CI_JOB_TOKEN" if os.environ.get("GITLAB_CI") else "GITLAB_TOKEN"


class Notify(_Strict):
    """One webhook told about a release's outcome, after the report is written."""

    url: str | None = Field(None, description="the webhook; prefer url_env when it holds a secret")
    url_env: str | None = Field(None, description="the variable holding the webhook URL")
    format: Literal["json", "slack"] = Field("json", description="slack: a Slack-compatible text")
    on: list[Event] = Field(default_factory=lambda: list(EVENTS), description="which outcomes")
    timeout: float = Field(10.0, gt=0, le=60, description="seconds before the webhook is given up")

    @field_validator("url")
    @classmethod
    def _is_url(cls, url: str | None) -> str | None:
        return _url(url) if url is not None else None

    @field_validator("url_env")
    @classmethod
    def _env_name(cls, name: str | None) -> str | None:
        return _env(name)

    @property
    def shown(self) -> str:
        """How plans and reports name it: the host only, since a webhook's path is its secret."""
        if self.url_env:
            where = f"the URL in ${self.url_env}"
        else:
            assert self.url is not None
            parts = urllib.parse.urlsplit(self.url)
            port = f":{parts.port}" if parts.port else ""
            where = f"{parts.scheme}://{parts.hostname or ''}{port}/***"
        return f"{self.format} to {where} on {', '.join(self.on)}"

    @model_validator(mode="after")
    def _one_url(self) -> Notify:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("set exactly one of url or url_env")
        return self


def repository_from_remote(url: str | None) -> str | None:
    """owner/name (or group/subgroup/name) from a git remote URL, or None.

    >>> repository_from_remote("git@github.com:octo-org/widget.git")
    'octo-org/widget'
    >>> repository_from_remote("https://gitlab.com/group/sub/app")
    'group/sub/app'
    """
    if not url or url.startswith("file:") or ("://" not in url and ":" not in url):
        return None
    # https://host/owner/name(.git), or scp-like git@host:owner/name.git
    path = urllib.parse.urlsplit(url).path if "://" in url else url.split(":", 1)[1]
    path = path.strip("/").removesuffix(".git")
    return path if path.count("/") >= 1 else None


def forge_repository(target: GithubTarget | GitlabTarget, remote_url: str | None) -> str | None:
    """The repository (GitHub) or project (GitLab) the release goes to."""
    if isinstance(target, GithubTarget):
        return target.repository or repository_from_remote(remote_url)
    # In GitLab CI the job names its project; the remote URL there carries a job token.
    return target.project or os.environ.get("CI_PROJECT_PATH") or repository_from_remote(remote_url)


def releases_url(target: GithubTarget | GitlabTarget, repository: str | None) -> str:
    where = repository or "<repository: set it in the config>"
    if isinstance(target, GithubTarget):
        return f"{target.api_url}/repos/{where}/releases"
    return f"{target.api}/projects/{urllib.parse.quote(where, safe='')}/releases"
