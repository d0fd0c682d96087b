"""A generated corpus of bad configs, flags, env files and repository states, run in-process.

Each case asserts its exit code per verb, that no traceback is printed, that the fixes are
specific (never "see the README"), that fatal problems are errors (not warnings), and,
when the exit is 2, that the repository and its remote are byte for byte as they were.
One small repository is built once and copied per case: copying is cheaper than git.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from gitrepo import Repo

from release.cli import main

OUTSIDE = "OUTSIDE-THE-REPOSITORY root:x:0:0"
# No known token shape: only not echoing it hides it.
SECRET_LOOKING = "hunter2-s3cr3t-Value-9f8e7d6c5b4a"

BASE_CONFIG = """\
name = "sample"
path = "project"

[version]
files = ["pyproject.toml:project.version", "VERSION"]

[changelog]
file = "CHANGELOG.md"
fragments = "changelog.d"

[docs]
files = ["README.md"]
"""

TARGET = """
[[targets]]
name = "t"
kind = "pypi"
url = "http://127.0.0.1:9/"
password_env = "PW"
"""

NPM_TARGET = """
[[targets]]
name = "n"
kind = "npm"
registry = "http://127.0.0.1:9/"
token_env = "NPM_TOKEN"
"""


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """base/{project (a repository at 1.2.0 with one feature since), remote.git, config.toml}."""
    base = tmp_path_factory.mktemp("template")
    gitconfig = tmp_path_factory.mktemp("template-home") / ".gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = T\n\temail = t@example.invalid\n[init]\n\tdefaultBranch = main\n"
    )
    with pytest.MonkeyPatch.context() as env:
        # Module scope runs before the per-test git identity: set one for the build.
        env.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
        env.setenv("GIT_CONFIG_NOSYSTEM", "1")
        _build_template(base)
    return base


def _build_template(base: Path) -> None:
    subprocess.run(
        ["git", "init", "-q", "--bare", "-b", "main", str(base / "remote.git")], check=True
    )
    repo = Repo(base / "project")
    repo.commit(
        "chore: initial import",
        {
            "pyproject.toml": '[project]\nname = "sample"\nversion = "1.2.0"\n',
            "VERSION": "1.2.0\n",
            "CHANGELOG.md": "# Changelog\n\n<!-- towncrier release notes start -->\n",
            "README.md": "demo 1.2.0\n",
            "changelog.d/.gitkeep": "",
        },
    )
    repo.tag("v1.2.0")
    # A relative remote: the copy of a case finds its own remote, not the template's.
    repo.git("remote", "add", "origin", "../remote.git")
    repo.git("push", "-q", "origin", "main", "v1.2.0")
    repo.git("branch", "-q", "--set-upstream-to=origin/main")
    repo.commit("feat: greet loudly", {"changelog.d/+loud.feature.md": "Greet loudly.\n"})
    repo.git("push", "-q", "origin", "main")
    (base / "outside.txt").write_text(OUTSIDE + "\n")
    (base / "outside-dir").mkdir()
    (base / "outside-dir" / "1.feature.md").write_text(OUTSIDE + "\n")
    (base / "config.toml").write_text(BASE_CONFIG)


def snapshot(base: Path) -> dict[str, str]:
    """Every byte of the work tree, .git and the remote, except the tool's own state folder,
    FETCH_HEAD and the index file (a stat refresh rewrites it; its entries are compared)."""
    digests = {}
    for path in sorted(base.rglob("*")):
        rel = path.relative_to(base).as_posix()
        if rel.startswith("project/.git/release") or rel in (
            "project/.git/FETCH_HEAD",
            "project/.git/index",
        ):
            continue
        if path.is_symlink():
            digests[rel] = "link:" + os.readlink(path)
        elif path.is_file():
            digests[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    if (base / "project" / ".git" / "index").exists():
        digests["index entries"] = subprocess.run(
            ["git", "ls-files", "--stage"],
            cwd=base / "project",
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    return digests


def git(base: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=base / "project", check=True, capture_output=True)


def commit_all(base: Path, message: str = "chore: change") -> None:
    git(base, "add", "-A")
    git(base, "commit", "-q", "-m", message)
    git(base, "push", "-q", "origin", "main")


def link(target: str, at: str, *, commit: bool = True) -> Callable[[Path], None]:
    def make(base: Path) -> None:
        where = base / "project" / at
        if where.is_dir() and not where.is_symlink():
            shutil.rmtree(where)
        else:
            where.unlink(missing_ok=True)
        where.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, where)
        if commit:
            commit_all(base, "chore: a link")

    return make


def write(rel: str, data: bytes | str, *, commit: bool = True) -> Callable[[Path], None]:
    def make(base: Path) -> None:
        path = base / "project" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
        if commit:
            commit_all(base)

    return make


@dataclass(frozen=True)
class Case:
    id: str
    config: Callable[[str], str | bytes] | None = None
    repo: Callable[[Path], object] | None = None
    # verb -> exit code; the verbs are `config check`, `plan` and `push`.
    expect: dict[str, int] = field(default_factory=lambda: {"check": 2, "plan": 2, "push": 2})
    says: str = ""  # in the output of every verb that exits 2
    never: tuple[str, ...] = ()  # never in any output


ALL_BAD = {"check": 2, "plan": 2, "push": 2}
PUSH_ONLY = {"check": 0, "plan": 0, "push": 2}


def replace(old: str, new: str) -> Callable[[str], str]:
    def apply(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return apply


def top(line: str) -> Callable[[str], str]:
    return lambda text: line + "\n" + text


def append(extra: str) -> Callable[[str], str]:
    return lambda text: text + "\n" + extra + "\n"


def raw(data: str | bytes) -> Callable[[str], str | bytes]:
    return lambda _: data


def _config_cases() -> list[Case]:
    cases: list[Case] = []
    names = [
        "../../evil", "../../../../x", "a/b", "", " ", "..", ".hidden", "-dash",
        "with space", "x\\y", "x" * 101, "ünï", "a\nb", "x:y", "*", "x" * 10_000_000,
    ]  # fmt: skip
    for i, name in enumerate(names):
        # Reading a 10 MB config takes a second: once is enough for that one.
        expect = {"plan": 2} if len(name) > 1000 else ALL_BAD
        cases.append(
            Case(
                f"name-{i}",
                replace('name = "sample"', f"name = {json.dumps(name)}"),
                expect=expect,
            )
        )
    tags = [
        "v..{version}", "v{version}.lock", "-v{version}", "{IFS}{version}", "v{version}{x}",
        "v{0}{version}", "{version", "v{version}}", "v {version}", "v{version}~",
        "v{version}^", "v{version}:", "v{version}?", "v{version}*", "v[{version}",
        "v\\{version}", "/v{version}", "v{version}/", "a//v{version}", ".v{version}",
        "a/.b{version}", "v@{{version}}", "v{version}\u0001", "", "{version}{version}", "v",
        "@", "x.lock/{version}",
    ]  # fmt: skip
    for i, tag in enumerate(tags):
        cases.append(Case(f"tag_format-{i}", top(f"tag_format = {json.dumps(tag)}")))
    for i, line in enumerate(
        [
            'in_all = "no"', 'in_all = "false"', "in_all = 0", "in_all = 1", "branch = 1",
            "remote = []", "tag_format = true", "nope = 1", "brnach = 'main'",
        ]
    ):  # fmt: skip
        cases.append(Case(f"top-{i}", top(line)))
    cases += [
        Case("name-int", replace('name = "sample"', "name = 1")),
        Case("path-int", replace('path = "project"', "path = 3")),
        Case("path-missing", replace('path = "project"', 'path = "missing-dir"')),
        Case("path-is-a-file", replace('path = "project"', 'path = "outside.txt"')),
        Case("path-is-the-config", replace('path = "project"', 'path = "config.toml"')),
        Case("path-not-a-repository", replace('path = "project"', 'path = "outside-dir"')),
    ]
    sections = [
        '[gates.tests]\nenabled = "yes"', '[gates]\ntests = "off"',
        '[[gates.custom]]\nname = ""\ncommand = "x"',
        '[[gates.custom]]\nname = "tests"\ncommand = "true"',
        '[[gates.custom]]\nname = "c"', '[gates.branch]\nallowed = "main"',
        '[gates.credential_files]\nfiles = ["../.npmrc"]',
        '[gates.secrets]\nallowlist = "/etc/passwd"',
        '[commands]\ntest = ["pytest"]', "[commands]\nbuild = 1", '[commands]\nnope = "x"',
        '[changelog.bump]\nfeature = "huge"', "[gates.versions]\nenabled = 1",
        '[gates.changelog]\nskippable = "yes"',
        '[gates.secrets]\nexclude = ["../outside/**"]', '[gates.secrets]\nexclude = "tests/**"',
        '[gates.secrets]\nexclude = ["/etc/*"]',
    ]  # fmt: skip
    for i, section in enumerate(sections):
        cases.append(Case(f"section-{i}", append(section)))
    version_files = [
        '["../outside/VERSION"]', '["/etc/hostname"]', '["~/.bashrc"]', '["VERSION/../../x"]',
        '["..\\\\x"]', '["NOPE"]', '["pyproject.toml:project.nope"]',
        '["pyproject.toml:tool.x.y"]',
        '["VERSION:(?P<v>\\\\d+)"]', '["VERSION:(a)(b)"]', '["VERSION:["]',
        '["package.json:version"]',
        '["pyproject.toml:"]', '[":x"]', '["README.md:__nope__"]', '"VERSION"', "[1]",
        '["src/x.py:__version__"]', '["C:\\\\VERSION"]', '["VERSION\\u0000"]',
    ]  # fmt: skip
    for i, files in enumerate(version_files):
        cases.append(
            Case(
                f"version-files-{i}",
                replace(
                    'files = ["pyproject.toml:project.version", "VERSION"]', f"files = {files}"
                ),
            )
        )
    for i, line in enumerate(
        [
            'command = "echo {IFS}"', 'command = "x {"', 'command = "{0}"', 'scheme = "calver"',
            'major_on_zero = "true"', "command = 1",
        ]
    ):  # fmt: skip
        cases.append(Case(f"version-{i}", replace("[version]\n", f"[version]\n{line}\n")))
    for i, (old, new) in enumerate(
        [
            ('file = "CHANGELOG.md"', 'file = "../CHANGELOG.md"'),
            ('file = "CHANGELOG.md"', 'file = "/tmp/CHANGELOG.md"'),
            ('file = "CHANGELOG.md"', 'file = ""'),
            ('file = "CHANGELOG.md"', "file = 1"),
            ('fragments = "changelog.d"', 'fragments = "../frag"'),
            ('fragments = "changelog.d"', 'fragments = "/etc"'),
            ('fragments = "changelog.d"', 'fragments = "~"'),
            ('[docs]\nfiles = ["README.md"]', '[docs]\nfiles = ["../README.md"]'),
            ('[docs]\nfiles = ["README.md"]', '[docs]\nfiles = ["/etc/hosts"]'),
            ('[docs]\nfiles = ["README.md"]', '[docs]\nfiles = ["MISSING.md"]'),
            ('[docs]\nfiles = ["README.md"]', '[docs]\nfiles = "README.md"'),
        ]
    ):
        cases.append(Case(f"changelog-docs-{i}", replace(old, new)))
    targets = [
        ('url = "http://127.0.0.1:9/"', 'url = "http://exa mple.com/"'),
        ('url = "http://127.0.0.1:9/"', 'url = "ftp://x/"'),
        ('url = "http://127.0.0.1:9/"', 'url = "http://"'),
        ('url = "http://127.0.0.1:9/"', 'url = "http://host:notaport/"'),
        ('url = "http://127.0.0.1:9/"', 'url = "http://[::1"'),
        ('url = "http://127.0.0.1:9/"', 'url = ""'),
        ('url = "http://127.0.0.1:9/"', 'url = "javascript:alert(1)"'),
        ('url = "http://127.0.0.1:9/"', 'url = "127.0.0.1:8080"'),
        ('url = "http://127.0.0.1:9/"', 'url = "http://x/\\u0000"'),
        ('password_env = "PW"', f'password_env = "{SECRET_LOOKING}"'),
        ('password_env = "PW"', 'password_env = "1ABC"'),
        ('password_env = "PW"', 'password_env = "A B"'),
        ('password_env = "PW"', 'password_env = "PW"\nusername_env = "$X"'),
        ('name = "t"', 'name = "../t"'),
        ('name = "t"', 'name = "t/x"'),
        ('name = "t"', 'name = ""'),
        ('kind = "pypi"', 'kind = "maven"'),
        ('kind = "pypi"\n', ""),
        ('password_env = "PW"', 'password_env = "PW"\ntrusted_publishing = true'),
        ('password_env = "PW"\n', ""),
        ('password_env = "PW"', 'passwrd_env = "PW"'),
        ('password_env = "PW"', 'password_env = "PW"\nverify_timeout = 0'),
        ('password_env = "PW"', 'password_env = "PW"\nverify_timeout = -1'),
        ('password_env = "PW"', 'password_env = "PW"\nverify_timeout = 1e9'),
        ('password_env = "PW"', 'password_env = "PW"\nverify_timeout = "10"'),
        ('password_env = "PW"', 'password_env = "PW"\ntrusted_publishing = "yes"'),
    ]
    for i, (old, new) in enumerate(targets):
        cases.append(
            Case(
                f"target-{i}",
                lambda text, old=old, new=new: text + TARGET.replace(old, new, 1),
                never=(SECRET_LOOKING,),
            )
        )
    cases += [
        Case("target-duplicate", append(TARGET + TARGET)),
        Case("targets-table", append("targets = {}")),
        Case("targets-int", top("targets = [1]")),
        Case("npm-no-token-env", append(NPM_TARGET.replace('token_env = "NPM_TOKEN"\n', ""))),
        Case("npm-registry-not-url", append(NPM_TARGET.replace("http://127.0.0.1:9/", "nope"))),
        Case("npm-access", append(NPM_TARGET + 'access = "private"\n')),
        Case("npm-token-env-secret", append(NPM_TARGET.replace("NPM_TOKEN", SECRET_LOOKING))),
        Case("npm-name-slash", append(NPM_TARGET.replace('name = "n"', 'name = "a/b"'))),
    ]
    toml = [
        "name = ", "[[targets]", "a = " + "[" * 5000 + "]" * 5000,
        "x = " + "{a = " * 3000 + "1" + "}" * 3000, b'name = "\xff\xfe"', 'name = "a\x00"',
        'name = "a"\nname = "b"', b"\xef\xbb\xbfname = 'x'", "", '[version]\nfiles = ["VERSION"]',
        "name = 'x'\n[version\n", "\x00\x01\x02",
    ]  # fmt: skip
    for i, text in enumerate(toml):
        cases.append(Case(f"toml-{i}", raw(text)))
    return cases


def _repo_cases() -> list[Case]:
    return [
        Case("fragment-link-absolute", repo=link("/etc/passwd", "changelog.d/100.feature"),
             never=("root:x:0:0",)),
        Case("fragment-link-relative", repo=link("../../outside.txt", "changelog.d/101.feature.md"),
             never=(OUTSIDE,)),
        Case("fragment-link-inside", repo=link("../README.md", "changelog.d/102.feature.md")),
        Case("fragments-folder-link", repo=link("../outside-dir", "changelog.d"), never=(OUTSIDE,)),
        Case("changelog-link", repo=link("../outside.txt", "CHANGELOG.md"), never=(OUTSIDE,)),
        Case("version-file-link-outside", repo=link("../outside.txt", "VERSION")),
        Case("version-file-link-inside",
             repo=lambda b: (write("VERSION.real", "1.2.0\n", commit=False)(b),
                             link("VERSION.real", "VERSION")(b))),
        Case("docs-link", repo=link("../outside.txt", "README.md"), never=(OUTSIDE,)),
        Case("pyproject-link", repo=link("/etc/passwd", "pyproject.toml"), never=("root:x:0:0",)),
        Case("version-mismatch", repo=write("VERSION", "9.9.9\n")),
        Case("version-not-utf8", repo=write("VERSION", b"\xff\xfe1.2.0\n")),
        Case("version-garbage", repo=write("VERSION", "banana\n")),
        Case("version-file-gone",
             repo=lambda b: ((b / "project" / "VERSION").unlink(), commit_all(b))),
        Case("not-a-repository", repo=lambda b: shutil.rmtree(b / "project" / ".git")),
        Case("no-commits", repo=lambda b: (shutil.rmtree(b / "project"), Repo(b / "project"))),
        # The plan accepts these; only push, which needs a clean start, refuses them.
        Case("dirty-tree", repo=write("README.md", "edited\n", commit=False), expect=PUSH_ONLY,
             says="uncommitted changes in README.md"),
        Case("detached-head", repo=lambda b: git(b, "checkout", "-q", "--detach"),
             expect=PUSH_ONLY, says="HEAD is detached"),
        Case("wrong-branch", repo=lambda b: git(b, "checkout", "-q", "-b", "topic"),
             expect=PUSH_ONLY, says="releases come from main"),
        Case("tag-exists-locally",
             repo=lambda b: git(b, "tag", "v1.3.0", subprocess.run(
                 ["git", "commit-tree", "HEAD^{tree}", "-m", "x"], cwd=b / "project",
                 capture_output=True, text=True, check=True).stdout.strip()),
             expect=PUSH_ONLY, says="tag v1.3.0 already exists locally"),
        Case("no-remote", repo=lambda b: git(b, "remote", "remove", "origin"),
             expect=PUSH_ONLY, says="no git remote named 'origin'"),
        Case("remote-gone", repo=lambda b: git(b, "remote", "set-url", "origin", "../gone.git"),
             expect=PUSH_ONLY, says="cannot fetch from 'origin'"),
        Case("behind-remote",
             repo=lambda b: (git(b, "commit", "-q", "--allow-empty", "-m", "docs: x"),
                             git(b, "push", "-q", "origin", "main"),
                             git(b, "reset", "-q", "--hard", "HEAD~1")),
             expect=PUSH_ONLY, says="1 commits behind origin/main"),
    ]  # fmt: skip


CASES = _config_cases() + _repo_cases()


@pytest.fixture
def workspace(template: Path, tmp_path: Path) -> Path:
    base = tmp_path / "w"
    shutil.copytree(template, base, symlinks=True)
    return base


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse's own refusals
        code = exc.code if isinstance(exc.code, int) else 2
    out, err = capsys.readouterr()
    return code, out + err


def check_output(code: int, text: str, case_says: str = "", never: tuple[str, ...] = ()) -> None:
    assert "Traceback" not in text, text[-2000:]
    assert "see the config contract in the README" not in text
    for word in never:
        assert word not in text, f"{word[:20]!r} leaked"
    if code == 2:
        assert "warning:" not in text, text[-2000:]
        if case_says:
            assert case_says in text, text[-2000:]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_config_or_repository(
    case: Case, workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = workspace / "config.toml"
    if case.config is not None:
        text = case.config(BASE_CONFIG)
        config.write_bytes(text if isinstance(text, bytes) else text.encode())
    if case.repo is not None:
        case.repo(workspace)
    before = snapshot(workspace)
    argv = {
        "check": ("config", "check", str(config), "--json"),
        "plan": ("plan", "--config", str(config), "--json"),
        "push": ("push", "--config", str(config), "--json", "--ci"),
    }
    for verb, expected in case.expect.items():
        code, text = run(capsys, *argv[verb])
        assert code == expected, f"{verb}: {text[-3000:]}"
        check_output(code, text, case.says, case.never)
        if code == 2:
            assert snapshot(workspace) == before, verb


def _flag_cases(base: Path) -> list[tuple[str, list[str]]]:
    cfg = str(base / "config.toml")
    project = str(base / "project")
    return [
        ("bump", ["plan", "--config", cfg, "--bump", "huge"]),
        ("prerelease-space", ["plan", "--config", cfg, "--prerelease", "RC 1"]),
        ("prerelease-path", ["plan", "--config", cfg, "--prerelease", "../x"]),
        ("prerelease-empty", ["push", "--config", cfg, "--prerelease", "", "--ci"]),
        ("project-escape", ["plan", "--project", "../../etc/passwd"]),
        ("project-slash", ["plan", "--project", "a/b"]),
        ("project-unknown", ["plan", "--project", "nope"]),
        ("config-missing", ["plan", "--config", str(base / "missing.toml")]),
        ("config-directory", ["plan", "--config", str(base / "outside-dir")]),
        ("config-empty", ["plan", "--config", os.devnull]),
        ("skip-without-reason", ["push", "--config", cfg, "--skip-gate", "tests", "--ci"]),
        ("skip-blank-reason", ["push", "--config", cfg, "--skip-gate", "tests", "--reason", " "]),
        ("path-missing", ["plan", "--path", str(base / "nope")]),
        ("path-file", ["plan", "--path", str(base / "outside.txt")]),
        ("init-not-a-repository", ["init", "--path", str(base / "outside-dir")]),
        ("init-name-escape", ["init", "--path", project, "--name", "../x"]),
        ("init-name-slash", ["init", "--path", project, "--name", "a/b"]),
        ("gates-project-escape", ["gates", "--project", "../x"]),
        ("status-project-escape", ["status", "--project", "../x"]),
        ("rollback-project-escape", ["rollback", "--project", "../x"]),
        ("journal-project-escape", ["journal", "--project", "../x"]),
        ("no-verb", []),
        ("unknown-verb", ["publish"]),
        ("plan-no-project", ["plan"]),
        ("both-config-and-project", ["push", "--config", cfg, "--project", "x"]),
        ("config-check-missing", ["config", "check", str(base / "missing.toml")]),
        ("unknown-flag", ["push", "--config", cfg, "--force"]),
    ]


FLAG_IDS = [name for name, _ in _flag_cases(Path("/x"))]


@pytest.mark.parametrize("which", FLAG_IDS)
def test_bad_flags(
    which: str, workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELEASE_CONFIG_DIR", str(workspace))
    argv = dict(_flag_cases(workspace))[which]
    before = snapshot(workspace)
    code, text = run(capsys, *argv)
    assert code == 2, text[-3000:]
    check_output(code, text)
    assert snapshot(workspace) == before


ENV_FILES: list[tuple[str, bytes | None, int]] = [
    ("world-readable", b"PW=x\n", 0o644),
    ("group-readable", b"PW=x\n", 0o640),
    ("not-utf8", b"PW=\xff\xfe\n", 0o600),
    ("no-equals", b"NOEQUALS\n", 0o600),
    ("bad-key", b"1BAD=x\n", 0o600),
    ("key-with-space", b"A B=c\n", 0o600),
    ("empty-key", b"=value\n", 0o600),
    ("nul-byte", b"PW=a\x00b\n", 0o600),
    ("dash-key", b"MY-KEY=x\n", 0o600),
    ("missing", None, 0o600),
]


@pytest.mark.parametrize("verb", ["push", "status", "rollback"])
@pytest.mark.parametrize(("which", "data", "mode"), ENV_FILES, ids=[e[0] for e in ENV_FILES])
def test_bad_env_file(
    which: str,
    data: bytes | None,
    mode: int,
    verb: str,
    workspace: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env_file = workspace / "creds.env"
    if data is not None:
        env_file.write_bytes(data)
        env_file.chmod(mode)
    before = snapshot(workspace)
    config = str(workspace / "config.toml")
    code, text = run(capsys, verb, "--config", config, "--env-file", str(env_file))
    assert code == 2, text[-3000:]
    check_output(code, text, "creds.env")
    assert "\xff" not in text and "a\x00b" not in text
    assert snapshot(workspace) == before


def test_a_secret_named_as_a_variable_is_not_echoed(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = workspace / "config.toml"
    config.write_text(BASE_CONFIG + TARGET.replace('"PW"', f'"{SECRET_LOOKING}"'))
    code, text = run(capsys, "config", "check", str(config))
    assert code == 2
    assert "password_env" in text and "never the secret" in text
    assert SECRET_LOOKING not in text and SECRET_LOOKING[5:] not in text


def test_the_corpus_is_large_enough() -> None:
    total = len(CASES) + len(FLAG_IDS) + 3 * len(ENV_FILES)
    assert total >= 150, total
