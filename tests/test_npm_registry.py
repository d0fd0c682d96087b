"""Prove the local verdaccio is a real npm registry that behaves the way the release tool needs."""

from __future__ import annotations

import json
import re
import stat
import subprocess
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from services import NpmRegistry, isolated_npm_env, npm_registry

pytestmark = pytest.mark.services

# Re-exported so pytest finds the fixture even before a conftest imports it.
__all__ = ["npm_registry"]

NPM_TIMEOUT = 60


@pytest.fixture(scope="module")
def npm_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """npm's environment: a temporary cache, no host npmrc, no update check, audit or fund."""
    return isolated_npm_env(tmp_path_factory.mktemp("npm-cache"))


@pytest.fixture
def userconfig(npm_registry: NpmRegistry, tmp_path: Path) -> Path:
    """A 0600 npmrc carrying the registry's token: the only place the token is written."""
    return npm_registry.npmrc(tmp_path / "secrets" / "npmrc")


@pytest.fixture
def anonymous(tmp_path: Path) -> Path:
    """An empty npmrc: npm then reads as an anonymous client."""
    path = tmp_path / "anonymous-npmrc"
    path.write_text("")
    return path


def unique_name() -> str:
    return f"svc-npm-selftest-{uuid.uuid4().hex[:10]}"


