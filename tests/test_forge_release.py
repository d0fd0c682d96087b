"""Whole releases with a GitHub release (against the published contract, served by Prism)
and `[[notify]]` webhooks: push, rollback and resume include the forge release."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from gitrepo import Repo
from services import REPO_ROOT, NpmRegistry, PypiServer
from test_forge_contract import request_violations
from webhooks import Receiver, webhooks  # noqa: F401

from contracts import ContractProxy, github_api, github_prism  # noqa: F401
from release.cli import main

pytestmark = pytest.mark.services

TOKEN = "ghp_" + "F0rgeT0ken" * 4
HOOK_SECRET = "T0PSECRET/B0T/xoxhook1234567890"
RELEASES = "/repos/octo-org/widget/releases"


def github_target(api: ContractProxy) -> str:
    return textwrap.dedent(
        f"""
        [[targets]]
        name = "github"
        kind = "github"
        repository = "octo-org/widget"
        api_url = "{api.url}"
        token_env = "TEST_GITHUB_TOKEN"
        """
    )


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code = main([*args, "--json", "--ci"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else {}, out + err


def tag_only(tmp_path: Path, extra: str) -> Path:
    """A project at 1.2.0 with a feature since, a file:// remote, and no registry."""
    remote = tmp_path / "widget.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    repo = Repo(tmp_path / "widget")
    repo.commit(
        "chore: initial import",
        {
            "pyproject.toml": '[project]\nname = "widget"\nversion = "1.2.0"\n',
            "CHANGELOG.md": "# Changelog\n\n<!-- towncrier release notes start -->\n",
        },
    )
    repo.tag("v1.2.0")
    repo.git("remote", "add", "origin", remote.as_uri())
    repo.git("push", "-q", "origin", "main", "v1.2.0")
    repo.git("branch", "-q", "--set-upstream-to=origin/main")
    repo.commit("feat: greet loudly")
    repo.git("push", "-q", "origin", "main")
    config = tmp_path / "widget.toml"
    config.write_text(
        'name = "widget"\npath = "widget"\n\n'
        '[version]\nfiles = ["pyproject.toml:project.version"]\n' + extra
    )
    return config


@pytest.fixture(autouse=True)
def github_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_GITHUB_TOKEN", TOKEN)


def bundled_example(tmp_path: Path, name: str, extra: str, **urls: str) -> Path:
    """The bundled example `name` as `scripts/sandbox.py up` makes it (v0.1.0, then its
    history), with a file:// remote, and its config pointed at the test's services."""
    spec = importlib.util.spec_from_file_location("sandbox", REPO_ROOT / "scripts" / "sandbox.py")
    assert spec is not None and spec.loader is not None
    sandbox = sys.modules.get("sandbox") or importlib.util.module_from_spec(spec)
    if "sandbox" not in sys.modules:
        sys.modules["sandbox"] = sandbox  # dataclasses look their module up while defining
        spec.loader.exec_module(sandbox)
    example = next(e for e in sandbox.EXAMPLE_PROJECTS if e.name == name)
    remote = tmp_path / f"{name}.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    shutil.copytree(example.source, tmp_path / name)
    repo = Repo(tmp_path / name)
    repo.commit("chore: initial import")
    repo.git("tag", "-a", "-m", "Release 0.1.0", "v0.1.0")
    example.history(repo.root)
    repo.git("remote", "add", "origin", remote.as_uri())
    repo.git("push", "-q", "--atomic", "origin", "main", "v0.1.0")
    repo.git("branch", "-q", "--set-upstream-to=origin/main", "main")
    text = (REPO_ROOT / "configs" / "projects" / f"{name}.toml").read_text()
    text = re.sub(r"(?m)^path = .*$", f'path = "{name}"', text)
    for old, new in urls.items():
        text = text.replace(old, new)
    config = tmp_path / f"{name}.toml"
    config.write_text(text + extra)
    return config


