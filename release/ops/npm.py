"""npm registries: what is published, pack, publish, unpublish or deprecate, verify an install.

The token reaches npm through a temporary 0600 user config file, never the command line.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from release.errors import CommandError, Problem
from release.ops.http import RegistryError, request, wait_for
from release.ops.process import run


@dataclass(frozen=True)
class NpmRegistry:
    """One npm registry and the token to publish there."""

    name: str
    url: str
    token: str

    def auth_header(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def package_url(self, package: str) -> str:
        base = self.url if self.url.endswith("/") else self.url + "/"
        return base + urllib.parse.quote(package, safe="@")


@contextmanager
def npm_config(registry: NpmRegistry) -> Iterator[dict[str, str]]:
    """The environment npm runs in: a 0600 user config holding the token, removed afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="release-npm-"))
    try:
        userconfig = directory / ".npmrc"
        parts = urllib.parse.urlsplit(registry.url)
        scope = f"//{parts.netloc}{parts.path if parts.path.endswith('/') else parts.path + '/'}"
        fd = os.open(userconfig, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(f"registry={registry.url}\n")
            if registry.token:
                handle.write(f"{scope}:_authToken={registry.token}\n")
        yield {
            "npm_config_userconfig": str(userconfig),
            "npm_config_registry": registry.url,
            "npm_config_update_notifier": "false",
            "npm_config_fund": "false",
            "npm_config_audit": "false",
            "npm_config_cache": str(directory / "cache"),
            "npm_config_globalconfig": str(directory / "global-npmrc"),
            # npm retries a dead registry for over a minute by default: fail fast instead.
            "npm_config_fetch_retries": "1",
            "npm_config_fetch_retry_mintimeout": "1000",
            "npm_config_fetch_retry_maxtimeout": "3000",
            "npm_config_fetch_timeout": "60000",
            # Our commit and tag are the only ones: npm version must not make its own.
            "npm_config_git_tag_version": "false",
        }
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def packument(registry: NpmRegistry, package: str) -> dict[str, Any] | None:
    """The registry's document for a package, or None when it has never heard of it."""
    status, body = request(registry.package_url(package), headers=registry.auth_header())
    if status == 404:
        return None
    if status != 200:
        raise RegistryError(
            Problem(
                f"{registry.name} answered HTTP {status} for {package}",
                registry.name,
                "check the registry URL and that the token may read the package",
            )
        )
    data: dict[str, Any] = json.loads(body)
    return data


def has_version(registry: NpmRegistry, package: str, version: str) -> bool:
    doc = packument(registry, package)
    return doc is not None and version in doc.get("versions", {})


def held_versions(registry: NpmRegistry, package: str) -> set[str]:
    """Every version the registry has, or has burned: `time` keeps unpublished ones."""
    doc = packument(registry, package) or {}
    times = doc.get("time", {})
    burned = (
        {v for v in times if v not in ("created", "modified")} if isinstance(times, dict) else set()
    )
    return set(doc.get("versions", {})) | burned


def token_rejected(registry: NpmRegistry) -> bool:
    """Whether the registry refuses the token (asked with `whoami`, publishing nothing)."""
    base = registry.url if registry.url.endswith("/") else registry.url + "/"
    status, body = request(base + "-/whoami", headers=registry.auth_header())
    if status in (401, 403):
        return True
    # verdaccio answers an unknown token with 200 and no user name.
    try:
        return status == 200 and not json.loads(body or b"{}").get("username")
    except ValueError:
        return False


def pack(source: Path, dest: Path, env: dict[str, str]) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    result = run(
        ["npm", "pack", "--json", "--pack-destination", str(dest)], cwd=source, env=env, timeout=600
    )
    info = json.loads(result.stdout)
    return dest / str(info[0]["filename"])


def publish(
    tarball: Path,
    registry: NpmRegistry,
    env: dict[str, str],
    *,
    tag: str,
    access: str | None,
    provenance: bool,
) -> None:
    args = ["npm", "publish", str(tarball), "--registry", registry.url, "--tag", tag]
    if access:
        args += ["--access", access]
    if provenance:
        args.append("--provenance")
    run(args, env=env, timeout=600)


def unpublish(registry: NpmRegistry, package: str, version: str, env: dict[str, str]) -> bool:
    try:
        run(
            ["npm", "unpublish", f"{package}@{version}", "--registry", registry.url, "--force"],
            env=env,
            timeout=300,
        )
    except CommandError:
        return False
    return True


def deprecate(
    registry: NpmRegistry, package: str, version: str, message: str, env: dict[str, str]
) -> bool:
    try:
        run(
            ["npm", "deprecate", f"{package}@{version}", message, "--registry", registry.url],
            env=env,
            timeout=300,
        )
    except CommandError:
        return False
    return True


def wait_until_viewable(
    registry: NpmRegistry, package: str, version: str, env: dict[str, str], *, timeout: float
) -> tuple[int, float]:
    """Poll `npm view NAME@VERSION version` until it answers (bounded, with backoff)."""

    def viewable() -> bool:
        result = run(
            ["npm", "view", f"{package}@{version}", "version", "--registry", registry.url],
            env=env,
            check=False,
            timeout=120,
        )
        return result.returncode == 0 and result.stdout.strip() == version

    return wait_for(
        viewable,
        timeout=timeout,
        gave_up=lambda attempts: Problem(
            f"{package}@{version} is not visible on {registry.name} after "
            f"{timeout:.0f} s ({attempts} checks)",
            registry.name,
            "the publish was accepted; check the registry, then resume",
        ),
    )


def install_and_load(
    registry: NpmRegistry, package: str, version: str, where: Path, env: dict[str, str]
) -> Path:
    """Install the exact version from this registry into a fresh folder and load it."""
    where.mkdir(parents=True, exist_ok=True)
    (where / "package.json").write_text('{"name": "release-verify", "private": true}\n')
    run(
        [
            "npm",
            "install",
            f"{package}@{version}",
            "--registry",
            registry.url,
            "--no-save",
            "--ignore-scripts",
        ],
        cwd=where,
        env=env,
        timeout=600,
    )
    script = (
        f"const p = {json.dumps(package)};"
        "try { require(p); } catch (e) {"
        " if (e.code !== 'ERR_REQUIRE_ESM') throw e;"
        " import(p).catch((err) => { console.error(err); process.exit(1); }); }"
    )
    run(["node", "-e", script], cwd=where, env=env, timeout=120)
    return where / "node_modules" / ".bin"
