"""Secrets never leak: after releases that succeed, fail at each step that sees a credential,
and are killed mid-way, with --verbose, no secret (of several lengths, with characters a regex
or a URL treats specially) is in any byte the tool wrote or printed: stdout, stderr, journals,
reports, artifacts, scratch folders, commits and tags; nor its URL-encoded or base64 forms."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from sample import Sample, make_npm_sample
from services import NpmRegistry, PypiServer, free_port

pytestmark = pytest.mark.services

# A token with PyPI's shape and every regex-special character a password may hold.
PYPI_PASSWORD = "pypi-AgEIcHlwaS5vcmc" + secrets.token_urlsafe(24) + ".*+?^$(){}[]|\\/:@%"
WRONG_SHORT = "Qz9"
WRONG_SPECIAL = "a.b*c+d?(e)|" + secrets.token_hex(2)
GITHUB_TOKEN = "ghp_" + secrets.token_hex(18)
BARE_TOKEN = "tok" + secrets.token_hex(12)  # a token used as the user name of a URL


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PypiServer]:
    """An index whose password has PyPI's token shape and regex-special characters."""
    with PypiServer(tmp_path_factory.mktemp("secret-index"), password=PYPI_PASSWORD) as server:
        yield server


def forms(secret: str, username: str = "tester") -> list[bytes]:
    """How a secret could leak: as is, URL-encoded, base64 (alone and as Basic auth)."""
    found = {
        secret,
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret),
        base64.b64encode(secret.encode()).decode().rstrip("="),
        base64.b64encode(f"{username}:{secret}".encode()).decode().rstrip("="),
    }
    return [f.encode() for f in found]


def every_byte_written(sample: Sample, tmp: Path) -> dict[str, bytes]:
    """Each file the tool may have written: its state (journals, reports, artifacts),
    the scratch folders under its temp directory, and the history it made (commits, tags)."""
    files = {}
    for folder in (sample.repo.root / ".git" / "release", tmp):
        for path in folder.rglob("*"):
            if path.is_file() and not path.is_symlink():
                files[str(path)] = path.read_bytes()
    for where in (sample.repo.root, sample.remote):
        history = subprocess.run(
            ["git", "log", "--all", "-p", "--format=%H %an %ae%n%B"],
            cwd=where,
            capture_output=True,
            check=True,
        ).stdout
        tags = subprocess.run(
            ["git", "for-each-ref", "refs/tags", "--format=%(refname) %(contents)"],
            cwd=where,
            capture_output=True,
            check=True,
        ).stdout
        files[f"history of {where.name}"] = history + tags
    return files


def run(sample: Sample, env: dict[str, str], tmp: Path, *args: str) -> tuple[int, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "release", *args, "--config", str(sample.config), "--verbose"],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={**os.environ, **env, "TMPDIR": str(tmp)},
    )
    return proc.returncode, proc.stdout + proc.stderr


def assert_nothing_leaked(blobs: dict[str, bytes], secret: str, *, binary_too: bool) -> None:
    for name, blob in blobs.items():
        # Compressed artifacts are random bytes: a 3-byte secret could occur by chance.
        if not binary_too and name.endswith((".whl", ".tgz", ".tar.gz", ".zip", ".marshal")):
            continue
        for form in forms(secret):
            assert form not in blob, f"a secret leaked into {name}: {form[:6]!r}..."