def test_push_then_rollback_of_a_bundled_example_with_a_github_release(
    tmp_path: Path,
    pypi_server: PypiServer,
    npm_registry: NpmRegistry,
    github_api: ContractProxy,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bundled dual example (sdist, wheel and npm tarball) with a GitHub target: every
    request validates against the published contract, and rollback deletes the release."""
    monkeypatch.setenv("PYPI_USERNAME", pypi_server.username)
    monkeypatch.setenv("PYPI_PASSWORD", pypi_server.password)
    monkeypatch.setenv("NPM_TOKEN", npm_registry.token)
    config = bundled_example(
        tmp_path,
        "demo-dual",
        github_target(github_api),
        **{"http://127.0.0.1:18080/": pypi_server.url, "http://127.0.0.1:14873/": npm_registry.url},
    )
    capsys.readouterr()  # the example's history is narrated on stdout
    code, report, output = cli(capsys, "push", "--config", str(config))
    assert code == 0, output
    assert report["outcome"] == "released" and report["version"] == "0.2.0"
    github = next(t for t in report["targets"] if t["name"] == "github")
    assert github["status"] == "verified"
    assert github_api.calls() == [
        "GET /repos/octo-org/widget 200",  # validation: the token's access, before any change
        f"POST {RELEASES} 201",
        *[f"POST {RELEASES}/1/assets 201"] * 3,
        f"GET {RELEASES}/tags/v0.2.0 200",
    ]
    assert request_violations(github_api) == []
    created = json.loads(github_api.exchanges[1].body)
    assert created["tag_name"] == "v0.2.0" and created["name"] == "v0.2.0"
    assert created["prerelease"] is False
    assert "shout(name)" in created["body"] and "0.2.0 (" not in created["body"]
    uploaded = sorted(e.path.split("name=")[1] for e in github_api.exchanges[2:5])
    assert uploaded == [
        "demo-dual-0.2.0.tgz",
        "demo_dual-0.2.0-py3-none-any.whl",
        "demo_dual-0.2.0.tar.gz",
    ]
    assert TOKEN not in output

    github_api.reset()
    code, report, output = cli(capsys, "rollback", "--config", str(config))
    assert code == 0, output
    assert report["outcome"] == "rolled_back"
    assert f"DELETE {RELEASES}/1 204" in github_api.calls()
    assert request_violations(github_api) == []


def test_a_forge_failure_rolls_back_the_forge_release(
    tmp_path: Path,
    github_api: ContractProxy,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = tag_only(tmp_path, github_target(github_api))
    monkeypatch.setenv("RELEASE_TEST_FAIL_AT", "verify github")
    code, report, output = cli(capsys, "push", "--config", str(config))
    assert code == 1, output
    assert report["outcome"] == "failed"
    assert "github release of v1.3.0 was deleted" in report["summary"]
    calls = github_api.calls()
    assert calls.index(f"POST {RELEASES} 201") < calls.index(f"DELETE {RELEASES}/1 204")
    remote_tags = subprocess.run(
        ["git", "ls-remote", "--tags", "origin"],
        cwd=tmp_path / "widget",
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "v1.3.0" not in remote_tags


def test_resume_after_a_crash_makes_the_forge_release(
    tmp_path: Path,
    github_api: ContractProxy,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tag_only(tmp_path, github_target(github_api))
    killed = subprocess.run(
        [sys.executable, "-m", "release", "push", "--config", str(config), "--ci", "--json"],
        env={**os.environ, "RELEASE_TEST_KILL_AT": "release github"},
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert killed.returncode == -9
    assert f"POST {RELEASES} 201" not in github_api.calls()
    code, report, output = cli(capsys, "push", "--config", str(config), "--resume")
    assert code == 0, output
    skipped = [s["name"] for s in report["steps"] if s["status"] == "already done"]
    assert "push" in skipped
    assert f"POST {RELEASES} 201" in github_api.calls()
    assert request_violations(github_api) == []


def test_validation_refuses_a_token_the_forge_refuses(
    tmp_path: Path,
    github_api: ContractProxy,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tag_only(tmp_path, github_target(github_api))
    github_api.prefer[("GET", "/repos/octo-org/widget")] = 404
    head = Repo(tmp_path / "widget").git("rev-parse", "HEAD")
    code, report, output = cli(capsys, "push", "--config", str(config))
    assert code == 2, output
    assert any("answered 404" in p for p in report["problems"])
    assert github_api.calls() == ["GET /repos/octo-org/widget 404"]  # nothing was made
    after = Repo(tmp_path / "widget").git("rev-parse", "HEAD")
    assert after == head


def test_missing_token_is_a_validation_problem(
    tmp_path: Path,
    github_api: ContractProxy,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TEST_GITHUB_TOKEN")
    config = tag_only(tmp_path, github_target(github_api))
    code, report, _ = cli(capsys, "push", "--config", str(config))
    assert code == 2
    assert any("TEST_GITHUB_TOKEN not set" in p for p in report["problems"])
    assert github_api.calls() == []


def test_status_flags_a_tag_without_its_github_release(
    tmp_path: Path,
    github_api: ContractProxy,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tag_only(tmp_path, github_target(github_api))
    github_api.prefer[("GET", f"{RELEASES}/tags/.*")] = 404
    code = main(["status", "--config", str(config), "--json"])
    data = json.loads(capsys.readouterr().out)["projects"][0]
    assert code == 0
    assert "tag v1.2.0 has no GitHub release on github" in " ".join(data["drift"])
    github_api.reset()
    main(["status", "--config", str(config), "--json"])
    data = json.loads(capsys.readouterr().out)["projects"][0]
    assert not any("GitHub release" in d for d in data["drift"])
    assert next(t for t in data["targets"] if t["name"] == "github")["has_release"] is True
    assert request_violations(github_api) == []


def test_notifications_follow_the_report_and_never_change_the_outcome(
    tmp_path: Path,
    webhooks: tuple[Receiver, Receiver, Receiver],  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ok, failing, hanging = webhooks
    monkeypatch.setenv("TEST_SLACK_HOOK", ok.url(f"/services/{HOOK_SECRET}"))
    config = tag_only(
        tmp_path,
        textwrap.dedent(
            f"""
            [[notify]]
            url = "{ok.url()}"

            [[notify]]
            url_env = "TEST_SLACK_HOOK"
            format = "slack"
            on = ["released"]

            [[notify]]
            url = "{failing.url()}"

            [[notify]]
            url = "{hanging.url()}"
            timeout = 0.5

            [[notify]]
            url = "{ok.url("/only-failures")}"
            on = ["failed"]
            """
        ),
    )
    code = main(["plan", "--config", str(config), "--json"])
    planned = json.loads(capsys.readouterr().out)["notifications"]
    assert code == 0 and len(planned) == 5
    assert not any(HOOK_SECRET in p or "/hook" in p for p in planned)

    code, report, output = cli(capsys, "push", "--config", str(config))
    assert code == 0, output
    assert report["outcome"] == "released"
    statuses = [n["status"] for n in report["notifications"]]
    assert statuses[:2] == ["sent", "sent"]
    assert statuses[2] == "failed: the webhook answered 500"
    assert statuses[3].startswith("failed: ")
    assert len(statuses) == 4  # the failures-only webhook heard nothing
    paths = [path for path, _ in ok.received]
    assert paths == ["/hook", f"/services/{HOOK_SECRET}"]
    as_json, as_slack = (body for _, body in ok.received)
    assert as_json["outcome"] == "released" and as_json["version"] == "1.3.0"
    assert as_slack["text"].startswith("*widget 1.3.0*: released")
    assert len(failing.received) == 1 and len(hanging.received) == 1
    assert HOOK_SECRET not in output
    reports = Path(report["reports"]["json"]).parent
    for path in reports.iterdir():
        assert HOOK_SECRET not in path.read_text()
