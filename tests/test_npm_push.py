"""npm targets end to end: npm-only, dual npm + PyPI, pre-release dist-tags, a version command,
and several projects in one run; each checked on the registry, the index and the remote."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sample import Sample, index_files, make_npm_sample, make_sample
from services import NpmRegistry, PypiServer, isolated_npm_env

pytestmark = pytest.mark.services
_names = itertools.count()


def unique(stem: str) -> str:
    return f"{stem}-{os.getpid()}-{next(_names)}"


def credentials(server: PypiServer, registry: NpmRegistry) -> dict[str, str]:
    return {
        "TEST_PYPI_USERNAME": server.username,
        "TEST_PYPI_PASSWORD": server.password,
        "TEST_NPM_TOKEN": registry.token,
    }


def release(env: dict[str, str], *args: str) -> tuple[int, dict[str, Any], str]:
    proc = subprocess.run(
        [sys.executable, "-m", "release", *args, "--json", "--ci"],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={**os.environ, **env},
    )
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.strip() else {}, proc.stderr


def npm_view(registry: NpmRegistry, spec: str, field: str, tmp: Path) -> Any:
    proc = subprocess.run(
        ["npm", "view", spec, field, "--json", "--registry", registry.url],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=isolated_npm_env(tmp / "npm-cache"),
    )
    if proc.returncode != 0 and "E404" not in proc.stderr:
        raise AssertionError(f"npm view failed: {proc.stdout}{proc.stderr}")
    return json.loads(proc.stdout) if proc.returncode == 0 and proc.stdout.strip() else None


def remote_tags(sample: Sample) -> list[str]:
    out = sample.repo.git("ls-remote", "--tags", "--refs", "origin")
    return sorted(line.split("refs/tags/")[1] for line in out.splitlines())


def step_done(sample: Sample, step: str) -> dict[str, Any]:
    """What the journal recorded of a finished step."""
    journals = sorted((sample.repo.root / ".git" / "release").rglob("*.jsonl"))
    events = [json.loads(line) for line in journals[-1].read_text().splitlines()]
    done = [e for e in events if e.get("step") == step and e.get("event") == "done"]
    assert len(done) == 1, events
    return dict(done[0])


def packed_from_tag(sample: Sample, tag: str, tmp: Path) -> str:
    """The shasum of `npm pack` run by hand in a fresh export of `tag`."""
    source, out = tmp / "tag-export", tmp / "tag-pack"
    source.mkdir()
    out.mkdir()
    archive = tmp / "tag.tar"
    sample.repo.git("archive", "--format=tar", "-o", str(archive), tag)
    subprocess.run(["tar", "-xf", str(archive), "-C", str(source)], check=True)
    subprocess.run(
        ["npm", "pack", "--pack-destination", str(out)],
        cwd=source,
        capture_output=True,
        check=True,
        timeout=300,
        env=isolated_npm_env(tmp / "npm-cache-pack"),
    )
    (tarball,) = out.glob("*.tgz")
    return hashlib.sha1(tarball.read_bytes(), usedforsecurity=False).hexdigest()


def test_npm_only_release(
    tmp_path: Path, npm_registry: NpmRegistry, pypi_server: PypiServer
) -> None:
    sample = make_npm_sample(tmp_path, unique("npm-only"), npm_registry.url)
    code, report, stderr = release(
        credentials(pypi_server, npm_registry), "push", "--config", str(sample.config)
    )
    assert code == 0, stderr
    assert report["targets"][0]["status"] == "verified"
    assert npm_view(npm_registry, f"{sample.dist}@1.3.0", "version", tmp_path) == "1.3.0"
    assert npm_view(npm_registry, sample.dist, "dist-tags", tmp_path) == {"latest": "1.3.0"}
    assert remote_tags(sample) == ["v1.2.0", "v1.3.0"]
    assert json.loads((sample.repo.root / "package.json").read_text())["version"] == "1.3.0"
    assert "greet loudly" in (sample.repo.root / "CHANGELOG.md").read_text()
    # Packed while the gates ran, from the planned tree: the very tarball the tag packs to.
    assert step_done(sample, "npm pack").get("built_ahead") is True
    shasum = npm_view(npm_registry, f"{sample.dist}@1.3.0", "dist.shasum", tmp_path)
    assert shasum == packed_from_tag(sample, "v1.3.0", tmp_path)


def test_dual_project_publishes_both_in_config_order(
    tmp_path: Path,
    npm_registry: NpmRegistry,
    pypi_server: PypiServer,
) -> None:
    sample = make_npm_sample(tmp_path, unique("dual"), npm_registry.url, index_url=pypi_server.url)
    code, report, stderr = release(
        credentials(pypi_server, npm_registry),
        "push",
        "--config",
        str(sample.config),
        "--prerelease",
        "rc",
    )
    assert code == 0, stderr
    assert [(t["name"], t["version"], t["status"]) for t in report["targets"]] == [
        ("local", "1.3.0rc1", "verified"),
        ("npm", "1.3.0-rc.1", "verified"),
    ]
    publishes = [s["name"] for s in report["steps"] if s["name"].startswith("publish")]
    assert publishes == ["publish local", "publish npm"]
    # The two verifications are independent: they ran side by side, each journaled.
    assert "verify local + verify npm: ok" in stderr
    verified = [(s["name"], s["status"]) for s in report["steps"] if s["name"].startswith("verify")]
    assert verified == [("verify local", "done"), ("verify npm", "done")]
    assert sorted(index_files(pypi_server.simple_url, sample.dist)) == [
        f"{sample.module}-1.3.0rc1-py3-none-any.whl",
        f"{sample.module}-1.3.0rc1.tar.gz",
    ]
    tags = npm_view(npm_registry, sample.dist, "dist-tags", tmp_path)
    assert tags["rc"] == "1.3.0-rc.1"
    assert remote_tags(sample) == ["v1.2.0", "v1.3.0rc1"]
    # Built and packed ahead side by side, the pack in a tree of its own: the sdist build
    # writes into the one it builds, and none of it reaches the npm tarball.
    assert step_done(sample, "build").get("built_ahead") is True
    assert step_done(sample, "npm pack").get("built_ahead") is True
    shasum = npm_view(npm_registry, f"{sample.dist}@1.3.0-rc.1", "dist.shasum", tmp_path)
    assert shasum == packed_from_tag(sample, "v1.3.0rc1", tmp_path)


def test_version_command_project(
    tmp_path: Path,
    npm_registry: NpmRegistry,
    pypi_server: PypiServer,
) -> None:
    sample = make_npm_sample(tmp_path, unique("vercmd"), npm_registry.url, version_command=True)
    code, _report, stderr = release(
        credentials(pypi_server, npm_registry), "push", "--config", str(sample.config)
    )
    assert code == 0, stderr
    assert json.loads((sample.repo.root / "package.json").read_text())["version"] == "1.3.0"
    # npm version made no commit and no tag of its own: ours are the only ones.
    assert sample.repo.git("log", "--format=%s", "-2").splitlines() == [
        "chore(release): v1.3.0",
        "feat: greet loudly",
    ]
    assert remote_tags(sample) == ["v1.2.0", "v1.3.0"]
    assert npm_view(npm_registry, f"{sample.dist}@1.3.0", "version", tmp_path) == "1.3.0"


def test_rollback_after_an_npm_release_unpublishes(
    tmp_path: Path,
    npm_registry: NpmRegistry,
    pypi_server: PypiServer,
) -> None:
    sample = make_npm_sample(tmp_path, unique("npm-undo"), npm_registry.url)
    env = credentials(pypi_server, npm_registry)
    code, _, stderr = release(env, "push", "--config", str(sample.config))
    assert code == 0, stderr
    code, report, stderr = release(env, "rollback", "--config", str(sample.config))
    assert code == 0, stderr
    assert report["targets"][0]["status"] == "unpublished"
    assert npm_view(npm_registry, f"{sample.dist}@1.3.0", "version", tmp_path) is None
    assert remote_tags(sample) == ["v1.2.0"]


def test_three_projects_the_middle_one_fails(
    tmp_path: Path,
    npm_registry: NpmRegistry,
    pypi_server: PypiServer,
) -> None:
    configs = tmp_path / "configs"
    configs.mkdir()
    first = make_npm_sample(tmp_path, unique("a-first"), npm_registry.url)
    middle = make_sample(tmp_path, unique("b-middle"), pypi_server.url)
    last = make_npm_sample(tmp_path, unique("c-last"), npm_registry.url)
    for sample, order in ((first, "a"), (middle, "b"), (last, "c")):
        text = sample.config.read_text().replace(
            f'path = "{sample.dist}"', f'path = "../{sample.dist}"'
        )
        (configs / f"{order}.toml").write_text(text)
    # The middle project's tests fail: it must be left exactly as it was.
    (configs / "b.toml").write_text(
        (configs / "b.toml").read_text().replace("[commands]\n", '[commands]\ntest = "false"\n')
    )
    before = middle.world(pypi_server.simple_url)
    env = {**credentials(pypi_server, npm_registry), "RELEASE_CONFIG_DIR": str(configs)}
    code, data, stderr = release(env, "push", "--all")
    assert code == 2, stderr
    outcomes = [(r["project"], r["outcome"]) for r in data["reports"]]
    assert outcomes == [(first.dist, "released"), (middle.dist, "failed"), (last.dist, "released")]
    assert middle.world(pypi_server.simple_url) == before
    for sample in (first, last):
        assert npm_view(npm_registry, f"{sample.dist}@1.3.0", "version", tmp_path) == "1.3.0"
        assert remote_tags(sample) == ["v1.2.0", "v1.3.0"]
