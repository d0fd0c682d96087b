"""Never half-released: crashes and failures at every step, then rollback or resume.

Each case checks the world afterwards (git, the remote, the index), never the log: it is
either exactly the pre-release state or exactly the released one.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock
from sample import Sample, index_files, make_npm_sample, make_sample
from services import NpmRegistry, PypiServer

from release.journal import LockHeld, release_lock

pytestmark = pytest.mark.services

STEPS = [
    "version files",
    "changelog and docs",
    "release commit",
    "annotated tag",
    "build",
    "twine check",
    "preflight",
    "push",
    "publish local",
    "verify local",
]
# Crashes right after an effect, before the journal records it: the narrowest windows.
AFTER = ["release commit:after", "push:after", "publish local:after"]
# The wheel on the index, the sdist not: a publish is done only when every file is there
# (its rollback from the world is in test_world_recovery.py).
PARTIAL = ["publish local:file1"]
_names = itertools.count()


def release(
    sample: Sample, server: PypiServer, *args: str, env: dict[str, str] | None = None
) -> tuple[int, dict[str, Any], str]:
    proc = subprocess.run(
        [sys.executable, "-m", "release", *args, "--config", str(sample.config), "--json", "--ci"],
        capture_output=True,
        text=True,
        timeout=600,
        env={
            **os.environ,
            "TEST_PYPI_USERNAME": server.username,
            "TEST_PYPI_PASSWORD": server.password,
            **(env or {}),
        },
        check=False,
    )
    data = json.loads(proc.stdout) if proc.stdout.strip() else {}
    return proc.returncode, data, proc.stderr


@pytest.fixture
def sample(tmp_path: Path, pypi_server: PypiServer) -> Sample:
    return make_sample(tmp_path, f"recovery-{os.getpid()}-{next(_names)}", pypi_server.url)


def released_world(sample: Sample, server: PypiServer) -> None:
    world = sample.world(server.simple_url)
    assert world["tags"] == "v1.2.0\nv1.3.0"
    assert "refs/tags/v1.3.0" in world["remote_tags"]
    assert world["remote_tree"] == world["head_tree"]
    assert world["status"] == ""
    assert sorted(world["index"]) == [  # type: ignore[call-overload]
        f"{sample.module}-1.3.0-py3-none-any.whl",
        f"{sample.module}-1.3.0.tar.gz",
    ]
    assert (
        '__version__ = "1.3.0"'
        in (sample.repo.root / "src" / sample.module / "__init__.py").read_text()
    )
    assert not (sample.repo.root / "changelog.d" / "+loud.feature.md").exists()


def assert_restored(before: dict[str, object], sample: Sample, server: PypiServer) -> None:
    after = sample.world(server.simple_url)
    # After a post-push rollback the branch gains a revert commit: the trees must match.
    assert after == before


@pytest.mark.parametrize("point", STEPS + AFTER)
def test_crash_then_rollback(sample: Sample, pypi_server: PypiServer, point: str) -> None:
    before = sample.world(pypi_server.simple_url)
    code, _, _ = release(sample, pypi_server, "push", env={"RELEASE_TEST_KILL_AT": point})
    assert code == -9
    refused, data, stderr = release(sample, pypi_server, "push")
    assert refused == 3, stderr
    assert "did not finish" in stderr and "--resume" in stderr and "rollback" in stderr
    code, data, stderr = release(sample, pypi_server, "rollback")
    assert code == 0, stderr
    assert data["outcome"] == "rolled_back"
    assert_restored(before, sample, pypi_server)
    again, data, _ = release(sample, pypi_server, "rollback")
    assert again == 0 and data["outcome"] == "rolled_back"
    assert_restored(before, sample, pypi_server)


@pytest.mark.parametrize("point", STEPS + AFTER + PARTIAL)
def test_crash_then_resume(sample: Sample, pypi_server: PypiServer, point: str) -> None:
    code, _, _ = release(sample, pypi_server, "push", env={"RELEASE_TEST_KILL_AT": point})
    assert code == -9
    code, data, stderr = release(sample, pypi_server, "push", "--resume")
    assert code == 0, stderr
    assert data["outcome"] == "released"
    skipped = [s["name"] for s in data["steps"] if s["status"] == "already done"]
    if point.endswith(":after"):
        assert point.removesuffix(":after") in skipped  # done before the crash: not repeated
    released_world(sample, pypi_server)


def test_rollback_after_a_full_release_then_release_again(
    sample: Sample,
    pypi_server: PypiServer,
) -> None:
    before = sample.world(pypi_server.simple_url)
    code, data, stderr = release(sample, pypi_server, "push")
    assert code == 0, stderr
    released_world(sample, pypi_server)
    code, dry, _ = release(sample, pypi_server, "rollback", "--dry-run")
    assert code == 0 and "publish local, push" in dry["summary"]
    assert sample.world(pypi_server.simple_url)["tags"] == "v1.2.0\nv1.3.0"  # dry run: no change
    code, data, stderr = release(sample, pypi_server, "rollback")
    assert code == 0, stderr
    assert "post-push procedure" in data["summary"]
    assert data["targets"][0]["status"] == "deleted"
    assert_restored(before, sample, pypi_server)
    assert sample.repo.git("log", "-1", "--format=%s") == 'Revert "chore(release): v1.3.0"'
    # The same version can be released again once it is rolled back.
    code, data, stderr = release(sample, pypi_server, "push")
    assert code == 0, stderr
    assert data["version"] == "1.3.0"


def test_a_second_push_is_refused_while_one_runs(sample: Sample, pypi_server: PypiServer) -> None:
    # The lock is the repository's, not the project's: a release of another config of the same
    # repository (here "shop-cli") holds it.
    lock_dir = sample.repo.root / ".git" / "release"
    lock_dir.mkdir(parents=True)
    (lock_dir / "release.lock.info").write_text(
        "shop-cli: pid 4242 on ci-runner since 2026-11-21 10:00:00"
    )
    before = sample.world(pypi_server.simple_url)
    with FileLock(str(lock_dir / "release.lock")):
        code, _, stderr = release(sample, pypi_server, "push")
    assert code == 2
    assert "another release into this repository is running" in stderr
    assert "shop-cli: pid 4242 on ci-runner" in stderr
    assert_restored(before, sample, pypi_server)


def test_a_holder_that_just_started_is_still_named(tmp_path: Path) -> None:
    # The instant between taking the lock and writing its details: the contender waits for them.
    state = tmp_path / "release" / "other"
    info = state.parent / "release.lock.info"
    with release_lock(tmp_path / "release" / "first", "first"):
        holder = info.read_text()
        info.unlink()
        threading.Timer(0.3, lambda: info.write_text(holder)).start()
        with pytest.raises(LockHeld) as raised, release_lock(state, "other"):
            pass
    (problem,) = raised.value.problems
    assert f"first: pid {os.getpid()}" in problem.what


def test_journal_lists_releases_and_their_state(sample: Sample, pypi_server: PypiServer) -> None:
    release(sample, pypi_server, "push", env={"RELEASE_TEST_KILL_AT": "build"})
    code, data, _ = release(sample, pypi_server, "journal")
    assert code == 0
    (entry,) = data["releases"]
    assert (entry["version"], entry["state"]) == ("1.3.0", "incomplete")
    assert entry["steps_done"] == [
        "version files",
        "changelog and docs",
        "release commit",
        "annotated tag",
    ]
    assert index_files(pypi_server.simple_url, sample.dist) == []


def _push_and_signal(sample: Sample, server: PypiServer, when: str) -> tuple[int, dict[str, Any]]:
    """Start a push, send SIGTERM when the progress line `when` appears, and wait for it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "release", "push", "--config", str(sample.config), "--json", "--ci"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={
            **os.environ,
            "TEST_PYPI_USERNAME": server.username,
            "TEST_PYPI_PASSWORD": server.password,
        },
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if when in line:
            proc.send_signal(signal.SIGTERM)
            break
    out, _ = proc.communicate(timeout=600)
    return proc.returncode, json.loads(out)


