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

# A chain (core <- api, Python) and a fan-out (ui-kit <- web, ui-kit <- docs-site, npm).
FIVE = [
    Pkg("core", "pypi"),
    Pkg("api", "pypi", ("core",)),
    Pkg("ui-kit", "npm"),
    Pkg("web", "npm", ("ui-kit",)),
    Pkg("docs-site", "npm", ("ui-kit",)),
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
    packages = named(FIVE, "plan")
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
    packages = named(FIVE, "all")
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
    assert (
        position[f"publish index [{packages[0].name}]"]
        < position[f"publish index [{packages[1].name}]"]
    )


TWO = [Pkg("lib", "pypi"), Pkg("widget", "npm")]


def step_names(packages: list[Pkg], npm_first: bool = False) -> list[str]:
    """The set's steps in order, as the journal names them; npm publishes first when the
    index keeps uploads (a rollback can unpublish npm, not delete from that index)."""
    lib, widget = (p.name for p in packages)
    publishes = [f"publish index [{lib}]", f"publish npm [{widget}]"]
    return [
        f"version files [{lib}]",
        f"version files [{widget}]",
        f"changelog and docs [{lib}]",
        f"changelog and docs [{widget}]",
        "release commit",
        f"annotated tag [{lib}]",
        f"annotated tag [{widget}]",
        f"build [{lib}]",
        f"twine check [{lib}]",
        f"npm pack [{widget}]",
        f"preflight [{lib}]",
        f"preflight [{widget}]",
        "push",
        *(reversed(publishes) if npm_first else publishes),
        f"verify index [{lib}]",
        f"verify npm [{widget}]",
        f"record [{lib}]",
        f"record [{widget}]",
    ]


def released(repo: Mono, version: str = "1.1.0") -> None:
    world = repo.world()
    for p in repo.packages:
        assert f"{p.name}-v{version}" in world["remote_tags"]
        if p.kind == "pypi":
            assert sorted(world["registry"][p.name]) == sorted(
                [f"{p.module}-{version}-py3-none-any.whl", f"{p.module}-{version}.tar.gz"]
            )
        else:
            assert version in world["registry"][p.name]


def test_the_set_runs_the_steps_in_this_order(
    tmp_path: Path, pypi_server: PypiServer, npm_registry: NpmRegistry
) -> None:
    packages = named(TWO, "order")
    repo = mono(tmp_path, pypi_server, npm_registry, packages)
    code, report, stderr = release(
        env(pypi_server, npm_registry), "push", "--config", str(repo.config)
    )
    assert code == 0, stderr
    assert [s["name"] for s in report["steps"]] == step_names(packages)
    released(repo)


@pytest.mark.parametrize("where", ["publish", "verify"])
@pytest.mark.parametrize("which", range(len(FIVE)))
def test_a_failure_at_any_package_rolls_the_whole_set_back(
    tmp_path: Path, pypi_server: PypiServer, npm_registry: NpmRegistry, where: str, which: int
) -> None:
    packages = named(FIVE, f"fail{which}{where[0]}")
    repo = mono(tmp_path, pypi_server, npm_registry, packages)
    before = repo.world()
    target = "index" if packages[which].kind == "pypi" else "npm"
    step = f"{where} {target} [{packages[which].name}]"
    extra = {**env(pypi_server, npm_registry), "RELEASE_TEST_FAIL_AT": step}
    code, report, stderr = release(extra, "push", "--config", str(repo.config))
    assert code == 1, stderr
    assert report["outcome"] == "failed"
    assert f"failed at {step}" in report["summary"]
    after = repo.world()
    # Everything outside is as before; here, the release commit and its revert.
    assert after["registry"] == before["registry"]
    assert after["remote_tags"] == before["remote_tags"]
    assert after["remote_tree"] == before["remote_tree"]
    assert after["tags"] == before["tags"]
    assert after["head_tree"] == before["head_tree"]


# Each step's start, and three windows inside steps (a kill between a package's two uploads
# among them); each is resumed in one case, rolled back in the other.
_KILLS = [
    *step_names([Pkg("L", "pypi"), Pkg("W", "npm")]),
    "release commit:after",
    "publish index [L]:file1",
    "push:after",
]


@pytest.mark.parametrize("then", ["resume", "rollback"])
@pytest.mark.parametrize("point", range(len(_KILLS)))
def test_sigkill_at_every_step_then_resume_or_rollback(
    tmp_path: Path, pypi_server: PypiServer, npm_registry: NpmRegistry, point: int, then: str
) -> None:
    packages = named(TWO, f"kill{point}{then[1]}")
    lib, widget = packages
    kill = _KILLS[point].replace("[L]", f"[{lib.name}]").replace("[W]", f"[{widget.name}]")
    repo = mono(tmp_path, pypi_server, npm_registry, packages)
    before = repo.world()
    credentials = env(pypi_server, npm_registry)
    code, _, stderr = release(
        {**credentials, "RELEASE_TEST_KILL_AT": kill}, "push", "--config", str(repo.config)
    )
    assert code == -9, stderr
    if point % 2 == 0:
        code, report, stderr = release(
            credentials, "push", "--config", str(repo.config), "--resume"
        )
        assert code == 0, stderr
        assert report["outcome"] == "released", report
        released(repo)
    else:
        code, report, stderr = release(credentials, "rollback", "--config", str(repo.config))
        assert code == 0, stderr
        assert report["outcome"] == "rolled_back", report
        after = repo.world()
        for key in ("registry", "remote_tags", "remote_tree", "tags", "head_tree"):
            assert after[key] == before[key], key


def test_past_an_irreversible_publish_the_set_finishes_forward(
    tmp_path: Path, pypi_server: PypiServer, npm_registry: NpmRegistry
) -> None:
    packages = named(TWO, "forward")
    lib, widget = packages
    repo = mono(tmp_path, pypi_server, npm_registry, packages, deletable=False)
    credentials = env(pypi_server, npm_registry)
    failing = {**credentials, "RELEASE_TEST_FAIL_AT": f"record [{widget.name}]"}
    code, report, stderr = release(failing, "push", "--config", str(repo.config))
    assert code == 3, stderr
    done = [s["name"] for s in report["steps"] if s["status"] == "done"]
    assert done == step_names(packages, npm_first=True)[:-1]
    assert report["outcome"] == "needs_operator"
    assert "finishing forward" in report["summary"]
    assert "--resume" in report["operator_action"]
    assert stderr.count(f"record [{widget.name}] failed; trying again") == 2
    # Nothing was undone: the published files stay, and the report names every package's state.
    released(repo)
    assert f"{lib.name}: index 1.1.0 verified" in report["summary"]
    code, report, stderr = release(credentials, "push", "--config", str(repo.config), "--resume")
    assert code == 0, stderr
    assert report["outcome"] == "released"


def test_before_the_irreversible_publish_a_failure_still_rolls_back(
    tmp_path: Path, pypi_server: PypiServer, npm_registry: NpmRegistry
) -> None:
    packages = named(TWO, "reversible")
    lib = packages[0]
    repo = mono(tmp_path, pypi_server, npm_registry, packages, deletable=False)
    before = repo.world()
    failing = {
        **env(pypi_server, npm_registry),
        "RELEASE_TEST_FAIL_AT": f"publish index [{lib.name}]",
    }
    code, report, stderr = release(failing, "push", "--config", str(repo.config))
    # npm went first (it can be unpublished); the index keeps uploads, and failed first time.
    assert code == 1, stderr
    assert report["outcome"] == "failed"
    after = repo.world()
    assert after["registry"] == before["registry"]
    assert after["remote_tags"] == before["remote_tags"]


def test_two_pushes_into_one_repository_one_is_refused(
    tmp_path: Path, pypi_server: PypiServer, npm_registry: NpmRegistry
) -> None:
    from release.journal import release_lock, state_dir

    packages = named(TWO, "lock")
    repo = mono(tmp_path, pypi_server, npm_registry, packages)
    before = repo.world()
    # Another config reaching the same repository (one of its packages, on its own) is
    # releasing: the set's push is refused, names the holder, and changes nothing.
    holder = state_dir(repo.repo.root, "lib-alone")
    with release_lock(holder, "lib-alone"):
        code, report, stderr = release(
            env(pypi_server, npm_registry), "push", "--config", str(repo.config), timeout=120
        )
    said = stderr + json.dumps(report)
    assert code == 2, stderr
    assert "lib-alone" in said and "pid" in said
    assert repo.world() == before


def test_a_major_release_takes_its_dependents_along_and_rewrites_their_ranges(
    tmp_path: Path, pypi_server: PypiServer, npm_registry: NpmRegistry
) -> None:
    packages = named(FIVE, "cascade")
    core, api, ui_kit, web, docs_site = packages
    repo = mono(tmp_path, pypi_server, npm_registry, packages, changed=())
    repo.repo.commit(
        "feat!: a new core", {f"{core.path}/src/{core.module}/extra.py": "# breaking\n"}
    )
    repo.repo.commit("feat: more ui", {f"{ui_kit.path}/extra.js": "// more\n"})
    repo.repo.git("push", "-q", "origin", "main")
    code, plan, stderr = release({}, "plan", "--config", str(repo.config))
    assert code == 0, stderr
    rows = {p["project"]: p for p in plan["packages"]}
    assert rows[core.name]["next_version"] == "2.0.0"
    # api's range >=1.0.0,<2 no longer admits 2.0.0: rewritten, and api releases (a patch).
    assert rows[api.name]["next_version"] == "1.0.1"
    assert f"dependency {core.name} 2.0.0" in rows[api.name]["why"]
    # ui-kit 1.1.0 is inside web's and docs-site's ^1.0.0: both are left alone.
    assert rows[ui_kit.name]["next_version"] == "1.1.0"
    assert rows[web.name]["nothing_to_release"]
    assert rows[docs_site.name]["nothing_to_release"]
    assert plan["tags"][0] == f"{core.name}-v2.0.0"  # dependencies first
    code, report, stderr = release(
        env(pypi_server, npm_registry), "push", "--config", str(repo.config)
    )
    assert code == 0, stderr
    pyproject = repo.repo.git("show", f"origin/main:{api.path}/pyproject.toml")
    assert f'"{core.name}>=2.0.0,<3"' in pyproject
    assert 'version = "1.0.1"' in pyproject
    # api 1.0.1 was verified by installing it, with core 2.0.0, from the index.
    statuses = {t["name"]: t["status"] for t in report["targets"]}
    assert statuses[f"{api.name}: index"] == "verified"


def test_dependents_always_and_package_selection(
    tmp_path: Path, pypi_server: PypiServer, npm_registry: NpmRegistry
) -> None:
    packages = named(FIVE, "always")
    core, api, ui_kit, web, docs_site = packages
    repo = mono(tmp_path, pypi_server, npm_registry, packages, changed=(ui_kit.name, core.name))
    text = repo.config.read_text().replace(
        'tag_format = "{name}-v{version}"',
        'tag_format = "{name}-v{version}"\ndependents = "always"',
    )
    repo.config.write_text(text)
    code, plan, stderr = release({}, "plan", "--config", str(repo.config))
    assert code == 0, stderr
    rows = {p["project"]: p for p in plan["packages"]}
    assert [n for n, r in rows.items() if not r["nothing_to_release"]] == [
        core.name,
        api.name,
        ui_kit.name,
        web.name,
        docs_site.name,
    ]
    code, plan, stderr = release({}, "plan", "--config", str(repo.config), "--package", ui_kit.name)
    rows = {p["project"]: p for p in plan["packages"]}
    # The fan-out: both dependents of ui-kit follow it.
    assert [n for n, r in rows.items() if not r["nothing_to_release"]] == [
        ui_kit.name,
        web.name,
        docs_site.name,
    ]
    code, plan, stderr = release(
        {}, "plan", "--config", str(repo.config), "--package", ui_kit.name, "--no-dependents"
    )
    rows = {p["project"]: p for p in plan["packages"]}
    assert [n for n, r in rows.items() if not r["nothing_to_release"]] == [ui_kit.name]
    code, _, stderr = release({}, "plan", "--config", str(repo.config), "--package", "nope")
    assert code == 2
    assert "no package named 'nope'" in stderr


def test_status_shows_each_package_and_rollback_undoes_the_whole_set(
    tmp_path: Path, pypi_server: PypiServer, npm_registry: NpmRegistry
) -> None:
    packages = named(TWO, "status")
    lib, widget = packages
    repo = mono(tmp_path, pypi_server, npm_registry, packages)
    before = repo.world()
    credentials = env(pypi_server, npm_registry)
    code, _, stderr = release(credentials, "push", "--config", str(repo.config))
    assert code == 0, stderr
    code, status, stderr = release(credentials, "status", "--config", str(repo.config))
    assert code == 0, stderr
    rows = {p["project"]: p for p in status["projects"]}
    assert sorted(rows) == sorted([lib.name, widget.name])
    assert rows[lib.name]["remote_tag"] == f"{lib.name}-v1.1.0"
    assert rows[widget.name]["journal_version"] == "1.1.0"
    assert all(not r["drift"] for r in rows.values()), rows
    code, status, _ = release(
        credentials, "status", "--config", str(repo.config), "--package", widget.name
    )
    assert [p["project"] for p in status["projects"]] == [widget.name]
    code, report, stderr = release(credentials, "rollback", "--config", str(repo.config))
    assert code == 0, stderr
    assert report["outcome"] == "rolled_back"
    assert f"the tag {lib.name}-v1.1.0 was deleted" in report["summary"]
    after = repo.world()
    for key in ("registry", "remote_tags", "remote_tree", "tags", "head_tree"):
        assert after[key] == before[key], key


@pytest.mark.parametrize("then", ["push", "rollback"])
def test_a_set_killed_after_its_push_is_finished_or_undone_from_a_fresh_clone(
    tmp_path: Path, pypi_server: PypiServer, npm_registry: NpmRegistry, then: str
) -> None:
    # In CI the journal dies with the runner: the retry starts from a fresh clone.
    packages = named(TWO, f"world{then[0]}")
    widget = packages[1]
    repo = mono(tmp_path, pypi_server, npm_registry, packages)
    before = repo.world()
    credentials = env(pypi_server, npm_registry)
    killed = {**credentials, "RELEASE_TEST_KILL_AT": f"publish npm [{widget.name}]"}
    code, _, stderr = release(killed, "push", "--config", str(repo.config))
    assert code == -9, stderr
    fresh = tmp_path / "fresh"
    subprocess.run(["git", "clone", "-q", str(repo.remote), str(fresh)], check=True)
    config = tmp_path / "fresh.toml"
    config.write_text(
        repo.config.read_text().replace(f'path = "{repo.repo.root.name}"', 'path = "fresh"', 1)
    )
    code, report, stderr = release(credentials, then, "--config", str(config), "--ci")
    assert code == 0, stderr
    if then == "push":
        assert report["outcome"] == "released", report
        assert "completed an interrupted release" in report["summary"]
        assert f"{widget.name}: npm has no {widget.name}@1.1.0" in report["summary"]
        released(repo)
    else:
        assert report["outcome"] == "rolled_back", report
        assert "no journal here" in report["summary"]
        after = repo.world()
        for key in ("registry", "remote_tags", "remote_tree"):
            assert after[key] == before[key], key


def test_config_check_and_gates_read_a_set_as_a_set(
    tmp_path: Path, pypi_server: PypiServer, npm_registry: NpmRegistry
) -> None:
    packages = named(TWO, "gates")
    lib, widget = packages
    repo = mono(tmp_path, pypi_server, npm_registry, packages)
    code, checked, stderr = release({}, "config", "check", str(repo.config))
    assert code == 0, stderr
    assert checked["configs"][0]["ok"] is True
    code, gates, stderr = release({}, "gates", "--config", str(repo.config))
    assert code == 0, stderr
    names = [g["name"] for g in gates["gates"]]
    # Each package's own gates; the repository's (branch, secrets, credential files) once.
    assert f"versions [{lib.name}]" in names and f"versions [{widget.name}]" in names
    assert [n for n in names if n.startswith("branch [")] == [f"branch [{lib.name}]"]
    assert "Traceback" not in stderr
