"""The release's builds start from the planned tree while the gates run: what a push
uploads is still byte for byte what the tag rebuilds to; a tree that a stand-in commit
cannot export the same way is built after the commit; a refused release calls its build
off; and the planned tree is the release commit's, made without writing to .git."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tarfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from git import Actor
from gitrepo import Repo
from pyshapes import config, project
from services import PypiServer

from release.ops import planned_tree
from release.ops.artifacts import build_env
from release.ops.build import build_command, build_sdist_and_wheel, clamp_sdist
from release.ops.git import Git, gitpython_repo, signature
from release.ops.process import Cancelled, CancelScope, run, side_by_side


def build_result(repo: Repo) -> dict[str, Any]:
    """What the journal recorded of the build step."""
    journals = sorted((repo.root / ".git" / "release").rglob("*.jsonl"))
    events = [json.loads(line) for line in journals[-1].read_text().splitlines()]
    done = [e for e in events if e.get("step") == "build" and e.get("event") == "done"]
    assert len(done) == 1, events
    return dict(done[0])


def uploaded(server: PypiServer, name: str) -> dict[str, bytes]:
    module = name.replace("-", "_")
    return {p.name: p.read_bytes() for p in server.packages_dir.glob(f"{module}-*")}


def rebuild_tag(repo: Repo, tag: str, out: Path) -> dict[str, bytes]:
    """The tag rebuilt from a fresh export, as anyone can: its commit's time is the epoch."""
    source = out / "source"
    source.mkdir(parents=True)
    archive = out / "source.tar"
    repo.git("archive", "--format=tar", "-o", str(archive), tag)
    with tarfile.open(archive) as tar:
        tar.extractall(source, filter="data")
    epoch = int(repo.git("log", "-1", "--format=%ct", tag).strip())
    version = tag.removeprefix("v")
    env = {**build_env(repo.root.name, version, tag), "SOURCE_DATE_EPOCH": str(epoch)}
    run(build_command(source, out / "dist"), env=env, timeout=600)
    for sdist in (out / "dist").glob("*.tar.gz"):
        clamp_sdist(sdist, epoch)
    return {p.name: p.read_bytes() for p in (out / "dist").iterdir()}