def make_package(root: Path, name: str, version: str) -> Path:
    """A tiny publishable package (package.json + index.js) in its own directory."""
    pkg = root / f"{name}-{version}"
    pkg.mkdir(parents=True)
    manifest = {"name": name, "version": version, "main": "index.js", "license": "MIT"}
    (pkg / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
    (pkg / "index.js").write_text(f"module.exports = {{ name: {name!r}, version: {version!r} }};\n")
    return pkg


def npm(
    args: list[str], env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["npm", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=NPM_TIMEOUT,
        check=False,
    )


def publish(
    registry: NpmRegistry,
    pkg: Path,
    userconfig: Path,
    env: dict[str, str],
    *extra: str,
) -> subprocess.CompletedProcess[str]:
    return npm(
        ["publish", "--registry", registry.url, "--userconfig", str(userconfig), *extra],
        env,
        cwd=pkg,
    )


def view(
    registry: NpmRegistry, spec: str, field: str, userconfig: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return npm(
        [
            "view",
            spec,
            field,
            "--json",
            "--registry",
            registry.url,
            "--userconfig",
            str(userconfig),
        ],
        env,
    )


def view_json(
    registry: NpmRegistry, spec: str, field: str, userconfig: Path, env: dict[str, str]
) -> object:
    result = view(registry, spec, field, userconfig, env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else None


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"{result.args}:\n{result.stdout}{result.stderr}"
    return result.stdout


def test_registry_is_local_and_has_no_uplinks(
    npm_registry: NpmRegistry, npm_env: dict[str, str], anonymous: Path
) -> None:
    assert npm_registry.url == f"http://127.0.0.1:{npm_registry.port}/"
    config = npm_registry.config_path.read_text()
    assert not re.search(r"^\s*(uplinks|proxy)\s*:", config, re.MULTILINE), config
    assert "'***'" in repr(npm_registry)
    assert npm_registry.token not in repr(npm_registry)
    with urllib.request.urlopen(f"{npm_registry.url}-/ping", timeout=5) as response:
        assert response.status == 200

    # A package that exists on npmjs: with no uplink, the local registry does not know it.
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(npm_registry.package_url("left-pad"), timeout=5)
    assert err.value.code == 404
    assert npm_registry.packument("left-pad") is None

    result = view(npm_registry, "left-pad", "version", anonymous, npm_env)
    assert result.returncode != 0
    assert "E404" in result.stdout + result.stderr


def test_publish_view_and_install(
    npm_registry: NpmRegistry,
    npm_env: dict[str, str],
    userconfig: Path,
    anonymous: Path,
    tmp_path: Path,
) -> None:
    assert stat.S_IMODE(userconfig.stat().st_mode) == 0o600
    name = unique_name()
    pkg = make_package(tmp_path, name, "1.0.0")

    result = publish(npm_registry, pkg, userconfig, npm_env)
    assert f"+ {name}@1.0.0" in ok(result)
    # The token is never echoed back by npm.
    assert npm_registry.token not in result.stdout + result.stderr

    assert view_json(npm_registry, f"{name}@1.0.0", "version", anonymous, npm_env) == "1.0.0"
    packument = npm_registry.packument(name)
    assert packument is not None
    assert packument["dist-tags"] == {"latest": "1.0.0"}

    consumer = tmp_path / "consumer"
    consumer.mkdir()
    ok(
        npm(
            [
                "install",
                f"{name}@1.0.0",
                "--registry",
                npm_registry.url,
                "--userconfig",
                str(anonymous),
                "--no-audit",
                "--no-fund",
                "--no-package-lock",
            ],
            npm_env,
            cwd=consumer,
        )
    )
    loaded = subprocess.run(
        ["node", "-e", f"process.stdout.write(require({name!r}).version)"],
        cwd=consumer,
        capture_output=True,
        text=True,
        timeout=NPM_TIMEOUT,
        check=False,
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout == "1.0.0"


def test_prerelease_goes_to_its_dist_tag(
    npm_registry: NpmRegistry,
    npm_env: dict[str, str],
    userconfig: Path,
    anonymous: Path,
    tmp_path: Path,
) -> None:
    name = unique_name()
    ok(publish(npm_registry, make_package(tmp_path, name, "1.0.0"), userconfig, npm_env))
    rc_pkg = make_package(tmp_path, name, "1.1.0-rc.1")

    # npm 11 refuses a prerelease without --tag, before contacting the registry.
    refused = publish(npm_registry, rc_pkg, userconfig, npm_env)
    assert refused.returncode != 0
    assert "You must specify a tag using --tag" in refused.stderr

    ok(publish(npm_registry, rc_pkg, userconfig, npm_env, "--tag", "rc"))
    tags = view_json(npm_registry, name, "dist-tags", anonymous, npm_env)
    assert tags == {"latest": "1.0.0", "rc": "1.1.0-rc.1"}


def test_same_version_twice_is_refused(
    npm_registry: NpmRegistry, npm_env: dict[str, str], userconfig: Path, tmp_path: Path
) -> None:
    name = unique_name()
    pkg = make_package(tmp_path, name, "1.0.0")
    ok(publish(npm_registry, pkg, userconfig, npm_env))

    # npm itself refuses first (it reads the packument; no error code, exit 1) ...
    again = publish(npm_registry, pkg, userconfig, npm_env)
    assert again.returncode != 0
    assert "cannot publish over the previously published versions: 1.0.0" in again.stderr

    # ... and without npm's check the registry refuses too: 409 Conflict.
    forced = publish(npm_registry, pkg, userconfig, npm_env, "--force")
    assert forced.returncode != 0
    assert "E409" in forced.stderr
    assert "this package is already present" in forced.stderr

    # npm also refuses to unpublish the only version of a package without --force
    # (and then removes the whole package); nothing is sent to the registry.
    last = npm(
        [
            "unpublish",
            f"{name}@1.0.0",
            "--registry",
            npm_registry.url,
            "--userconfig",
            str(userconfig),
        ],
        npm_env,
    )
    assert last.returncode != 0
    assert "Refusing to delete the last version of the package" in last.stderr
    assert npm_registry.packument(name) is not None


def test_wrong_token_is_refused(
    npm_registry: NpmRegistry,
    npm_env: dict[str, str],
    userconfig: Path,
    tmp_path: Path,
) -> None:
    bad = tmp_path / "bad-npmrc"
    bad.write_text(f"{npm_registry.auth_key}:_authToken=bm90LWEtdG9rZW4=\n")
    bad.chmod(0o600)
    name = unique_name()

    refused = publish(npm_registry, make_package(tmp_path, name, "1.0.0"), bad, npm_env)
    assert refused.returncode != 0
    assert "E401" in refused.stderr
    assert npm_registry.packument(name) is None

    # Deprecate and unpublish of an existing version need a valid token as well
    # (--force: without it npm refuses to unpublish an only version before asking).
    ok(publish(npm_registry, make_package(tmp_path, name, "2.0.0"), userconfig, npm_env))
    for args in (["deprecate", f"{name}@2.0.0", "nope"], ["unpublish", f"{name}@2.0.0", "--force"]):
        result = npm([*args, "--registry", npm_registry.url, "--userconfig", str(bad)], npm_env)
        assert result.returncode != 0, args
        assert "E401" in result.stderr, args
    packument = npm_registry.packument(name)
    assert packument is not None
    assert sorted(packument["versions"]) == ["2.0.0"]
    assert "deprecated" not in packument["versions"]["2.0.0"]


def test_unpublish_removes_one_version(
    npm_registry: NpmRegistry,
    npm_env: dict[str, str],
    userconfig: Path,
    anonymous: Path,
    tmp_path: Path,
) -> None:
    name = unique_name()
    ok(publish(npm_registry, make_package(tmp_path, name, "1.0.0"), userconfig, npm_env))
    rc = make_package(tmp_path, name, "1.1.0-rc.1")
    ok(publish(npm_registry, rc, userconfig, npm_env, "--tag", "rc"))
    ok(publish(npm_registry, make_package(tmp_path, name, "1.0.1"), userconfig, npm_env))
    registry = ["--registry", npm_registry.url, "--userconfig", str(userconfig)]

    out = ok(npm(["unpublish", f"{name}@1.0.1", *registry], npm_env))
    assert f"- {name}@1.0.1" in out
    gone = view(npm_registry, f"{name}@1.0.1", "version", anonymous, npm_env)
    assert gone.returncode != 0
    assert "E404" in gone.stderr
    packument = npm_registry.packument(name)
    assert packument is not None
    assert sorted(packument["versions"]) == ["1.0.0", "1.1.0-rc.1"]
    # npm (the client rewrites the packument) moves `latest` to the highest version left,
    # even a prerelease.
    assert packument["dist-tags"] == {"latest": "1.1.0-rc.1", "rc": "1.1.0-rc.1"}

    # Exit 0 proves nothing: npm reports a version it cannot find as unpublished.
    missing = ok(npm(["unpublish", f"{name}@9.9.9", *registry], npm_env))
    assert f"- {name}" in missing


def test_deprecate_marks_a_version(
    npm_registry: NpmRegistry,
    npm_env: dict[str, str],
    userconfig: Path,
    anonymous: Path,
    tmp_path: Path,
) -> None:
    name = unique_name()
    ok(publish(npm_registry, make_package(tmp_path, name, "1.0.1"), userconfig, npm_env))
    registry = ["--registry", npm_registry.url, "--userconfig", str(userconfig)]
    message = "1.0.1 was released by mistake; use 1.0.0"

    ok(npm(["deprecate", f"{name}@1.0.1", message, *registry], npm_env))
    assert view_json(npm_registry, f"{name}@1.0.1", "deprecated", anonymous, npm_env) == message
    # A deprecated version stays in the registry and stays `latest`.
    packument = npm_registry.packument(name)
    assert packument is not None
    assert packument["dist-tags"] == {"latest": "1.0.1"}

    # An empty message lifts the deprecation.
    ok(npm(["deprecate", f"{name}@1.0.1", "", *registry], npm_env))
    packument = npm_registry.packument(name)
    assert packument is not None
    assert "deprecated" not in packument["versions"]["1.0.1"]
