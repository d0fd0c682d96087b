"""One test per defect of issue 13 that needs no registry: masking in every verb and at any
length, the npm token never on disk, dead scratch folders swept, and outcomes that send
people the right way (nothing to resume, pull then push, what a rollback changed)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import write_config
from gitrepo import Repo

from release import masking
from release.cli import main
from release.masking import mask, register_secret
from release.ops import scratch
from release.ops.npm import NpmRegistry, npm_config

# Several lengths, with the characters a regex or a URL would treat specially.
SECRETS = ["Qz9", "a.b*c+d?(e)|", "p@ss:w/rd%20[x]{2}^$\\", "K" * 40 + ".*+?^${}()|[]\\"]


@pytest.fixture(autouse=True)
def own_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """The secrets registered here (one of them a single character) stay in this module."""
    monkeypatch.setattr(masking, "_registered", set())


def forms(secret: str) -> list[str]:
    """A secret as it could leak: as is, URL-encoded, base64 (alone and in Basic auth)."""
    return [
        secret,
        urllib.parse.quote(secret, safe=""),
        base64.b64encode(secret.encode()).decode().rstrip("="),
        base64.b64encode(f"tester:{secret}".encode()).decode().rstrip("="),
    ]


@pytest.mark.parametrize("secret", SECRETS)
def test_every_secret_is_masked_whatever_its_length(secret: str) -> None:
    register_secret(secret)
    line = (
        f"short={secret} url=https://u:{urllib.parse.quote(secret, safe='')}@h/ "
        f"b64={base64.b64encode(secret.encode()).decode()}"
    )
    masked = mask(line)
    for form in forms(secret)[:3]:
        assert form not in masked, masked


@pytest.mark.parametrize("secret", ['"', "e", "{", "\\"])
def test_a_one_character_secret_does_not_break_json_output(
    repo: Repo, capsys: pytest.CaptureFixture[str], secret: str
) -> None:
    register_secret(secret)
    config = write_config(repo)
    assert main(["push", "--config", str(config), "--resume", "--json", "--ci"]) == 0
    report = json.loads(capsys.readouterr().out)
    # Everything that holds the character is masked, but the object stays whole.
    assert {"project", "outcome", "exit_code", "next_actor"} <= set(report)
    assert all(secret not in value for value in report.values() if isinstance(value, str))


def test_a_token_used_as_the_user_name_of_a_url_is_masked() -> None:
    token = "tok" + "9" * 30
    text = mask(f"$ git fetch http://{token}@127.0.0.1:9/repo.git main")
    assert token not in text and "http://***@127.0.0.1:9/repo.git" in text


@pytest.mark.parametrize("secret", SECRETS)
def test_gates_mask_what_a_test_command_prints(
    repo: Repo,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    secret: str,
) -> None:
    monkeypatch.setenv("PW", secret)
    config = write_config(
        repo,
        """
        [commands]
        test = 'echo "password=$PW"; exit 1'

        [[targets]]
        name = "t"
        kind = "pypi"
        url = "http://127.0.0.1:9/"
        password_env = "PW"
        """,
    )
    for extra in (["--json"], []):
        assert main(["gates", "--config", str(config), *extra]) == 2
        out, err = capsys.readouterr()
        assert "password=" in out
        for form in forms(secret):
            assert form not in out + err, f"{extra}: {form!r} leaked"


def test_the_npm_token_is_never_written_to_a_file(tmp_path: Path) -> None:
    # That npm reads it from there is what every real publish in test_npm_push.py proves.
    token = "npm_" + "T" * 36
    with npm_config(NpmRegistry("n", "http://127.0.0.1:9/", token)) as env:
        folder = Path(env["npm_config_userconfig"]).parent
        on_disk = b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
        assert token.encode() not in on_disk
        assert b"${RELEASE_NPM_TOKEN}" in on_disk
        assert env["RELEASE_NPM_TOKEN"] == token
    assert not folder.exists()


def test_scratch_folders_of_dead_runs_are_swept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    made = subprocess.run(
        [sys.executable, "-c", "from release.ops import scratch; print(scratch.make('dead'))"],
        env={**os.environ, "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    dead = Path(made)
    (dead / "leftover").write_text("x")
    alive = scratch.make("alive")
    foreign = tmp_path / "release-not-ours"
    foreign.mkdir()
    assert scratch.sweep() == [dead]
    assert not dead.exists() and alive.exists() and foreign.exists()


def test_resume_with_nothing_to_resume_is_not_an_emergency(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(repo)
    assert main(["push", "--config", str(config), "--resume", "--json", "--ci"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["outcome"] == "nothing_to_release"
    assert "nothing to resume" in report["summary"]
    assert report["next_actor"] == "none"


def test_a_push_refused_because_someone_pushed_meanwhile_says_pull_then_push(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    repo = Repo(tmp_path / "project")
    repo.commit("chore: import", {"VERSION": "1.2.0\n", "README.md": "x\n"})
    repo.tag("v1.2.0")
    repo.git("remote", "add", "origin", str(remote))
    repo.git("push", "-q", "-u", "origin", "main", "v1.2.0")
    repo.commit("feat: more")
    repo.git("push", "-q", "origin", "main")
    other = tmp_path / "other"
    subprocess.run(["git", "clone", "-q", str(remote), str(other)], check=True)
    # The version command runs after validation: a colleague's push lands right then.
    meanwhile = f"git -C {other} commit -q --allow-empty -m meanwhile && git -C {other} push -q"
    config = write_config(
        repo,
        f"""
        [version]
        command = 'echo 1.3.0 > VERSION && {meanwhile}'
        [docs]
        files = []
        """,
    )
    code = main(["push", "--config", str(config), "--json", "--ci"])
    out, err = capsys.readouterr()
    assert code == 1, out + err
    report = json.loads(out)
    assert report["outcome"] == "failed"
    assert report["operator_action"] == "git pull --rebase origin main, then push again"
    assert "someone pushed meanwhile" in "\n".join(report["problems"])
    assert repo.git("tag", "-l", "v1.3.0") == ""


def test_a_rollback_summary_lists_what_this_run_changed() -> None:
    from release.phases import pypi
    from release.phases.deploy import Preflight, Push
    from release.phases.files import WriteFiles
    from release.rollback import _what
    from release.steps import Phase

    present = [
        WriteFiles("version files", Phase.VERSION, "version"),
        pypi.Build(),
        Preflight(),
        Push(),
        pypi.Publish("local"),
    ]
    # The remote tag was already gone, so `push` is not among the steps still in effect,
    # but this run deleted an upload and pushed a revert.
    ctx = SimpleNamespace(
        undone_remotely=["demo 1.3.0 was deleted from local", "a revert commit was pushed"]
    )
    summary = _what([s for s in present if s.name != "push"], ctx)  # type: ignore[arg-type]
    assert "before the push" not in summary
    assert "post-push procedure: demo 1.3.0 was deleted from local" in summary
    assert "preflight" not in summary and "build" not in summary
    assert "version files" in summary