@pytest.mark.services
def test_the_build_made_ahead_is_what_the_tag_rebuilds_to(
    tmp_path: Path,
    pypi_server: PypiServer,
    pypi_push: Callable[..., tuple[int, dict[str, Any]]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    repo = project(tmp_path, "hatch-vcs")
    name = repo.root.name
    caplog.set_level(logging.DEBUG, logger="release.process")
    code, report = pypi_push(config(repo, pypi_server.url))
    assert code == 0, report
    commands = [r.getMessage() for r in caplog.records if r.getMessage().startswith("$ ")]
    # Both files go up with one twine (each start is a quarter of a second); a release that
    # requires nothing is installed once, with no second resolution of its dependencies.
    uploads = [c for c in commands if " twine upload " in c]
    assert len(uploads) == 1 and ".whl" in uploads[0] and ".tar.gz" in uploads[0], uploads
    assert len([c for c in commands if " pip install " in c]) == 1, commands
    assert build_result(repo).get("built_ahead") is True
    # The release commit is dated the second the build stamped, as author and committer.
    times = repo.git("log", "-1", "--format=%at %ct", "v1.2.1").split()
    assert times[0] == times[1]
    files = uploaded(pypi_server, name)
    assert sorted(files) == [
        f"{name.replace('-', '_')}-1.2.1{s}" for s in ("-py3-none-any.whl", ".tar.gz")
    ]
    assert rebuild_tag(repo, "v1.2.1", tmp_path / "rebuild") == files


@pytest.mark.services
def test_export_substitutions_come_out_as_the_release_commits(
    tmp_path: Path, pypi_server: PypiServer, pypi_push: Callable[..., tuple[int, dict[str, Any]]]
) -> None:
    """The setuptools-scm/hatch-vcs archival file: the commit built ahead is the release
    commit itself (same id), tagged, so its id, date and describe come out the same."""
    archival = (
        "node: $Format:%H$\nnode-date: $Format:%cI$\n"
        "describe-name: $Format:%(describe:tags=true)$\n"
    )
    subst = {".gitattributes": ".git_archival.txt export-subst\n", ".git_archival.txt": archival}
    repo = project(tmp_path, "hatch-vcs", files=subst)
    name = repo.root.name
    code, report = pypi_push(config(repo, pypi_server.url))
    assert code == 0, report
    assert build_result(repo).get("built_ahead") is True
    sdist = tmp_path / "sdist"
    module = name.replace("-", "_")
    with tarfile.open(pypi_server.packages_dir / f"{module}-1.2.1.tar.gz") as tar:
        tar.extractall(sdist, filter="data")
    release_sha = repo.git("rev-parse", "v1.2.1^{commit}").strip()
    date = repo.git("log", "-1", "--format=%cI", "v1.2.1").strip()
    found = (sdist / f"{module}-1.2.1" / ".git_archival.txt").read_text()
    assert found == f"node: {release_sha}\nnode-date: {date}\ndescribe-name: v1.2.1\n"
    assert rebuild_tag(repo, "v1.2.1", tmp_path / "rebuild") == uploaded(pypi_server, name)


@pytest.mark.services
def test_a_refused_release_calls_its_build_off(
    tmp_path: Path, pypi_server: PypiServer, pypi_push: Callable[..., tuple[int, dict[str, Any]]]
) -> None:
    repo = project(tmp_path, "hatch-vcs")
    name = repo.root.name
    pid_file = tmp_path / "build.pid"
    extra = f"""\
        [commands]
        test = "sleep 1; exit 1"
        build = "echo $$ > {pid_file}; sleep 120; mkdir dist"

        [gates.build]
        enabled = false
        """
    started = time.monotonic()
    try:
        code, report = pypi_push(config(repo, pypi_server.url, extra))
        assert code == 2 and report["outcome"] == "failed", report
        assert "tests" in json.dumps(report["gates"]), report
        assert time.monotonic() - started < 60  # it did not wait for the build
        assert pid_file.is_file()  # the build had started, ahead of the gates' verdict
        pid = int(pid_file.read_text())
        assert _gone(pid, within=10.0), f"the build ahead (pid {pid}) still runs"
        assert repo.git("tag", "--list", "v1.2.1").strip() == ""
        leftovers = [
            p for p in Path(os.environ.get("TMPDIR", "/tmp")).glob(f"release-{name}-ahead-*")
        ]
        assert leftovers == []
    finally:
        if pid_file.is_file():
            _kill(int(pid_file.read_text()))


def test_the_planned_commit_is_the_release_commit_and_leaves_git_alone(tmp_path: Path) -> None:
    odd = 'docs/naïve "quoted"\tname.txt'  # fast-import must read any path as git writes it
    repo = Repo(tmp_path / "r")
    repo.git("config", "user.name", "Zoë Q. Maintainer")
    repo.commit(
        "chore: start", {"a.txt": "a\n", "run.sh": "echo\n", "docs/b.txt": "b\n", odd: "o\n"}
    )
    (repo.root / "run.sh").chmod(0o755)
    repo.git("add", "run.sh")
    repo.git("commit", "-q", "-m", "chore: executable")
    base = repo.git("rev-parse", "HEAD").strip()
    git = Git(repo.root)
    refs, objects = repo.git("for-each-ref"), _objects(repo.root)
    files = [
        ("a.txt", "a2 — ünïcode\r\n".encode()),
        ("run.sh", b"echo 2\n"),
        ("new/c.txt", b"c\n"),
        (odd, b"o2\n"),
        ("docs/b.txt", None),
    ]
    who = signature(git, "1700000000 +0100")
    assert who is not None and who.author.name == "Zoë Q. Maintainer"
    release = ("chore(release): 1 — ü\n\nReleased.\n", "main", ["v1"])
    scratch = planned_tree.scratch_repository(git, tmp_path / "scratch")
    planned = planned_tree.make(git, scratch, base, files, release, who)
    # Nothing written to the repository's own .git: no object, no ref.
    assert (_objects(repo.root), repo.git("for-each-ref")) == (objects, refs)
    for path, data in files:
        target = repo.root / path
        if data is None:
            target.unlink()
        else:
            target.parent.mkdir(exist_ok=True)
            target.write_bytes(data)
    # The release commit as the Commit step makes it (gitpython, the same signature).
    index = gitpython_repo(repo.root).index
    index.add([p for p, data in files if data is not None])
    index.remove(["docs/b.txt"])
    index.write()
    made = index.commit(
        release[0],
        parent_commits=[gitpython_repo(repo.root).commit(base)],
        head=True,
        author=Actor(who.author.name, who.author.email),
        committer=Actor(who.committer.name, who.committer.email),
        author_date=who.date,
        commit_date=who.date,
    )
    assert planned.matches(made.hexsha)
    export = tmp_path / "export"
    planned_tree.export(git, planned, export)
    assert (export / "run.sh").stat().st_mode & 0o111
    assert sorted(str(p.relative_to(export)) for p in export.rglob("*") if p.is_file()) == sorted(
        ["a.txt", "new/c.txt", "run.sh", odd]
    )
    assert (export / "a.txt").read_bytes() == files[0][1]
    # Another second is not the planned release.
    repo.git("commit", "-q", "--amend", "--no-edit", "--date=1700000001 +0100")
    assert not planned.matches(repo.git("rev-parse", "HEAD").strip())


def test_without_an_identity_git_would_commit_under_nothing_is_planned(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    repo.commit("chore: start", {"a.txt": "a\n"})
    env = {"HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1", "EMAIL": ""}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        for name in ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL", "GIT_CONFIG_GLOBAL"):
            patch.delenv(name, raising=False)
        assert signature(Git(repo.root), "1700000000 +0000") is None


def _call_off(work: Callable[[], object], started: Callable[[], bool]) -> BaseException | None:
    """Run `work` on a thread inside a new cancel scope, cancel the scope once `started`
    says so (bounded), and return what `work` raised."""
    scope = CancelScope()
    outcome: list[BaseException | None] = []

    def inside() -> None:
        try:
            with scope:
                work()
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=inside, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not started():
        assert time.monotonic() < deadline and thread.is_alive(), "the work never started"
        time.sleep(0.01)
    scope.cancel()
    thread.join(timeout=60)
    assert not thread.is_alive() and len(outcome) == 1
    with pytest.raises(Cancelled), scope:
        run(["true"])  # a cancelled scope starts nothing more
    return outcome[0]


def _written(path: Path) -> bool:
    return path.is_file() and bool(path.read_text().strip())


def test_a_cancelled_scope_kills_its_commands_and_their_children(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    command = ["sh", "-c", f"sleep 120 & echo $! > {pid_file}; wait"]
    raised = _call_off(lambda: run(command, timeout=180), lambda: _written(pid_file))
    assert isinstance(raised, Cancelled)
    assert _gone(int(pid_file.read_text()), within=10.0)


def test_commands_run_side_by_side_are_called_off_with_their_scope(tmp_path: Path) -> None:
    # The sdist and the wheel build on threads of their own: a called-off build kills both.
    pids = [tmp_path / "sdist.pid", tmp_path / "wheel.pid"]

    def sleeper(pid_file: Path) -> Callable[[], object]:
        return lambda: run(["sh", "-c", f"echo $$ > {pid_file}; exec sleep 120"], timeout=180)

    raised = _call_off(lambda: side_by_side(*map(sleeper, pids)), lambda: all(map(_written, pids)))
    assert isinstance(raised, Cancelled)
    assert all(_gone(int(p.read_text()), within=10.0) for p in pids)


def test_a_build_called_off_leaves_no_environment_in_the_system_temp_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Killed, `build` cannot remove its isolated environments: they must be in our folder.
    system_temp = tmp_path / "system-temp"
    system_temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(system_temp))
    source = tmp_path / "source"
    (source / "src" / "slow").mkdir(parents=True)
    (source / "src" / "slow" / "__init__.py").write_text("")
    (source / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "slow"\nversion = "1.0"\n'
    )
    own = tmp_path / "own"
    raised = _call_off(
        lambda: build_sdist_and_wheel(source, ".", own / "dist", {}, timeout=300),
        lambda: bool(list(own.glob("dist-tmp/build-env-*"))),
    )
    assert isinstance(raised, Cancelled)
    assert list(system_temp.iterdir()) == []
    assert list(own.iterdir()) == []


def _objects(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in (root / ".git" / "objects").rglob("*"))


def _gone(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, 9)
