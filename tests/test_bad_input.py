"""Bad input at push time: each case gets exit 2, a message saying what, where and how to fix,
and leaves the repository, the remote and the index exactly as they were."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sample import Sample, index_files, make_sample
from services import PypiServer

pytestmark = pytest.mark.services
_names = itertools.count()


def upload_same_version(sample: Sample, server: PypiServer) -> None:
    work = sample.repo.root.parent / "prebuilt"
    subprocess.run(["git", "clone", "-q", str(sample.repo.root), str(work)], check=True)
    (work / "pyproject.toml").write_text(
        (work / "pyproject.toml").read_text().replace('version = "1.2.0"', 'version = "1.3.0"')
    )
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(work / "dist"), str(work)],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "twine",
            "upload",
            "--repository-url",
            server.url,
            *map(str, (work / "dist").iterdir()),
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "TWINE_USERNAME": server.username, "TWINE_PASSWORD": server.password},
    )


def remote_moved_on(sample: Sample, server: PypiServer) -> None:
    other = sample.repo.root.parent / "other-clone"
    subprocess.run(["git", "clone", "-q", sample.remote.as_uri(), str(other)], check=True)
    (other / "NEWS").write_text("someone else\n")
    for args in (["add", "NEWS"], ["commit", "-qm", "docs: news"], ["push", "-q"]):
        subprocess.run(["git", *args], cwd=other, check=True)


CASES: list[tuple[str, Callable[[Sample, PypiServer], object], str, str]] = [
    (
        "dirty tree",
        lambda s, _: (s.repo.root / "README.md").write_text("edited\n"),
        "uncommitted changes in README.md",
        "git stash -u",
    ),
    (
        "detached HEAD",
        lambda s, _: s.repo.git("checkout", "-q", "--detach"),
        "HEAD is detached",
        "git switch main",
    ),
    (
        "wrong branch",
        lambda s, _: s.repo.git("checkout", "-q", "-b", "topic"),
        "on 'topic', releases come from main",
        "switch to the release branch",
    ),
    (
        "untracked file in the way",
        lambda s, _: (s.repo.root / "changelog.d" / "+late.feature.md").write_text("x\n"),
        "untracked files in the way of the release: changelog.d/+late.feature.md",
        "commit them",
    ),
    (
        # A leftover tag on a commit off the branch (one on it would be a version mismatch).
        "tag exists locally",
        lambda s, _: s.repo.git(
            "tag", "v1.3.0", s.repo.git("commit-tree", "HEAD^{tree}", "-m", "x")
        ),
        "tag v1.3.0 already exists locally",
        "git tag -d v1.3.0",
    ),
    (
        "tag exists on the remote",
        lambda s, _: (
            s.repo.git("tag", "v1.3.0", "HEAD~1"),
            s.repo.git("push", "-q", "origin", "v1.3.0"),
            s.repo.git("tag", "-d", "v1.3.0"),
        ),
        "tag v1.3.0 already exists on 'origin'",
        "release the next one",
    ),
    (
        "behind the remote",
        remote_moved_on,
        "main is 1 commits behind origin/main",
        "git pull --ff-only origin main",
    ),
    (
        "version already on the index",
        upload_same_version,
        "1.3.0 is already on local",
        "release the next version",
    ),
    (
        # A release made from elsewhere (its tag never fetched): the index holds it.
        "a higher version on the index",
        lambda s, server: (
            server.packages_dir / f"{s.dist.replace('-', '_')}-2.0.0.tar.gz"
        ).write_bytes(b""),
        "local already has",
        "release a version above 2.0.0",
    ),
    (
        "no git identity",
        lambda s, _: None,
        "git has no name and email to make the release commit with",
        "git config user.email you@example.com",
    ),
    (
        "missing credentials",
        lambda s, _: None,
        "TEST_PYPI_PASSWORD not set",
        "export TEST_PYPI_PASSWORD",
    ),
]


def _without_identity(env: dict[str, str], home: Path) -> dict[str, str]:
    """`env` where git knows no one: no global or system config, no identity variables."""
    home.mkdir()
    drop = ("GIT_AUTHOR_", "GIT_COMMITTER_", "GIT_CONFIG_GLOBAL")
    env = {k: v for k, v in env.items() if not k.startswith(drop)}
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", EMAIL="")
    found = subprocess.run(
        ["git", "var", "GIT_COMMITTER_IDENT"], env=env, capture_output=True, check=False
    )
    if found.returncode == 0:
        pytest.skip("this host gives git an identity of its own (a mail domain)")
    return env


@pytest.mark.parametrize(
    ("setup", "what", "fix"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_changes_nothing(
    tmp_path: Path,
    pypi_server: PypiServer,
    setup: Callable[[Sample, PypiServer], object],
    what: str,
    fix: str,
) -> None:
    sample = make_sample(tmp_path, f"bad-{os.getpid()}-{next(_names)}", pypi_server.url)
    setup(sample, pypi_server)
    env = {
        **os.environ,
        "TEST_PYPI_USERNAME": pypi_server.username,
        "TEST_PYPI_PASSWORD": pypi_server.password,
    }
    if what.endswith("not set"):
        del env["TEST_PYPI_PASSWORD"]
    if what.startswith("git has no name"):
        env = _without_identity(env, tmp_path / "home")
    before = sample.repo.user_state()
    remote_before = sample.repo.git("ls-remote", "origin")
    index_before = index_files(pypi_server.simple_url, sample.dist)
    proc = subprocess.run(
        [sys.executable, "-m", "release", "push", "--config", str(sample.config), "--json", "--ci"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report.get("outcome") == "failed", proc.stdout
    assert report["next_actor"] == "developer"
    text = "\n".join(report["problems"])
    assert what in text, text
    assert fix in text, text
    assert sample.repo.user_state() == before
    assert sample.repo.git("ls-remote", "origin") == remote_before
    assert index_files(pypi_server.simple_url, sample.dist) == index_before
