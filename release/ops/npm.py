"""npm registries: what is published, pack, publish, unpublish or deprecate, verify an install.

The token reaches npm through its environment (a user config names the variable), never
the command line or a file.
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from release.errors import CommandError, Problem, ReleaseError
from release.masking import mask
from release.npm_package import Offers, offers
from release.ops import scratch
from release.ops.http import (
    NotARegistry,
    RegistryError,
    RegistryUnavailable,
    request,
    wait_for,
)
from release.ops.process import run

# The variable npm reads the token from (the user config says ${RELEASE_NPM_TOKEN}).
TOKEN_VAR = "RELEASE_NPM_TOKEN"  # noqa: S105 - a variable name, not a token


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
    """The environment npm runs in: a user config that names the token's variable, and the
    variable. The token itself is never written to a file: a killed run leaves none behind."""
    directory = scratch.make("npm")
    try:
        userconfig = directory / ".npmrc"
        fd = os.open(userconfig, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(f"registry={registry.url}\n")
            if registry.token:
                # npm expands ${VAR} in .npmrc from its environment.
                handle.write(f"{_scope(registry)}:_authToken=${{{TOKEN_VAR}}}\n")
        token = {TOKEN_VAR: registry.token} if registry.token else {}
        yield {
            **token,
            "npm_config_userconfig": str(userconfig),
            "npm_config_registry": registry.url,
            "npm_config_globalconfig": str(directory / "global-npmrc"),
            "npm_config_cache": str(directory / "cache"),
            **_QUIET_AND_QUICK,
            # Our commit and tag are the only ones: npm version must not make its own.
            "npm_config_git_tag_version": "false",
        }
    finally:
        shutil.rmtree(directory, ignore_errors=True)


_QUIET_AND_QUICK = {
    "npm_config_update_notifier": "false",
    "npm_config_fund": "false",
    "npm_config_audit": "false",
    # npm retries a dead registry for over a minute by default: fail fast instead.
    "npm_config_fetch_retries": "1",
    "npm_config_fetch_retry_mintimeout": "1000",
    "npm_config_fetch_retry_maxtimeout": "3000",
    "npm_config_fetch_timeout": "60000",
}


def _scope(registry: NpmRegistry) -> str:
    parts = urllib.parse.urlsplit(registry.url)
    return f"//{parts.netloc}{parts.path if parts.path.endswith('/') else parts.path + '/'}"


@contextmanager
def install_config(
    registry: NpmRegistry, where: Path, dependencies: str | None
) -> Iterator[dict[str, str]]:
    """The environment a verifying install in `where` runs in, and its token, removed after.

    The user's own npm config stays in force, so dependencies come from where the user
    gets them (or from `dependencies`, a registry URL); a 0600 project config in `where`
    names the target's token variable, scoped to the target's host only: the token itself
    stays in the environment, never in a file.
    """
    where.mkdir(parents=True, exist_ok=True)
    npmrc = where / ".npmrc"
    cache = scratch.make("npm-cache")
    try:
        fd = os.open(npmrc, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            if registry.token:
                handle.write(f"{_scope(registry)}:_authToken=${{{TOKEN_VAR}}}\n")
        token = {TOKEN_VAR: registry.token} if registry.token else {}
        # A fresh cache: what is installed really comes from the registries.
        yield {
            **token,
            **dependency_env(dependencies),
            **_QUIET_AND_QUICK,
            "npm_config_cache": str(cache),
        }
    finally:
        npmrc.unlink(missing_ok=True)
        shutil.rmtree(cache, ignore_errors=True)


def dependency_env(dependencies: str | None) -> dict[str, str]:
    """What npm adds to the user's environment to install a project's own dependencies."""
    env = {
        "npm_config_update_notifier": "false",
        "npm_config_fund": "false",
        "npm_config_audit": "false",
    }
    if dependencies:
        env["npm_config_registry"] = dependencies
    return env


def packument(registry: NpmRegistry, package: str) -> dict[str, Any] | None:
    """The registry's document for a package, or None when it has never heard of it."""
    status, body = request(registry.package_url(package), headers=registry.auth_header())
    if status == 404:
        return None
    if status != 200:
        error = RegistryUnavailable if status >= 500 else RegistryError
        raise error(
            Problem(
                f"{registry.name} answered HTTP {status} for {package}",
                registry.name,
                "check the registry URL and that the token may read the package",
            )
        )
    try:
        data = json.loads(body)
    except ValueError:  # HTML, or bytes that are not even UTF-8
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("versions", {}), dict):
        raise _not_a_registry(
            registry, registry.package_url(package), "answered something that is not a packument"
        )
    return data


