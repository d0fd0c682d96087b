"""Secrets never leak: after releases that succeed and fail at each step that sees a credential,
with --verbose, nothing the tool wrote (stdout, stderr, journal, reports) holds a secret."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sample import Sample, make_npm_sample
from services import NpmRegistry, PypiServer, free_port

pytestmark = pytest.mark.services

PYPI_PASSWORD = "pypi-AgEIcHlwaS5vcmc" + secrets.token_urlsafe(24)
WRONG_PASSWORD = "pypi-AgEIcHlwaS5vcmc" + secrets.token_urlsafe(24)
GITHUB_TOKEN = "ghp_" + secrets.token_hex(18)


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PypiServer]:
    """An index whose password has PyPI's token shape."""
    with PypiServer(tmp_path_factory.mktemp("secret-index"), password=PYPI_PASSWORD) as server:
        yield server


def written(sample: Sample) -> str:
    """Everything the tool wrote inside the repository's .git/release/ (journals, reports)."""
    state = sample.repo.root / ".git" / "release"
    return "".join(
        p.read_text(errors="replace")
        for p in state.rglob("*")
        if p.is_file() and p.suffix in (".jsonl", ".json", ".md", ".info")
    )


def run(sample: Sample, env: dict[str, str], *args: str) -> tuple[int, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "release", *args, "--config", str(sample.config), "--verbose"],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={**os.environ, **env},
    )
    return proc.returncode, proc.stdout + proc.stderr


def assert_no_secret(text: str, *values: str) -> None:
    for value in values:
        assert value not in text, f"a secret leaked: {value[:6]}..."
        assert value[4:] not in text  # not even without its recognisable prefix


def test_no_secret_in_any_output(
    tmp_path: Path, index: PypiServer, npm_registry: NpmRegistry
) -> None:
    sample = make_npm_sample(tmp_path, "secret-dual", npm_registry.url, index_url=index.url)
    good = {
        "TEST_PYPI_USERNAME": index.username,
        "TEST_PYPI_PASSWORD": PYPI_PASSWORD,
        "TEST_NPM_TOKEN": npm_registry.token,
    }
    outputs: list[str] = []

    # Wrong password: refused by the credentials probe; the wrong value is a secret too.
    code, out = run(
        sample, {**good, "TEST_PYPI_PASSWORD": WRONG_PASSWORD}, "push", "--json", "--ci"
    )
    assert code == 2 and "rejects the credentials" in out
    outputs.append(out)

    # Unreachable index whose URL carries credentials.
    config = sample.config.read_text()
    dead = f"http://tester:{PYPI_PASSWORD}@127.0.0.1:{free_port()}/"
    sample.config.write_text(config.replace(f'url = "{index.url}"', f'url = "{dead}"'))
    code, out = run(sample, good, "push", "--ci")
    assert code == 2 and "cannot reach http://tester:***@127.0.0.1" in out
    outputs.append(out)
    sample.config.write_text(config)

    # A remote whose URL carries a token, refusing the fetch.
    sample.repo.git(
        "remote",
        "set-url",
        "origin",
        f"http://x-token:{GITHUB_TOKEN}@127.0.0.1:{free_port()}/repo.git",
    )
    code, out = run(sample, good, "push", "--ci")
    assert code == 2 and "cannot fetch" in out
    outputs.append(out)
    sample.repo.git("remote", "set-url", "origin", sample.remote.as_uri())

    # A failure after the publish (the rollback sees every credential), then a success.
    code, out = run(sample, {**good, "RELEASE_TEST_FAIL_AT": "verify npm"}, "push", "--ci")
    assert code == 1, out
    outputs.append(out)
    code, out = run(sample, good, "push", "--json", "--ci")
    assert code == 0, out
    outputs.append(out)
    code, out = run(sample, good, "rollback", "--ci")
    assert code == 0, out
    outputs.append(out)

    everything = "\n".join(outputs) + written(sample)
    assert "$ git" in everything  # --verbose did show the commands
    assert_no_secret(everything, PYPI_PASSWORD, WRONG_PASSWORD, GITHUB_TOKEN, npm_registry.token)
    assert '"outcome": "released"' in outputs[4]
