"""`release status` tells the truth after a release, a failed publish and a rollback."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sample import Sample, make_npm_sample, make_sample, tiny_wheel
from services import NpmRegistry, PypiServer, free_port, isolated_npm_env

pytestmark = pytest.mark.services
_names = itertools.count()


def run(sample: Sample, server: PypiServer, *args: str, **env: str) -> tuple[int, dict[str, Any]]:
    proc = subprocess.run(
        [sys.executable, "-m", "release", *args, "--config", str(sample.config), "--json", "--ci"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={
            **os.environ,
            "TEST_PYPI_USERNAME": server.username,
            "TEST_PYPI_PASSWORD": server.password,
            **env,
        },
    )
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.strip() else {}


def status(sample: Sample, server: PypiServer, **env: str) -> dict[str, Any]:
    code, data = run(sample, server, "status", **env)
    assert code == 0
    (project,) = data["projects"]
    return project  # type: ignore[no-any-return]


@pytest.fixture
def sample(tmp_path: Path, pypi_server: PypiServer) -> Sample:
    return make_sample(tmp_path, f"status-{os.getpid()}-{next(_names)}", pypi_server.url)


def test_status_after_release_failed_publish_and_rollback(
    sample: Sample,
    pypi_server: PypiServer,
) -> None:
    before = status(sample, pypi_server)
    assert (before["files_version"], before["local_tag"], before["remote_tag"]) == (
        "1.2.0",
        "v1.2.0",
        "v1.2.0",
    )
    assert before["targets"][0]["latest"] is None
    assert before["drift"] == [
        "tag v1.2.0 is out but local has nothing: no release of it to resume; publish 1.2.0 "
        f"from the tag by hand, or release the next version (`nox -s push -- --project "
        f"{sample.dist}`)"
    ]

    code, _ = run(sample, pypi_server, "push", RELEASE_TEST_KILL_AT="publish local")
    assert code == -9
    crashed = status(sample, pypi_server)
    assert (crashed["local_tag"], crashed["remote_tag"]) == ("v1.3.0", "v1.3.0")
    assert crashed["journal_state"] == "incomplete"
    assert any("--resume" in note and "incomplete" in note for note in crashed["drift"])
    assert any(
        note.startswith("tag v1.3.0 pushed but local has nothing") for note in crashed["drift"]
    )

    code, _ = run(sample, pypi_server, "push", "--resume")
    assert code == 0
    released = status(sample, pypi_server)
    assert released["targets"][0]["latest"] == "1.3.0"
    assert released["drift"] == [] and released["journal_state"] == "released"

    code, _ = run(sample, pypi_server, "rollback")
    assert code == 0
    rolled = status(sample, pypi_server)
    assert (rolled["local_tag"], rolled["remote_tag"], rolled["journal_state"]) == (
        "v1.2.0",
        "v1.2.0",
        "rolled_back",
    )
    assert rolled["targets"][0]["latest"] is None

    # An rc left on the index after its tag was rolled back is not drift: the released
    # version is there, and pip's default (the newest final) is what status calls latest.
    wheels = [tiny_wheel(sample.repo.root.parent, sample.dist, v) for v in ("1.2.0", "1.3.0rc1")]
    upload = [sys.executable, "-m", "twine", "upload", "--non-interactive"]
    upload += ["--repository-url", pypi_server.url, *map(str, wheels)]
    env = pypi_server.twine_env()
    subprocess.run(upload, check=True, capture_output=True, env=env, timeout=120)
    settled = status(sample, pypi_server)
    assert settled["targets"][0]["latest"] == "1.2.0"
    assert settled["targets"][0]["has_release"] is True
    assert settled["drift"] == []


def test_status_marks_what_it_cannot_reach(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}/"
    sample = make_sample(tmp_path, "offline-sample", dead)
    server = PypiServer.__new__(PypiServer)
    server.username, server.password = "u", "p"
    (sample.repo.root / ".git" / "config").write_text(
        (sample.repo.root / ".git" / "config")
        .read_text()
        .replace(sample.remote.as_uri(), f"{sample.remote.as_uri()}-gone")
    )
    project = status(sample, server)
    assert project["remote_reachable"] is False
    assert project["targets"][0]["reachable"] is False
    assert project["local_tag"] == "v1.2.0" and project["files_version"] == "1.2.0"


def test_npm_status_judges_the_released_version_and_its_dist_tag(
    tmp_path: Path, pypi_server: PypiServer, npm_registry: NpmRegistry
) -> None:
    sample = make_npm_sample(tmp_path, f"status-npm-{os.getpid()}", npm_registry.url)
    npmrc = tmp_path / "publisher-npmrc"
    npmrc.write_text(f"{npm_registry.auth_key}:_authToken={npm_registry.token}\n")
    env = {**isolated_npm_env(tmp_path / "npm-cache"), "npm_config_userconfig": str(npmrc)}

    def npm(*args: str) -> None:
        subprocess.run(
            ["npm", *args, "--registry", npm_registry.url],
            check=True,
            capture_output=True,
            env=env,
            timeout=120,
        )

    def hand_publish(version: str) -> None:
        package = tmp_path / f"hand-{version}"
        package.mkdir()
        (package / "package.json").write_text(
            json.dumps({"name": sample.dist, "version": version, "main": "index.js"})
        )
        (package / "index.js").write_text("module.exports = {};\n")
        subprocess.run(
            ["npm", "publish", "--registry", npm_registry.url],
            cwd=package,
            check=True,
            capture_output=True,
            env=env,
            timeout=120,
        )

    def npm_status() -> dict[str, Any]:
        return status(sample, pypi_server, TEST_NPM_TOKEN=npm_registry.token)

    hand_publish("1.1.0")
    code, report = run(sample, pypi_server, "push", TEST_NPM_TOKEN=npm_registry.token)
    assert code == 0, report
    released = npm_status()
    assert released["targets"][0]["has_release"] is True and released["drift"] == []

    # Someone points latest back at an old version: status says so, and its advice works.
    npm("dist-tag", "add", f"{sample.dist}@1.1.0", "latest")
    (note,) = npm_status()["drift"]
    advice = f"npm dist-tag add {sample.dist}@1.3.0 latest --registry {npm_registry.url}"
    assert note == f"npm latest is 1.1.0, not 1.3.0: {advice}"
    npm(*advice.split()[1:-2])
    assert npm_status()["drift"] == []

    # A version newer than the last tag, published by hand, is named as such.
    hand_publish("2.0.0")
    (note,) = npm_status()["drift"]
    assert note.startswith("npm latest is 2.0.0, newer than tag v1.3.0: published outside")
