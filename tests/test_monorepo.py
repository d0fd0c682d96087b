"""A repository of several packages released as one transaction: one commit, a tag each, one
atomic push, publishes in dependency order; all released or all as before."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from monorepo import Mono, Pkg, make_monorepo
from services import NpmRegistry, PypiServer

pytestmark = pytest.mark.services
_names = itertools.count()

# A chain (core <- api <- cli, Python) and a fan-out (ui-kit <- web, ui-kit <- docs-site, npm).
FOUR = [
    Pkg("core", "pypi"),
    Pkg("api", "pypi", ("core",)),
    Pkg("ui-kit", "npm"),
    Pkg("web", "npm", ("ui-kit",)),
]


def unique(stem: str) -> str:
    return f"{stem}-{os.getpid()}-{next(_names)}"


def named(packages: list[Pkg], stem: str) -> list[Pkg]:
    """The packages with names unique to this test (registries are shared by the session)."""
    rename = {p.name: unique(f"{stem}-{p.name}") for p in packages}
    return [Pkg(rename[p.name], p.kind, tuple(rename[d] for d in p.deps)) for p in packages]


def env(server: PypiServer, registry: NpmRegistry) -> dict[str, str]:
    return {
        "TEST_PYPI_USERNAME": server.username,
        "TEST_PYPI_PASSWORD": server.password,
        "TEST_NPM_TOKEN": registry.token,
    }


def release(
    extra: dict[str, str], *args: str, timeout: float = 900
) -> tuple[int, dict[str, Any], str]:
    proc = subprocess.run(
        [sys.executable, "-m", "release", *args, "--json", "--ci"],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **extra},
    )
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.strip() else {}, proc.stderr


def mono(
    tmp_path: Path,
    server: PypiServer,
    registry: NpmRegistry,
    packages: list[Pkg],
    **options: Any,
) -> Mono:
    return make_monorepo(
        tmp_path,
        unique("shop"),
        packages,
        server.url,
        server.simple_url,
        registry.url,
        **options,
    )


def test_plan_lists_every_package_and_only_changed_ones_release(
    tmp_path: Path, pypi_server: PypiServer, npm_registry: NpmRegistry
) -> None:
    packages = named(FOUR, "plan")
    repo = mono(tmp_path, pypi_server, npm_registry, packages, changed=(packages[0].name,))
    code, plan, stderr = release({}, "plan", "--config", str(repo.config), "--no-dependents")
    assert code == 0, stderr
    rows = {p["project"]: p for p in plan["packages"]}
    core = packages[0].name
    assert rows[core]["next_version"] == "1.1.0"
    assert rows[core]["tag"] == f"{core}-v1.1.0"
    assert rows[core]["files"] == ["pyproject.toml", "CHANGELOG.md"]
    assert [p for p, r in rows.items() if not r["nothing_to_release"]] == [core]
    assert plan["tags"] == [f"{core}-v1.1.0"]


def test_four_packages_one_commit_a_tag_each_one_atomic_push(
    tmp_path: Path, pypi_server: PypiServer, npm_registry: NpmRegistry
) -> None:
    packages = named(FOUR, "all")
    repo = mono(tmp_path, pypi_server, npm_registry, packages)
    code, report, stderr = release(
        env(pypi_server, npm_registry), "push", "--config", str(repo.config), "--no-dependents"
    )
    assert code == 0, stderr
    assert report["outcome"] == "released"
    assert {t["status"] for t in report["targets"]} == {"verified"}
    tags = sorted(f"{p.name}-v1.1.0" for p in packages)
    world = repo.world()
    assert sorted(set(world["remote_tags"]) - {f"{p.name}-v1.0.0" for p in packages}) == tags
    # One release commit carries every package's bump; every tag points at it.
    head = repo.repo.git("rev-parse", "HEAD")
    assert {repo.repo.git("rev-list", "-n1", t) for t in tags} == {head}
    assert repo.repo.git("rev-parse", "origin/main") == head
    changed = repo.repo.git("show", "--name-only", "--format=", "HEAD").splitlines()
    assert sorted(changed) == sorted(
        f"{p.path}/{f}"
        for p in packages
        for f in ("CHANGELOG.md", "pyproject.toml" if p.kind == "pypi" else "package.json")
    )
    assert world["registry"][packages[0].name] == sorted(
        [f"{packages[0].module}-1.1.0-py3-none-any.whl", f"{packages[0].module}-1.1.0.tar.gz"]
    )
    assert "1.1.0" in world["registry"][packages[3].name]
    # Dependencies publish first: core before api, ui-kit before web.
    publishes = [s["name"] for s in report["steps"] if s["name"].startswith("publish ")]
    position = {name: i for i, name in enumerate(publishes)}
    assert position[f"publish index [{packages[0].name}]"] < position[
        f"publish index [{packages[1].name}]"
    ]
