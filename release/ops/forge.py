"""GitHub and GitLab release APIs: read, create, attach, delete; every answer checked."""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from release.errors import Problem
from release.masking import mask, register_secret
from release.ops.http import RegistryError, request

USER_AGENT = "release-push"


class ForgeError(RegistryError):
    """A forge answered something the tool cannot take as success."""


@dataclass(frozen=True)
class ForgeRelease:
    """What the tool compares: a release's tag, title, notes, pre-release flag and files."""

    id: str
    tag: str
    name: str
    body: str
    prerelease: bool
    assets: tuple[str, ...]
    url: str = ""

    def matches(self, name: str, body: str, prerelease: bool) -> bool:
        # Forges may trim or re-wrap line endings; the words are what must agree.
        return (
            self.name == name and _norm(self.body) == _norm(body) and self.prerelease == prerelease
        )


def _norm(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").strip().splitlines())


def _json(body: bytes) -> Any:
    try:
        return json.loads(body or b"null")
    except ValueError:
        return None


def _message(body: bytes) -> str:
    doc = _json(body)
    if isinstance(doc, dict):
        text = str(doc.get("message") or doc.get("detail") or doc.get("error") or "")
        errors = doc.get("errors")
        if isinstance(errors, list):
            codes = [str(e.get("code", "")) for e in errors if isinstance(e, dict)]
            text += f" ({', '.join(c for c in codes if c)})" if any(codes) else ""
        return mask(text.strip())[:300]
    return mask(body[:200].decode("utf-8", "replace")).strip()


def uploads_base(api_url: str) -> str:
    """Where release files go: uploads.github.com for github.com, /api/uploads on Enterprise.

    Derived from the configured API rather than taken from a response, so the token is
    only ever sent to hosts the config names.
    """
    if api_url == "https://api.github.com":
        return "https://uploads.github.com"
    if api_url.endswith("/api/v3"):
        return api_url.removesuffix("/api/v3") + "/api/uploads"
    return api_url


def _same_release(
    target: str, existing: ForgeRelease | None, wanted: tuple[str, str, str, bool], where: str
) -> bool:
    """After "already exists": true when the release there is this very one (same name,
    notes and pre-release flag); a different one is a stop, never overwritten."""
    tag, name, body, prerelease = wanted
    if existing is None:
        return False
    if existing.matches(name, body, prerelease):
        return True
    raise ForgeError(
        Problem(
            f"{target}: a different release already exists for {tag}",
            where,
            "delete it on the forge or make it match, then resume the release",
        )
    )


@dataclass(frozen=True)
class GitHub:
    """One repository's releases through the REST API (the published OpenAPI contract)."""

    target: str
    api_url: str
    repository: str
    token: str

    def __post_init__(self) -> None:
        register_secret(self.token)

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
            "X-GitHub-Api-Version": "2022-11-28",
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return {**headers, **(extra or {})}

    def _call(
        self, method: str, path: str, payload: dict[str, Any] | None = None
    ) -> tuple[int, bytes]:
        data = json.dumps(payload).encode() if payload is not None else None
        extra = {"Content-Type": "application/json"} if data is not None else None
        return request(
            f"{self.api_url}{path}", data=data, headers=self._headers(extra), method=method
        )

    def _fail(self, what: str, status: int, body: bytes) -> ForgeError:
        fixes = {
            401: f"the token is not valid: check the variable named by targets.{self.target}"
            ".token_env",
            403: "the token may not do this: give it contents: write on the repository",
            404: f"no repository {self.repository} the token can see: check "
            f"targets.{self.target}.repository and the token's access",
        }
        return ForgeError(
            Problem(
                f"{self.target}: {what} answered {status}: {_message(body)}",
                f"targets.{self.target}",
                fixes.get(status, "check the forge's status and the target's settings"),
            )
        )

    @property
    def _repo(self) -> str:
        return f"/repos/{self.repository}"

    def check_access(self) -> None:
        """A read that needs the token. Whether it may write is not asked: the answer's
        `permissions` differ between token kinds (a job's token reports none reliably)."""
        status, body = self._call("GET", self._repo)
        if status != 200:
            raise self._fail(f"reading {self.repository}", status, body)

    def release(self, tag: str) -> ForgeRelease | None:
        status, body = self._call(
            "GET", f"{self._repo}/releases/tags/{urllib.parse.quote(tag, safe='')}"
        )
        if status == 404:
            return None
        if status != 200:
            raise self._fail(f"reading the release of {tag}", status, body)
        return self._parse(body)

    def _parse(self, body: bytes) -> ForgeRelease:
        doc = _json(body)
        if not isinstance(doc, dict) or "id" not in doc:
            raise ForgeError(
                Problem(
                    f"{self.target}: the release answer is not a release",
                    f"targets.{self.target}.api_url",
                    "check that api_url is the forge's REST API",
                )
            )
        return ForgeRelease(
            id=str(doc["id"]),
            tag=str(doc.get("tag_name", "")),
            name=str(doc.get("name") or ""),
            body=str(doc.get("body") or ""),
            prerelease=bool(doc.get("prerelease")),
            assets=tuple(str(a.get("name")) for a in doc.get("assets") or []),
            url=str(doc.get("html_url", "")),
        )

    def create(self, tag: str, name: str, body: str, prerelease: bool) -> tuple[ForgeRelease, bool]:
        """(the release, whether it was made now); one that already exists counts only if
        it is this very release (same name, notes and pre-release flag)."""
        payload = {
            "tag_name": tag,
            "name": name,
            "body": body,
            "draft": False,
            "prerelease": prerelease,
        }
        status, answer = self._call("POST", f"{self._repo}/releases", payload)
        if status == 201:
            return self._parse(answer), True
        if status == 422:
            existing = self.release(tag)
            where = f"{self.api_url}{self._repo}/releases/{existing.id if existing else ''}"
            if _same_release(self.target, existing, (tag, name, body, prerelease), where):
                assert existing is not None
                return existing, False
        raise self._fail(f"creating the release of {tag}", status, answer)

    def upload(self, release: ForgeRelease, path: Path) -> None:
        name = urllib.parse.quote(path.name, safe="")
        url = f"{uploads_base(self.api_url)}{self._repo}/releases/{release.id}/assets?name={name}"
        headers = self._headers({"Content-Type": "application/octet-stream"})
        status, body = request(url, data=path.read_bytes(), headers=headers, method="POST")
        if status != 201:
            raise self._fail(f"attaching {path.name}", status, body)

    def delete(self, release: ForgeRelease) -> None:
        """Delete the release; its files go with it (the tag stays: git owns it)."""
        status, body = self._call("DELETE", f"{self._repo}/releases/{release.id}")
        if status not in (204, 404):
            raise self._fail(f"deleting the release of {release.tag}", status, body)


@dataclass(frozen=True)
class GitLab:
    """One project's releases through the REST API (v4)."""

    target: str
    api_url: str
    project: str
    token: str
    job_token: bool = False  # CI_JOB_TOKEN goes in JOB-TOKEN, personal tokens in PRIVATE-TOKEN

    def __post_init__(self) -> None:
        register_secret(self.token)

    def _call(
        self, method: str, path: str, payload: dict[str, Any] | None = None
    ) -> tuple[int, bytes]:
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if self.token:
            headers["JOB-TOKEN" if self.job_token else "PRIVATE-TOKEN"] = self.token
        data = None
        if payload is not None:
            data = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        return request(f"{self.api_url}{path}", data=data, headers=headers, method=method)

    @property
    def _base(self) -> str:
        return f"/projects/{urllib.parse.quote(self.project, safe='')}/releases"

    def _fail(self, what: str, status: int, body: bytes) -> ForgeError:
        fixes = {
            401: f"the token is not valid: check the variable named by targets.{self.target}"
            ".token_env",
            403: "the token may not do this: it needs the Developer role (or the job's token)",
            404: f"no project {self.project} the token can see: check "
            f"targets.{self.target}.project and the token's access",
        }
        return ForgeError(
            Problem(
                f"{self.target}: {what} answered {status}: {_message(body)}",
                f"targets.{self.target}",
                fixes.get(status, "check the forge's status and the target's settings"),
            )
        )

    def check_access(self) -> None:
        status, body = self._call("GET", f"{self._base}?per_page=1")
        if status != 200:
            raise self._fail(f"reading the releases of {self.project}", status, body)

    def release(self, tag: str) -> ForgeRelease | None:
        status, body = self._call("GET", f"{self._base}/{urllib.parse.quote(tag, safe='')}")
        if status == 404:
            return None
        if status != 200:
            raise self._fail(f"reading the release of {tag}", status, body)
        doc = _json(body)
        if not isinstance(doc, dict):
            raise self._fail(f"reading the release of {tag}", status, body)
        links = (doc.get("assets") or {}).get("links") or []
        return ForgeRelease(
            id=str(doc.get("tag_name", tag)),
            tag=str(doc.get("tag_name", tag)),
            name=str(doc.get("name") or ""),
            body=str(doc.get("description") or ""),
            prerelease=False,  # GitLab has no pre-release flag
            assets=tuple(str(link.get("name")) for link in links),
            url=str((doc.get("_links") or {}).get("self", "")),
        )

    def create(
        self, tag: str, name: str, body: str, links: list[tuple[str, str]]
    ) -> tuple[ForgeRelease, bool]:
        payload: dict[str, Any] = {"tag_name": tag, "name": name, "description": body}
        if links:
            payload["assets"] = {
                "links": [{"name": n, "url": u, "link_type": "package"} for n, u in links]
            }
        status, answer = self._call("POST", self._base, payload)
        if status == 201:
            made = self.release(tag)
            if made is None:
                raise self._fail(f"reading back the release of {tag}", 404, b"")
            return made, True
        if status in (409, 422):  # "Release already exists"
            existing = self.release(tag)
            where = f"{self.api_url}{self._base}/{tag}"
            if _same_release(self.target, existing, (tag, name, body, False), where):
                assert existing is not None
                return existing, False
        raise self._fail(f"creating the release of {tag}", status, answer)

    def delete(self, release: ForgeRelease) -> None:
        status, body = self._call(
            "DELETE", f"{self._base}/{urllib.parse.quote(release.tag, safe='')}"
        )
        if status not in (200, 204, 404):
            raise self._fail(f"deleting the release of {release.tag}", status, body)


Forge = GitHub | GitLab
