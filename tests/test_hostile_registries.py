"""Hostile registries on 127.0.0.1 (a redirect to another port, HTML to everything, 500, a hang),
for both kinds: push ends in exit 2 with nothing pushed and no credential sent anywhere else;
status says it could not read them instead of "in sync"."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hostile import MODES, Hostile
from sample import Sample, index_files, make_npm_sample, make_sample
from services import PypiServer

from release.cli import main

PASSWORD = "hostile-pw.(x)*"
TOKEN = "hostile-token+[y]?"

EXPECTED = {
    ("pypi", "redirect"): "redirects (HTTP 302) to another origin",
    ("npm", "redirect"): "redirects (HTTP 302) to another origin",
    ("pypi", "html"): "this is not a PyPI-compatible index",
    ("npm", "html"): "this is not an npm registry",
    ("pypi", "500"): "answered HTTP 500",
    ("npm", "500"): "answered HTTP 500",
    ("pypi", "hang"): "cannot reach",
    ("npm", "hang"): "cannot reach",
}


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_PYPI_USERNAME", "tester")
    monkeypatch.setenv("TEST_PYPI_PASSWORD", PASSWORD)
    monkeypatch.setenv("TEST_NPM_TOKEN", TOKEN)
    # A hanging registry costs a second per request, not the default 15.
    monkeypatch.setenv("RELEASE_HTTP_TIMEOUT", "1")


def _sample(tmp_path: Path, kind: str, url: str) -> Sample:
    if kind == "pypi":
        return make_sample(tmp_path, "hostile-py", url)
    return make_npm_sample(tmp_path, "hostile-npm", url)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", ["pypi", "npm"])
def test_a_hostile_registry_stops_the_push_before_anything_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, mode: str
) -> None:
    with Hostile("html") as elsewhere, Hostile(mode, redirect_to="") as hostile:
        hostile.redirect_to = elsewhere.url
        sample = _sample(tmp_path, kind, hostile.url)
        before = sample.repo.user_state()
        remote_before = sample.repo.git("ls-remote", "origin")

        code = main(["push", "--config", str(sample.config), "--json", "--ci"])
        out, err = capsys.readouterr()
        assert code == 2, out + err
        report = json.loads(out)
        assert report["outcome"] == "failed"
        assert EXPECTED[kind, mode] in "\n".join(report["problems"]), report["problems"]
        assert "Traceback" not in out + err
        assert sample.repo.user_state() == before
        assert sample.repo.git("ls-remote", "origin") == remote_before

        code = main(["status", "--config", str(sample.config), "--json"])
        out, err = capsys.readouterr()
        assert code == 0, out + err
        (project,) = json.loads(out)["projects"]
        assert project["targets"][0]["reachable"] is False
        assert any("could not be read" in note for note in project["drift"]), project

    # Credentials never left for another origin, whatever the registry said.
    assert elsewhere.seen == []
    for text in (out, err):
        assert PASSWORD not in text and TOKEN not in text


def test_status_does_not_call_an_index_answering_500_in_sync(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Hostile("500") as hostile:
        sample = make_sample(tmp_path, "status-500", hostile.url)
        assert main(["status", "--config", str(sample.config)]) == 0
    out = capsys.readouterr().out
    assert "in sync" not in out
    assert "could not be read" in out and "HTTP 500" in out


@pytest.mark.services
def test_an_index_that_goes_away_during_verification_leaves_a_resumable_release(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    pypi_server: PypiServer,
) -> None:
    monkeypatch.setenv("TEST_PYPI_USERNAME", pypi_server.username)
    monkeypatch.setenv("TEST_PYPI_PASSWORD", pypi_server.password)
    dist = f"gone-{os.getpid()}"
    # The listing relays the real one until the upload shows there, then answers 500.
    with Hostile("flaky", upstream=pypi_server.simple_url, gone_when="1.3.0") as listing:
        sample = make_sample(
            tmp_path, dist, pypi_server.url, extra=f'simple_url = "{listing.url}"\n'
        )
        code = main(["push", "--config", str(sample.config), "--json", "--ci"])
    out, err = capsys.readouterr()
    assert code == 3, out + err
    report = json.loads(out)
    assert report["outcome"] == "needs_operator"
    assert "--resume" in report["operator_action"]
    # A good release is not undone because an index went away: tag and upload stay.
    assert "v1.3.0" in sample.repo.git("ls-remote", "--tags", "origin")
    assert index_files(pypi_server.simple_url, dist)

    text = sample.config.read_text()
    sample.config.write_text(text.replace(f'simple_url = "{listing.url}"\n', ""))
    code = main(["push", "--config", str(sample.config), "--resume", "--json", "--ci"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert json.loads(out)["outcome"] == "released"
