"""Whole releases to a real git remote and a real index, and the failures that must leave the
repository restored; each test checks the world afterwards (remote, index, install, files)."""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sample import Sample, index_files, make_sample
from services import GitDaemon, PypiServer

pytestmark = pytest.mark.services
_names = itertools.count()


def push(sample: Sample, server: PypiServer, *args: str, **env: str) -> tuple[int, dict[str, Any]]:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "release",
            "push",
            "--config",
            str(sample.config),
            "--json",
            "--ci",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={
            **os.environ,
            "TEST_PYPI_USERNAME": server.username,
            "TEST_PYPI_PASSWORD": server.password,
            **env,
        },
    )
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.strip() else {}


@pytest.fixture
def sample(tmp_path: Path, pypi_server: PypiServer) -> Sample:
    return make_sample(
        tmp_path,
        f"e2e-{os.getpid()}-{next(_names)}",
        pypi_server.url,
        health="python -c 'import sys; sys.exit(0)'",
    )


def test_fix_release_over_git_daemon_installs_from_the_index(
    tmp_path: Path,
    pypi_server: PypiServer,
    git_daemon: GitDaemon,
    pip_install_from_index: Callable[[str, str, Path], Path],
) -> None:
    sample = make_sample(tmp_path, f"e2e-git-{os.getpid()}", pypi_server.url)
    bare = git_daemon.create_bare(sample.dist)
    subprocess.run(["git", "push", "-q", "--mirror", str(bare)], cwd=sample.remote, check=True)
    sample.repo.git("remote", "set-url", "origin", git_daemon.url_for(sample.dist))
    sample.repo.git("reset", "-q", "--hard", "HEAD~1")  # drop the feature: a fix release
    sample.repo.git("push", "-q", "--force", "origin", "main")
    sample.repo.commit("fix: handle empty names")
    sample.repo.git("push", "-q", "origin", "main")
    code, report = push(sample, pypi_server)
    assert code == 0, report
    assert (
        report["version"],
        report["outcome"],
        report["next_actor"],
        report["operator_action"],
    ) == ("1.2.1", "released", "none", "none")
    remote = sample.repo.git("ls-remote", "origin")
    head = sample.repo.git("rev-parse", "HEAD")
    assert f"{head}\trefs/heads/main" in remote and "refs/tags/v1.2.1" in remote
    python = pip_install_from_index(pypi_server.simple_url, f"{sample.dist}==1.2.1", tmp_path)
    out = subprocess.run(
        [str(python), "-c", f"import {sample.module}; print({sample.module}.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "1.2.1"
    changelog = (sample.repo.root / "CHANGELOG.md").read_text()
    assert "## 1.2.1" in changelog and "handle empty names" in changelog  # from the commits
    assert Path(report["reports"]["markdown"]).read_text().endswith("- Operator action: none\n")


def test_prerelease_keeps_changelog_and_fragments(sample: Sample, pypi_server: PypiServer) -> None:
    changelog = (sample.repo.root / "CHANGELOG.md").read_text()
    code, report = push(sample, pypi_server, "--prerelease", "rc")
    assert code == 0, report
    assert report["version"] == "1.3.0rc1"
    assert sorted(index_files(pypi_server.simple_url, sample.dist)) == [
        f"{sample.module}-1.3.0rc1-py3-none-any.whl",
        f"{sample.module}-1.3.0rc1.tar.gz",
    ]
    assert (sample.repo.root / "CHANGELOG.md").read_text() == changelog
    assert (sample.repo.root / "changelog.d" / "+loud.feature.md").exists()
    code, report = push(sample, pypi_server)  # the final release takes the fragments
    assert (code, report["version"]) == (0, "1.3.0")
    assert "Greet loudly." in (sample.repo.root / "CHANGELOG.md").read_text()
    assert not (sample.repo.root / "changelog.d" / "+loud.feature.md").exists()


def test_remote_moves_on_during_the_release(sample: Sample, pypi_server: PypiServer) -> None:
    """A real race: the remote gets a new commit after validation fetched it."""
    other = sample.repo.root.parent / "racer"
    subprocess.run(["git", "clone", "-q", sample.remote.as_uri(), str(other)], check=True)
    racer = (
        f"cd {other} && git -c user.name=R -c user.email=r@example.invalid commit -q "
        "--allow-empty -m 'docs: racing' && git push -q origin main"
    )
    config = sample.config.read_text().replace(
        "[commands]\n", f"[commands]\ntest = {json.dumps(racer)}\n"
    )
    sample.config.write_text(config)
    before = sample.world(pypi_server.simple_url)
    head = sample.repo.git("rev-parse", "HEAD")
    code, report = push(sample, pypi_server)
    assert code == 1, report
    assert report["outcome"] == "failed"
    assert (
        "push" in report["problems"][0] and "before anything left the machine" in report["summary"]
    )
    assert sample.repo.git("rev-parse", "HEAD") == head
    after = sample.world(pypi_server.simple_url)
    assert after["tags"] == before["tags"] and after["files"] == before["files"]
    assert after["status"] == "" and after["index"] == []
    assert "refs/tags/v1.3.0" not in sample.repo.git("ls-remote", "origin")


def test_upload_fails_after_the_push(sample: Sample, pypi_server: PypiServer) -> None:
    before = sample.world(pypi_server.simple_url)
    code, report = push(sample, pypi_server, RELEASE_TEST_FAIL_AT="publish local")
    assert code == 1, report
    summary = report["summary"]
    assert "after the release left the machine" in summary, summary
    assert "the tag v1.3.0 was deleted from origin" in summary, summary
    assert re.search(r"a revert commit [0-9a-f]{12} was pushed to main", summary), summary
    assert report["targets"][0]["status"] == "not published"
    assert sample.world(pypi_server.simple_url) == before  # same trees, tags, files, index
    assert sample.repo.git("log", "-1", "--format=%s") == 'Revert "chore(release): v1.3.0"'


def test_failing_tests_stop_the_release(sample: Sample, pypi_server: PypiServer) -> None:
    config = sample.config.read_text().replace("[commands]\n", '[commands]\ntest = "exit 3"\n')
    sample.config.write_text(config)
    before = sample.repo.user_state()
    code, report = push(sample, pypi_server)
    assert code == 2
    assert "gate tests failed: `exit 3` exited 3" in report["problems"][0]
    assert sample.repo.user_state() == before


def test_import_name_unlike_the_distribution_verifies(
    tmp_path: Path, pypi_server: PypiServer
) -> None:
    """Like PyYAML and yaml: verification imports what the wheel holds."""
    sample = make_sample(
        tmp_path,
        f"e2e-named-{os.getpid()}",
        pypi_server.url,
        module="greeter",
        health="python -c 'import greeter'",
    )
    code, report = push(sample, pypi_server)
    assert code == 0, report
    assert report["targets"][0]["status"] == "verified"