def test_no_secret_in_any_byte_written(
    tmp_path: Path, index: PypiServer, npm_registry: NpmRegistry
) -> None:
    sample = make_npm_sample(tmp_path, "secret-dual", npm_registry.url, index_url=index.url)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    good = {
        "TEST_PYPI_USERNAME": index.username,
        "TEST_PYPI_PASSWORD": PYPI_PASSWORD,
        "TEST_NPM_TOKEN": npm_registry.token,
    }
    outputs: list[str] = []

    # Wrong passwords of several lengths: refused by the credentials probe.
    for wrong in (WRONG_SHORT, WRONG_SPECIAL):
        code, out = run(
            sample, {**good, "TEST_PYPI_PASSWORD": wrong}, tmp, "push", "--json", "--ci"
        )
        assert code == 2 and "rejects the credentials" in out, out
        outputs.append(out)

    # Unreachable index whose URL carries the (URL-encoded) credentials.
    config = sample.config.read_text()
    dead = f"http://tester:{urllib.parse.quote(PYPI_PASSWORD, safe='')}@127.0.0.1:{free_port()}/"
    sample.config.write_text(config.replace(f'url = "{index.url}"', f'url = "{dead}"'))
    code, out = run(sample, good, tmp, "push", "--ci")
    assert code == 2 and "cannot reach http://tester:***@127.0.0.1" in out, out
    outputs.append(out)
    sample.config.write_text(config)

    # Remotes whose URL carries a token, as a password or as the user name, refusing fetch.
    for url in (
        f"http://x-token:{GITHUB_TOKEN}@127.0.0.1:{free_port()}/repo.git",
        f"http://{BARE_TOKEN}@127.0.0.1:{free_port()}/repo.git",
    ):
        sample.repo.git("remote", "set-url", "origin", url)
        code, out = run(sample, good, tmp, "push", "--ci")
        assert code == 2 and "cannot fetch" in out, out
        outputs.append(out)
    sample.repo.git("remote", "set-url", "origin", sample.remote.as_uri())

    # The gates print a failing test command's output, credentials in it.
    leaky = 'echo "pw=$TEST_PYPI_PASSWORD token=$TEST_NPM_TOKEN"'
    sample.config.write_text(config + f"\n[commands]\ntest = '{leaky}; exit 1'\n")
    for extra in ("--json", "--ci"):
        code, out = run(sample, good, tmp, "gates", extra)
        assert code == 2 and "pw=" in out, out
        outputs.append(out)
    # From here on the same command passes: push prints it only with --verbose.
    sample.config.write_text(config + f"\n[commands]\ntest = '{leaky}'\n")

    # A failure after the publish (the rollback sees every credential).
    code, out = run(sample, {**good, "RELEASE_TEST_FAIL_AT": "verify npm"}, tmp, "push", "--ci")
    assert code == 1, out
    outputs.append(out)

    # Killed (kill -9) with the PyPI upload done: its scratch folder stays behind...
    code, out = run(sample, {**good, "RELEASE_TEST_KILL_AT": "publish npm"}, tmp, "push")
    assert code == -9, out
    outputs.append(out)
    left = sorted(p.name for p in tmp.glob("release-*"))
    assert left, "a killed run leaves its scratch folder"
    killed = every_byte_written(sample, tmp)
    # ...and the next run removes it.
    code, out = run(sample, good, tmp, "rollback", "--ci")
    assert code == 0, out
    outputs.append(out)
    assert not [p for p in tmp.glob("release-*") if p.name in left]

    # A success, then its rollback.
    code, out = run(sample, good, tmp, "push", "--json", "--ci")
    assert code == 0, out
    assert '"outcome": "released"' in out
    outputs.append(out)
    code, out = run(sample, good, tmp, "rollback", "--ci")
    assert code == 0, out
    outputs.append(out)

    assert "$ git" in "".join(outputs)  # --verbose did show the commands
    blobs = {**killed, **every_byte_written(sample, tmp)}
    blobs["outputs"] = "\n".join(outputs).encode()
    for secret in (PYPI_PASSWORD, GITHUB_TOKEN, BARE_TOKEN, npm_registry.token, WRONG_SPECIAL):
        assert_nothing_leaked(blobs, secret, binary_too=True)
        assert secret[4:].encode() not in blobs["outputs"]  # not even without its prefix
    assert_nothing_leaked(blobs, WRONG_SHORT, binary_too=False)