def test_sigterm_before_publishing_rolls_back(sample: Sample, pypi_server: PypiServer) -> None:
    before = sample.world(pypi_server.simple_url)
    code, report = _push_and_signal(sample, pypi_server, "-> build ...")
    assert code == 1
    assert report["outcome"] == "failed"
    assert "stopped by signal" in report["problems"][0]
    assert_restored(before, sample, pypi_server)


def test_sigterm_after_publishing_stops_resumable(sample: Sample, pypi_server: PypiServer) -> None:
    code, report = _push_and_signal(sample, pypi_server, "-> publish local ...")
    assert code == 3
    assert report["outcome"] == "needs_operator"
    assert "--resume" in report["operator_action"]
    assert sorted(index_files(pypi_server.simple_url, sample.dist)) == [
        f"{sample.module}-1.3.0-py3-none-any.whl",
        f"{sample.module}-1.3.0.tar.gz",
    ]
    code, _, stderr = release(sample, pypi_server, "push", "--resume")
    assert code == 0, stderr
    released_world(sample, pypi_server)


DUAL_STEPS = [
    "version files",
    "changelog and docs",
    "release commit",
    "annotated tag",
    "build",
    "twine check",
    "npm pack",
    "preflight",
    "push",
    "publish local",
    "publish npm",
    "verify local",
    "verify npm",
]


@pytest.mark.parametrize("step", DUAL_STEPS)
def test_failure_at_each_step_of_a_dual_release_rolls_back(
    tmp_path: Path, pypi_server: PypiServer, npm_registry: NpmRegistry, step: str
) -> None:
    """Both real registries take part: whatever failed, the world is as before."""
    sample = make_npm_sample(
        tmp_path, f"fail-{os.getpid()}-{next(_names)}", npm_registry.url, index_url=pypi_server.url
    )
    before = sample.world(pypi_server.simple_url)
    env = {"TEST_NPM_TOKEN": npm_registry.token, "RELEASE_TEST_FAIL_AT": step}
    code, report, stderr = release(sample, pypi_server, "push", env=env)
    assert code == 1, stderr
    assert report["outcome"] == "failed" and report["problems"] == [
        f"{step}: injected failure at {step}"
    ]
    after = sample.world(pypi_server.simple_url)
    assert after == before
    doc = npm_registry.packument(sample.dist)
    assert doc is None or "1.3.0" not in doc.get("versions", {})
    # Nothing is left unfinished: neither a resume nor a second rollback has anything to do.
    # A resume with nothing to resume is not an emergency (a CI retry must not page anyone).
    code, resumed, stderr = release(sample, pypi_server, "push", "--resume", env=env)
    assert code == 0 and "nothing to resume" in resumed["summary"], stderr
    code, again, _ = release(sample, pypi_server, "rollback", env=env)
    assert code == 0 and again["outcome"] == "rolled_back"
    assert sample.world(pypi_server.simple_url) == before