def _not_a_registry(registry: NpmRegistry, url: str, answer: str) -> NotARegistry:
    return NotARegistry(
        Problem(
            f"{registry.name}: this is not an npm registry ({mask(url)} {answer})",
            f"targets.{registry.name}",
            "set registry to the npm registry's URL, e.g. https://registry.npmjs.org/",
        )
    )


def has_version(registry: NpmRegistry, package: str, version: str) -> bool:
    doc = packument(registry, package)
    return doc is not None and version in doc.get("versions", {})


def listed_and_held(registry: NpmRegistry, package: str) -> tuple[set[str], set[str]]:
    """The versions the registry lists, and those it has or burned (`time` keeps the
    unpublished ones), from one packument."""
    doc = packument(registry, package) or {}
    listed = set(doc.get("versions", {}))
    times = doc.get("time", {})
    burned = (
        {v for v in times if v not in ("created", "modified")} if isinstance(times, dict) else set()
    )
    return listed, listed | burned


def token_rejected(registry: NpmRegistry) -> bool:
    """Whether the registry refuses the token (asked with `whoami`, publishing nothing)."""
    base = registry.url if registry.url.endswith("/") else registry.url + "/"
    status, body = request(base + "-/whoami", headers=registry.auth_header())
    if status in (401, 403):
        return True
    if status != 200:
        return False
    # verdaccio answers an unknown token with 200 and no user name.
    try:
        answer = json.loads(body or b"{}")
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise _not_a_registry(registry, base + "-/whoami", "answered something that is not JSON")
    return not answer.get("username")


def read_manifest(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


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


def install_release(
    registry: NpmRegistry, package: str, version: str, where: Path, env: dict[str, str]
) -> dict[str, Any]:
    """Install the exact version's tarball from this registry into a fresh folder.

    The release comes from the registry's own tarball URL, so only it comes from the
    target; its dependencies come from the registry `env` configures. Returns the
    installed package.json.
    """
    doc = packument(registry, package) or {}
    tarball = doc.get("versions", {}).get(version, {}).get("dist", {}).get("tarball")
    if not tarball:
        raise RegistryError(
            Problem(
                f"{registry.name} lists no tarball for {package}@{version}",
                registry.name,
                "check the registry, then resume the release",
            )
        )
    where.mkdir(parents=True, exist_ok=True)
    (where / "package.json").write_text('{"name": "release-verify", "private": true}\n')
    run(
        ["npm", "install", str(tarball), "--no-save", "--ignore-scripts"],
        cwd=where,
        env=env,
        timeout=600,
    )
    installed = read_manifest(where / "node_modules" / package / "package.json")
    if installed.get("version") != version:
        raise ReleaseError(
            Problem(
                f"installed {package} {installed.get('version')}, not {version}",
                registry.name,
                "check the registry's tarball for this version",
            )
        )
    return installed


def check_offers(
    package: str, manifest: dict[str, Any], where: Path, env: dict[str, str]
) -> Offers:
    """Load what the installed package offers: its entry, its commands, its declared files."""
    root = where / "node_modules" / package
    found = offers(manifest, {p.name for p in root.iterdir()})
    if found.entry:
        script = (
            f"const p = {json.dumps(found.entry)};"
            "try { require(p); } catch (e) {"
            " if (e.code !== 'ERR_REQUIRE_ESM' && e.code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED'"
            " && e.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw e;"
            " import(p).catch((err) => { console.error(err); process.exit(1); }); }"
        )
        run(["node", "-e", script], cwd=where, env=env, timeout=120)
    for command in found.bins:
        run([str(where / "node_modules" / ".bin" / command), "--help"], cwd=where, timeout=60)
    missing = [f for f in found.files if not _present(root, f)]
    if missing:
        raise ReleaseError(
            Problem(
                f"{package} declares files it does not contain: {', '.join(missing)}",
                "package.json",
                "build them before packing (a prepack script) or fix files/types/exports",
            )
        )
    return found


def _present(root: Path, pattern: str) -> bool:
    if any(c in pattern for c in "*?["):
        return any(root.glob(pattern))
    return (root / pattern).exists()
