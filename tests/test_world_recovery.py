"""A CI job killed mid-release, its clone gone: the next job finishes (or undoes) it from the world.

A CI-mode push is SIGKILLed at each point where something has left the machine; the clone
is deleted and cloned afresh from the remote (no journal survives), then `push --ci` or
`rollback` runs in-process. The world is checked afterwards: git remote, index, npm.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from sample import Sample, index_files, make_npm_sample, make_sample, tiny_wheel
from services import NpmRegistry, PypiServer

from release.cli import main
from release.config import load_config
from release.plan import Options
from release.progress import Progress
from release.push import IncompleteRelease, PushOptions, push
from release.screen import Screen

pytestmark = pytest.mark.services
_names = itertools.count()


@pytest.fixture
def creds(
    monkeypatch: pytest.MonkeyPatch, pypi_server: PypiServer, npm_registry: NpmRegistry
) -> dict[str, str]:
    env = {
        "TEST_PYPI_USERNAME": pypi_server.username,
        "TEST_PYPI_PASSWORD": pypi_server.password,
        "TEST_NPM_TOKEN": npm_registry.token,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CI", raising=False)  # the terminal case must not read as CI
    return env


def killed_push(sample: Sample, point: str) -> None:
    """A CI job's push, SIGKILLed at `point`, then its runner gone: the clone is replaced."""
    proc = subprocess.run(
        [sys.executable, "-m", "release", "push", "--config", str(sample.config), "--ci"],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "RELEASE_TEST_KILL_AT": point},
        check=False,
    )
    assert proc.returncode == -9, proc.stderr
    shutil.rmtree(sample.repo.root)
    subprocess.run(
        ["git", "clone", "-q", str(sample.remote), str(sample.repo.root)],
        check=True,
        capture_output=True,
    )


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code = main([*args, "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else {}, err


def world(sample: Sample, server: PypiServer, npm: NpmRegistry | None) -> dict[str, object]:
    state = sample.world(server.simple_url)
    state.pop("files")  # a fresh clone's work tree is not the killed one's
    if npm is not None:
        doc = npm.packument(sample.dist) or {}
        state["npm"] = sorted(doc.get("versions", {}))
    return state


# Each point where something has left the machine; the dual project also has npm.
FINISH = [
    ("pypi", "push:after"),  # the tag is out, nothing published
    ("pypi", "publish local:file1"),  # the wheel is on the index, the sdist is not
    ("pypi", "verify local"),  # everything published, verification under way
    ("dual", "publish local:after"),  # one target done, the other not started
    ("dual", "publish npm:after"),  # both published, nothing verified
]
UNVERIFIED_ONLY = ("verify local", "publish npm:after")
UNDO = [("pypi", "publish local:file1"), ("dual", "publish npm:after")]


def _sample(kind: str, tmp_path: Path, server: PypiServer, npm: NpmRegistry) -> Sample:
    name = f"world-{os.getpid()}-{next(_names)}"
    if kind == "pypi":
        return make_sample(tmp_path, name, server.url)
    return make_npm_sample(tmp_path, name, npm.url, index_url=server.url)


@pytest.mark.parametrize(("kind", "point"), FINISH)
def test_fresh_clone_push_finishes_an_interrupted_release(
    tmp_path: Path,
    pypi_server: PypiServer,
    npm_registry: NpmRegistry,
    creds: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    kind: str,
    point: str,
) -> None:
    sample = _sample(kind, tmp_path, pypi_server, npm_registry)
    config = str(sample.config)
    killed_push(sample, point)
    assert cli(capsys, "status", "--config", config, "--check")[0] == 1

    # On a terminal, the tool shows what is missing and changes nothing; a release whose
    # files are all out and only its verification never ended is a warning, not a stop.
    code, _, err = cli(capsys, "push", "--config", config)
    if point in UNVERIFIED_ONLY:
        assert code == 0 and "v1.3.0 was never recorded as verified" in err
    else:
        assert code == 3
        assert "v1.3.0" in err and "incomplete" in err and "--resume" in err

    code, report, err = cli(capsys, "push", "--config", config, "--ci")
    assert code == 0, err
    assert report["outcome"] == "released"
    assert report["summary"].startswith("completed an interrupted release of v1.3.0")
    assert {t["name"]: t["status"] for t in report["targets"]} == {
        t: "verified" for t in (["local"] if kind == "pypi" else ["local", "npm"])
    }
    files = sorted(index_files(pypi_server.simple_url, sample.dist))
    assert files == [f"{sample.module}-1.3.0-py3-none-any.whl", f"{sample.module}-1.3.0.tar.gz"]
    if kind == "dual":
        assert "1.3.0" in (npm_registry.packument(sample.dist) or {})["versions"]
    assert sample.repo.git("ls-remote", "origin", "refs/release-push/verified/v1.3.0")
    assert cli(capsys, "status", "--config", config, "--check")[0] == 0

    # Finished: the next job has nothing to do.
    code, again, err = cli(capsys, "push", "--config", config, "--ci")
    assert code == 0 and again["outcome"] == "nothing_to_release", err


@pytest.mark.parametrize(("kind", "point"), UNDO)
def test_fresh_clone_rollback_undoes_an_interrupted_release(
    tmp_path: Path,
    pypi_server: PypiServer,
    npm_registry: NpmRegistry,
    creds: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    kind: str,
    point: str,
) -> None:
    sample = _sample(kind, tmp_path, pypi_server, npm_registry)
    npm = npm_registry if kind == "dual" else None
    before = world(sample, pypi_server, npm)
    killed_push(sample, point)
    config = str(sample.config)

    code, dry, _ = cli(capsys, "rollback", "--config", config, "--dry-run")
    assert code == 0 and "no journal here; found on origin: v1.3.0" in dry["summary"]
    code, report, err = cli(capsys, "rollback", "--config", config, "--ci")
    assert code == 0, err
    assert report["outcome"] == "rolled_back"
    assert "made by release-push, incomplete" in report["summary"]
    after = world(sample, pypi_server, npm)
    assert after["remote_tags"] == before["remote_tags"]
    assert after["remote_tree"] == before["remote_tree"]  # a revert commit, never a force-push
    assert after["index"] == before["index"] == []
    assert after.get("npm") == before.get("npm")
    assert not sample.repo.git("ls-remote", "origin", "refs/release-push/*")


def test_an_index_file_with_other_bytes_is_a_stop(
    tmp_path: Path,
    pypi_server: PypiServer,
    creds: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    sample = make_sample(tmp_path, f"world-{os.getpid()}-{next(_names)}", pypi_server.url)
    killed_push(sample, "push:after")
    # Someone else's wheel of the same version, same file name, other bytes.
    wheel = tiny_wheel(tmp_path, sample.dist, "1.3.0")
    subprocess.run(
        [sys.executable, "-m", "twine", "upload", "--repository-url", pypi_server.url, str(wheel)],
        check=True,
        capture_output=True,
        env=pypi_server.twine_env(),
        timeout=120,
    )
    code, report, err = cli(capsys, "push", "--config", str(sample.config), "--ci")
    assert code == 3, err
    assert report["outcome"] == "needs_operator"
    assert (
        wheel.name in report["problems"][0] and "nothing was overwritten" in report["problems"][0]
    )
    assert "--bump patch" in report["operator_action"]
    assert index_files(pypi_server.simple_url, sample.dist) == [wheel.name]
    with urllib.request.urlopen(f"{pypi_server.simple_url}{sample.dist}/", timeout=10) as page:
        assert hashlib.sha256(wheel.read_bytes()).hexdigest() in page.read().decode()


def test_the_world_is_believed_over_a_journal_that_says_released(
    tmp_path: Path,
    pypi_server: PypiServer,
    creds: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    sample = make_sample(tmp_path, f"world-{os.getpid()}-{next(_names)}", pypi_server.url)
    config = str(sample.config)
    code, report, err = cli(capsys, "push", "--config", config, "--ci")
    assert code == 0 and report["outcome"] == "released", err
    # The journal here says released; the remote no longer says it was verified.
    sample.repo.git("push", "-q", "origin", ":refs/release-push/verified/v1.3.0")
    assert cli(capsys, "status", "--config", config, "--check")[0] == 1
    code, report, err = cli(capsys, "push", "--config", config, "--ci")
    assert code == 0, err
    assert report["summary"].startswith("completed an interrupted release of v1.3.0")
    assert "the journal says v1.3.0 ended released" in report["summary"]
    assert "the world was believed" in report["summary"]
    # Every file is out: only the verification runs again, nothing is rebuilt or uploaded.
    steps = {s["name"]: s["status"] for s in report["steps"]}
    assert steps == {"verify local": "done", "record": "done"}
    assert sample.repo.git("ls-remote", "origin", "refs/release-push/verified/v1.3.0")


def test_a_terminal_is_asked_before_the_world_is_acted_on(
    tmp_path: Path, pypi_server: PypiServer, creds: dict[str, str]
) -> None:
    sample = make_sample(tmp_path, f"world-{os.getpid()}-{next(_names)}", pypi_server.url)
    killed_push(sample, "push:after")
    questions: list[str] = []

    def no(question: str) -> bool:
        questions.append(question)
        return False

    options = PushOptions(Options(), ask=no)
    progress = Progress(Screen(file=io.StringIO()), plain=True)
    with pytest.raises(IncompleteRelease, match="--resume"):
        push(load_config(sample.config), options, progress)
    (question,) = questions
    assert question == (
        f"v1.3.0 is incomplete (local has no {sample.dist} 1.3.0; no record on the remote "
        "that it was verified). Finish it now?"
    )
    assert index_files(pypi_server.simple_url, sample.dist) == []
