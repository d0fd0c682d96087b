"""Release gates as policy: each gate fails for the right reason, skips need a reason and a yes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import PYPROJECT, write_config
from gitrepo import Repo

from release.phases.secrets import APART_FROM

SECRET = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "release", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={**os.environ},
    )


def gates(config: Path) -> tuple[int, dict[str, dict[str, Any]], str]:
    out = cli("gates", "--config", str(config), "--json")
    data = json.loads(out.stdout)
    return out.returncode, {g["name"]: g for g in data["gates"]}, out.stdout + out.stderr


def with_remote(repo: Repo) -> None:
    remote = repo.root.parent / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    repo.git("remote", "add", "origin", remote.as_uri())
    repo.git("push", "-q", "origin", "main", "--tags")


def test_all_default_gates_pass_on_a_clean_change(repo: Repo) -> None:
    repo.commit("fix: harmless")
    code, found, _ = gates(write_config(repo))
    assert code == 0
    assert {n: g["status"] for n, g in found.items()} == {
        "tests": "empty",  # no test command: the gate says it checks nothing
        "build": "empty",
        "branch": "passed",
        "secrets": "passed",
        "changelog": "off",
        "fragments": "passed",
        "versions": "passed",
        "credential_files": "passed",
    }


def test_secret_in_the_change_fails_without_printing_it(repo: Repo) -> None:
    repo.commit("fix: config", {"settings.py": f'TOKEN = "{SECRET}"\n'})
    code, found, output = gates(write_config(repo))
    assert code == 2
    assert found["secrets"]["status"] == "failed"
    assert "settings.py:1 (GitHub Token)" in found["secrets"]["detail"]
    assert SECRET not in output


def test_a_large_change_is_scanned_apart_and_the_project_cannot_stand_in(repo: Repo) -> None:
    # Past APART_FROM added lines the scan runs in a process of its own, started in the
    # project: isolated, so the project's own `release/` package never stands in for ours.
    fake = 'import json\nprint(json.dumps([True, "scanned by the project"]))\n'
    filler = "".join(f"row_{n} = {n}\n" for n in range(APART_FROM + 1))
    repo.commit(
        "fix: config",
        {
            "data.py": filler,
            "settings.py": f'TOKEN = "{SECRET}"\n',
            "release/__init__.py": "",
            "release/phases/__init__.py": "",
            "release/phases/secrets.py": fake,
        },
    )
    code, found, output = gates(write_config(repo))
    assert (code, found["secrets"]["status"]) == (2, "failed"), output
    assert "settings.py:1 (GitHub Token)" in found["secrets"]["detail"]


def test_only_the_added_lines_are_judged_wherever_the_project_sits(repo: Repo) -> None:
    # A project in a folder of its repository: the change is read from the repository's
    # top, and a secret already there before the last release is not this release's.
    old = "\n".join(f"line_{n} = {n}" for n in range(200))
    repo.commit("chore: app", {"app/pyproject.toml": PYPROJECT.format(version="1.2.0")})
    repo.commit("chore: old", {"app/big.py": f'{old}\nOLD = "{SECRET[:-4]}abcd"\n'})
    repo.tag("app-v1.2.0")
    repo.commit("fix: new", {"app/big.py": f'{old}\nOLD = "{SECRET[:-4]}abcd"\nNEW = "{SECRET}"\n'})
    config = write_config(repo, path=f"{repo.root.name}/app", tag_format="app-v{version}")
    code, found, output = gates(config)
    assert code == 2
    detail = found["secrets"]["detail"]
    assert "big.py:202 (GitHub Token)" in detail and "big.py:201" not in detail, detail
    assert SECRET not in output


def test_allow_listed_false_positive_passes(repo: Repo) -> None:
    repo.commit("fix: config", {"settings.py": f'TOKEN = "{SECRET}"\n'})
    baseline = subprocess.run(
        [sys.executable, "-m", "detect_secrets", "scan", "settings.py"],
        cwd=repo.root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    repo.commit("chore: allow-list the test token", {".secrets.baseline": baseline})
    code, found, _ = gates(write_config(repo))
    assert (code, found["secrets"]["status"]) == (0, "passed")


def test_changelog_fragments_and_credential_files(repo: Repo) -> None:
    repo.commit("chore: odd fragment", {"changelog.d/+x.sparkle.md": "Shiny.\n"})
    (repo.root / ".pypirc").write_text("[pypi]\n")
    (repo.root / ".pypirc").chmod(0o644)
    repo.write(".gitignore", ".pypirc\n")
    repo.commit("chore: ignore the rc file")
    body = "\n[gates.changelog]\nenabled = true\n"
    code, found, _ = gates(write_config(repo, body))
    assert code == 2
    assert found["fragments"]["status"] == "failed"
    assert "changelog.d/+x.sparkle.md" in found["fragments"]["detail"]
    assert found["credential_files"]["detail"] == "readable by others: .pypirc (mode 0644)"
    assert found["changelog"]["status"] == "failed"  # chores only: no entry to write
    (repo.root / ".pypirc").chmod(0o600)
    _, found, _ = gates(write_config(repo, body))
    assert found["credential_files"]["status"] == "passed"


def test_custom_gate_and_branch_patterns(repo: Repo) -> None:
    repo.git("checkout", "-q", "-b", "release/1.x")
    repo.commit("fix: on a release branch")
    body = """
    [gates.branch]
    allowed = ["main", "release/*"]

    [[gates.custom]]
    name = "no-todo"
    command = "! grep -rq TODO --include=*.md ."
    why = "release notes must not ship a TODO"
    """
    config = write_config(repo, body)
    code, found, _ = gates(config)
    assert (code, found["branch"]["detail"]) == (0, "on release/1.x")
    repo.commit("docs: oops", {"NOTES.md": "TODO finish\n"})
    code, found, _ = gates(config)
    assert code == 2
    assert found["no-todo"]["status"] == "failed"
    assert found["no-todo"]["why"] == "release notes must not ship a TODO"


def test_skip_needs_a_reason_and_a_config_can_forbid_it(repo: Repo) -> None:
    with_remote(repo)
    repo.commit("fix: x", {"settings.py": f'TOKEN = "{SECRET}"\n'})
    repo.git("push", "-q", "origin", "main")
    config = write_config(repo, "\n[gates.secrets]\nskippable = false\n")
    before = repo.user_state()
    refused = cli(
        "push",
        "--config",
        str(config),
        "--json",
        "--skip-gate",
        "secrets",
        "--reason",
        "a test token",
    )
    assert refused.returncode == 2
    assert "gate 'secrets' may not be skipped" in json.loads(refused.stdout)["problems"][0]
    assert repo.user_state() == before
    no_reason = cli("push", "--config", str(config), "--skip-gate", "secrets")
    assert no_reason.returncode == 2 and "needs its own --reason" in no_reason.stderr
    config = write_config(repo)  # skippable by default, with a reason
    done = cli(
        "push",
        "--config",
        str(config),
        "--json",
        "--ci",
        "--skip-gate",
        "secrets",
        "--reason",
        "the token is a revoked test fixture",
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    skipped = [g for g in report["gates"] if g["status"] == "skipped"]
    assert skipped == [
        {
            "name": "secrets",
            "status": "skipped",
            "detail": "reason: the token is a revoked test fixture",
            "why": "no secret in the change being released",
        }
    ]
    assert SECRET not in done.stdout + done.stderr


def test_interactive_push_asks_first_and_no_changes_nothing(repo: Repo) -> None:
    import pty
    import select
    import time

    with_remote(repo)
    repo.commit("fix: x")
    repo.git("push", "-q", "origin", "main")
    before = repo.user_state()
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "release", "push", "--config", str(write_config(repo))],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env={**os.environ, "CI": "", "NO_COLOR": "1"},
    )
    os.close(secondary)
    seen = b""
    deadline = time.monotonic() + 60
    while b"Release sample 1.2.1 (tag v1.2.1)?" not in seen and time.monotonic() < deadline:
        if select.select([primary], [], [], 1)[0]:
            try:
                seen += os.read(primary, 4096)
            except OSError:  # the child closed the terminal
                break
    plain = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", seen)
    assert b"next version     1.2.1" in plain, plain.decode(errors="replace")
    os.write(primary, b"n\n")
    while proc.poll() is None and time.monotonic() < deadline:
        if select.select([primary], [], [], 1)[0]:
            try:
                seen += os.read(primary, 4096)
            except OSError:
                break
    assert proc.wait(timeout=30) == 0
    os.close(primary)
    assert b"cancelled at the prompt; nothing was changed" in seen
    assert repo.user_state() == before


def test_a_failing_gate_is_never_announced_as_ok(repo: Repo) -> None:
    # A gate's check returns its failure instead of raising: the progress line must still
    # say FAILED, not "ok" just before the error.
    repo.commit("fix: something")
    config = write_config(repo, '[[gates.custom]]\nname = "always-no"\ncommand = "false"\n')
    out = cli("gates", "--config", str(config), "--ci")
    assert out.returncode == 2, out.stdout + out.stderr
    assert "gate always-no: FAILED" in out.stderr
    assert "gate always-no: ok" not in out.stderr


def test_digests_are_not_secrets_but_a_named_hex_token_is(repo: Repo) -> None:
    # twine's shape: a release whose tests gained sha256 digests of wheels.
    digest = "a" * 8 + "0123456789abcdef" * 3 + "b" * 8
    repo.commit(
        "test: pin digests",
        {"tests/test_package.py": f'EXPECTED = {{"sha256": "{digest}"}}\n'},
    )
    config = write_config(repo)
    code, found, _ = gates(config)
    assert (code, found["secrets"]["status"]) == (0, "passed"), found["secrets"]
    repo.commit("fix: oops", {"settings.py": 'api_password = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"\n'})
    code, found, _ = gates(config)
    assert code == 2 and found["secrets"]["status"] == "failed"
    assert "settings.py:1" in found["secrets"]["detail"]


def test_excluded_paths_are_left_out_of_the_scan(repo: Repo, tmp_path: Path) -> None:
    # Flask's and commander's shape: test fixtures hold made-up secrets; `exclude` leaves
    # them out (git glob patterns), and a secret anywhere else still fails the gate.
    repo.commit("test: fixtures", {"tests/unit/test_app.py": f'TOKEN = "{SECRET}"\n'})
    config = write_config(repo, '[gates.secrets]\nexclude = ["tests/**"]\n')
    code, found, _ = gates(config)
    assert (code, found["secrets"]["status"]) == (0, "passed"), found["secrets"]
    repo.commit("fix: oops", {"src/settings.py": f'TOKEN = "{SECRET}"\n'})
    code, found, _ = gates(config)
    detail = found["secrets"]["detail"]
    assert code == 2 and "src/settings.py:1 (GitHub Token)" in detail and "tests/" not in detail
    # A first release (no tag yet) reads every file: the same patterns apply.
    first = Repo(tmp_path / "first")
    first.commit(
        "feat: start",
        {
            "pyproject.toml": PYPROJECT.format(version="0.1.0"),
            "tests/fixtures/keys.py": f'TOKEN = "{SECRET}"\n',
        },
    )
    config = write_config(first, '[gates.secrets]\nexclude = ["tests/**"]\n')
    code, found, _ = gates(config)
    assert found["secrets"]["status"] == "passed", found["secrets"]
    assert found["secrets"]["detail"] == "1 files scanned (first release)"


def test_what_towncrier_leaves_alone_in_the_fragments_folder_is_no_stray_fragment(
    repo: Repo,
) -> None:
    # attrs keeps its towncrier template in changelog.d/ (and towncrier's `ignore` names
    # other files): towncrier skips them, so the fragments gate must too.
    towncrier = (
        '\n[tool.towncrier]\ndirectory = "changelog.d"\nfilename = "CHANGELOG.md"\n'
        'template = "changelog.d/towncrier_template.md.jinja"\nignore = ["notes-*.txt"]\n'
    )
    repo.commit(
        "fix: b",
        {
            "pyproject.toml": PYPROJECT.format(version="1.2.0") + towncrier,
            "changelog.d/towncrier_template.md.jinja": "{% for s in sections %}{% endfor %}\n",
            "changelog.d/notes-for-maintainers.txt": "how we write fragments\n",
            "changelog.d/12.bugfix.md": "A fix.\n",
        },
    )
    _, found, output = gates(write_config(repo))
    assert found["fragments"]["status"] == "passed", output
    assert found["fragments"]["detail"] == "1 fragments, all of known types"
    # Anything else there still is a stray.
    repo.commit("docs: c", {"changelog.d/13.sparkle.md": "Shiny.\n"})
    _, found, output = gates(write_config(repo))
    assert found["fragments"]["status"] == "failed", output
    assert "changelog.d/13.sparkle.md" in found["fragments"]["detail"]
