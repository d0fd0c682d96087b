"""Gates without false positives: credential files judged by content, secrets by added lines,
the build gate told the version or saying it checks nothing."""

from __future__ import annotations

import doctest
import json
from typing import Any

import pytest
from conftest import write_config
from gitrepo import Repo

import release.credentials
import release.npm_package
import release.ops.artifacts
import release.phases.secrets
from release.cli import main

SECRET = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
NPM_TOKEN = "npm_" + "Zy9Xw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0FeDcBa"


def gates(config: Any, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any], str]:
    code = main(["gates", "--config", str(config), "--json"])
    out = capsys.readouterr()
    found = {g["name"]: g for g in json.loads(out.out)["gates"]}
    return code, found, out.out + out.err


@pytest.mark.parametrize(
    "module",
    [release.credentials, release.npm_package, release.ops.artifacts, release.phases.secrets],
)
def test_examples_in_docstrings_hold(module: Any) -> None:
    failed, attempted = doctest.testmod(module)
    assert attempted and not failed


def test_tracked_npmrc_judged_by_content(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.commit("chore: npm settings", {".npmrc": "package-lock=false\n"})
    (repo.root / ".npmrc").chmod(0o644)  # what any clone has: git stores no 0600
    config = write_config(repo)
    code, found, _ = gates(config, capsys)
    assert (code, found["credential_files"]["status"]) == (0, "passed")
    assert found["credential_files"]["detail"] == ".npmrc (tracked, no credential in it)"
    repo.commit(
        "chore: token from the environment",
        {".npmrc": "package-lock=false\n//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n"},
    )
    assert gates(config, capsys)[1]["credential_files"]["status"] == "passed"
    repo.commit("chore: oops", {".npmrc": f"//registry.npmjs.org/:_authToken={NPM_TOKEN}\n"})
    code, found, output = gates(config, capsys)
    assert code == 2
    assert found["credential_files"]["detail"] == (
        "credentials written out in tracked files: .npmrc:1 (//registry.npmjs.org/:_authToken)"
    )
    assert "${NPM_TOKEN}" in output and "rotate it" in output  # the fix
    assert NPM_TOKEN not in output


def test_secrets_gate_reads_only_the_lines_added_since_the_last_release(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject = (repo.root / "pyproject.toml").read_text().replace("1.2.0", "1.2.1")
    repo.commit("fix: old", {"settings.py": f'TOKEN = "{SECRET}"\n', "pyproject.toml": pyproject})
    repo.tag("v1.2.1")  # released with the token in it: not this release's change
    repo.commit("fix: new line", {"settings.py": f'TOKEN = "{SECRET}"\nDEBUG = True\n'})
    config = write_config(repo)
    code, found, _ = gates(config, capsys)
    assert (code, found["secrets"]["status"]) == (0, "passed")
    assert found["secrets"]["detail"] == "1 lines added in 1 files scanned"
    other = "ghp_" + "Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8"
    repo.commit(
        "fix: another", {"settings.py": f'TOKEN = "{SECRET}"\nDEBUG = True\nX = "{other}"\n'}
    )
    code, found, output = gates(config, capsys)
    assert code == 2
    detail = found["secrets"]["detail"]
    assert detail.startswith("possible secrets: settings.py:3 (") and "py:1" not in detail
    assert other not in output and SECRET not in output


def test_build_gate_gets_the_version_or_says_it_checks_nothing(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.commit("fix: x")
    code, found, _ = gates(write_config(repo), capsys)
    assert (code, found["build"]["status"]) == (0, "empty")
    assert found["build"]["detail"] == "checks nothing: no build command configured"
    body = """
    [commands]
    build = 'test "{version} {tag}" = "1.2.1 v1.2.1" && test "$RELEASE_VERSION" = 1.2.1'
    """
    code, found, _ = gates(write_config(repo, body), capsys)
    assert (code, found["build"]["status"]) == (0, "passed"), found["build"]
    code, found, _ = gates(write_config(repo, body.replace("1.2.1 v", "9.9.9 v")), capsys)
    assert (code, found["build"]["status"]) == (2, "failed")
