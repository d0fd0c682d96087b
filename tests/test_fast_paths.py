"""Fast by construction: a plan loads only what it needs, and the commit fast path
answers exactly as python-semantic-release's parser does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import PYPROJECT, write_config
from gitrepo import Repo

from release import commits

# Modules a `--json` plan must never load: each costs more than a small plan's whole budget.
HEAVY = ("rich", "git", "semantic_release", "towncrier", "twine", "build", "filelock")


def test_fast_grammar_is_the_parsers_own() -> None:
    from semantic_release.commit_parser.conventional.parser import ConventionalCommitParser

    parser = ConventionalCommitParser()
    assert commits._SUBJECT.pattern == parser.commit_subject.pattern
    assert commits._SUBJECT.flags == parser.commit_subject.flags
    assert commits._MR_SELECTOR.pattern == parser.mr_selector.pattern
    assert tuple(parser.options.allowed_tags) == commits._ALLOWED_TAGS
    levels = {tag: int(level) for tag, level in parser.options.tag_to_level.items()}
    assert {t: commits._TAG_LEVELS.get(t, 0) for t in commits._ALLOWED_TAGS} == levels


@pytest.mark.parametrize(
    "message",
    [
        "feat(core): a thing (#123)",
        "fix: a bug\n\nWith a body that says more.\n\nRefs: #12",
        "docs: words",
        "perf(io)!: faster, incompatible",
        "feat: x\n\nBREAKING CHANGE: the old flag is gone",
        "not a conventional commit",
        "chore(release): 1.2.3",
        "feat: one\n\n* fix: squashed inside",
    ],
)
def test_fast_path_answers_as_the_parser(message: str) -> None:
    parser = commits._parser()
    expected = []
    for text in parser.unsquash_commit_message(message) or [message]:
        parsed = parser.parse_message(text)
        if parsed is not None:
            expected.append((parsed.type, parsed.scope, commits._LEVELS[int(parsed.bump)]))
    rules = commits.Rules(squash="every-line")  # the parser's own squash splitting
    found, _, _ = commits.parse_message(message, rules)
    got = [(p.type, p.scope, rules.level(p.type, p.scope, p.breaking)) for p in found]
    assert got == expected


EDGES = [
    "feat!: drop the old flag",
    "feat(api)!: drop it\n\nBREAKING CHANGE: the flag is gone",
    "fix: x\n\nBREAKING CHANGE: first\n\nBREAKING-CHANGE: second",
    "fix: x\n\nBREAKING CHANGE:",
    "fix: x\nBREAKING CHANGE: not a body (no blank line)",
    "refactor: x\n\nwrapped text that\ngoes on\n\nBREAKING CHANGE: wrapped\nover two lines",
    "docs: BREAKING news in the subject only",
    "feat: BREAKING CHANGE: in the subject",
    "fix: closes: #12",
    "fix: NOTICE: look",
    "feat: x\n\nRefs: #1\nBREAKING CHANGE: after a footer",
    "perf: x\r\n\r\nBREAKING CHANGE: windows line ends\r\n",
    "chore: x\n\n  BREAKING CHANGE: indented",
    "feat(scope with space)!: y (#99)",
]


def _full(message: str) -> list[tuple[str, str, str, object, tuple[str, ...]]]:
    parsed = commits._parser().parse_message(message)
    if parsed is None:
        return []
    subject = parsed.descriptions[0] if parsed.descriptions else ""
    level = commits._LEVELS[int(parsed.bump)]
    return [(parsed.type, parsed.scope, subject, level, tuple(parsed.breaking_descriptions))]


def test_fast_path_decides_as_the_parser_on_many_messages() -> None:
    """The benchmark's generated messages (breaking ones made common) and the edge cases."""
    import random
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from history import conventional_message

    rng = random.Random(7)
    messages = [conventional_message(rng, n)[0] for n in range(1000)]
    messages += [m.replace(": ", "!: ", 1) for m in messages[:100]]
    messages += [m + "\n\nBREAKING CHANGE: gone" for m in messages[100:200]]
    undecided = 0
    for message in [*messages, *EDGES]:
        quick = commits._quick(message)
        if quick is None:
            undecided += 1
            continue
        level = commits.Rules().level
        got = [
            (p.type, p.scope, p.subject, level(p.type, p.scope, p.breaking), p.descriptions)
            for p in quick
        ]
        assert got == _full(message), message
    assert undecided <= 3  # only subjects the parser files as a notice, an issue or a break


def test_json_plan_imports_no_heavy_module(repo: Repo) -> None:
    for n in range(5):
        repo.commit(f"feat: feature {n}", {f"f{n}.txt": str(n)})
    repo.commit("fix(core): a fix (#7)", {"g.txt": "g"})
    config = write_config(repo)
    script = (
        "import json, sys\n"
        "from release.cli import main\n"
        f"code = main(['plan', '--config', {str(config)!r}, '--json'])\n"
        "print(json.dumps({'code': code, 'modules': sorted(sys.modules)}), file=sys.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    result = json.loads(proc.stderr.strip().splitlines()[-1])
    assert result["code"] == 0, proc.stderr
    assert json.loads(proc.stdout)["next_version"] == "1.3.0"
    loaded = [m for m in result["modules"] if m.split(".")[0] in HEAVY or m in HEAVY]
    assert loaded == []


def _traced(*args: str, trace: Path) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """`release ARGS`, and the git commands it ran (GIT_TRACE2_EVENT: each process's argv)."""
    proc = subprocess.run(
        [sys.executable, "-m", "release", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "GIT_TRACE2_EVENT": str(trace)},
    )
    events = [json.loads(line) for line in trace.read_text().splitlines()]
    return proc, [" ".join(e["argv"][1:]) for e in events if e.get("event") == "start"]


def _git_commands(repo: Repo, tmp: Path, *args: str) -> list[str]:
    """The git commands a `--json` plan runs."""
    proc, commands = _traced("plan", *args, "--json", trace=tmp / "trace.json")
    assert proc.returncode == 0, proc.stderr
    return commands


def test_a_plan_walks_the_history_once(repo: Repo, tmp_path: Path) -> None:
    # The last release is found from the tags' names; the one `git log` proves it is on
    # the branch. No `git describe` or ancestry check: each walks as far as the log does.
    repo.commit("feat: a", {"pyproject.toml": PYPROJECT.format(version="1.3.0rc1")})
    repo.tag("v1.3.0rc1")
    repo.commit("fix: b", {"b.txt": "b"})
    config = write_config(repo)
    commands = _git_commands(repo, tmp_path, "--config", str(config))
    walks = [c for c in commands if _walks(c)]
    assert len(walks) == 1 and " log " in f" {walks[0]} ", commands
    assert "--boundary" in walks[0]


def _walks(command: str) -> bool:
    words = command.replace("-c core.pager=cat -c color.ui=never ", "").split()
    return (
        bool(words)
        and words[0] in ("log", "describe", "merge-base", "rev-list", "tag")
        and (words[0] != "tag" or "--merged" in words)
    )


def test_human_plan_still_renders(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    from release.cli import main

    repo.commit("feat: visible", {"v.txt": "v"})
    assert main(["plan", "--config", str(write_config(repo))]) == 0
    assert "1.3.0" in capsys.readouterr().out


def test_help_loads_only_the_parser() -> None:
    # Each verb's code (and the config and plan modules, pydantic's users) loads when the
    # verb runs: --help answers from the parser alone.
    script = (
        "import json, sys\n"
        "from release.cli import main\n"
        "try:\n"
        "    main(['plan', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert "--no-changelog" in proc.stdout, proc.stderr
    modules = json.loads(proc.stderr.strip().splitlines()[-1])
    late = ("release.config", "release.plan", "release.cli.verbs_plan", "pydantic", *HEAVY)
    assert [m for m in modules if any(m == x or m.startswith(f"{x}.") for x in late)] == []


def test_gitpython_commands_count_as_commands(repo: Repo) -> None:
    # The report's "in the tool itself" is the wall time less the time a command runs:
    # the git processes gitpython starts for the release commit are commands too.
    from release.ops.git import gitpython_repo
    from release.ops.process import child_clock

    before = child_clock.seconds
    gitpython_repo(repo.root).git.execute(["git", "version"])
    assert child_clock.seconds > before


def test_plain_progress_never_loads_rich() -> None:
    # A CI run writes plain lines as given: no rich, no emoji codes turned into emoji, and
    # the control characters rich strips (here a carriage return) stripped as well.
    script = (
        "import io, json, sys\n"
        "from release.progress import Progress\n"
        "from release.screen import Screen\n"
        "out = io.StringIO()\n"
        "progress = Progress(Screen(file=out), plain=True)\n"
        "with progress.step('build'):\n"
        "    progress.info('feat: :rocket: launch\\rmasked')\n"
        "print(json.dumps({'out': out.getvalue(), 'rich': 'rich' in sys.modules}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    result = json.loads(proc.stdout)
    assert result["rich"] is False, proc.stderr
    lines = result["out"].splitlines()
    assert [line.split(" ", 1)[1] for line in lines[:2]] == [
        "-> build ...",
        "   feat: :rocket: launchmasked",
    ]
    assert lines[2].split(" ", 1)[1].startswith("   build: ok (")


def test_the_command_exits_with_mains_code_and_all_its_output(tmp_path: Path) -> None:
    # `python -m release` leaves the module teardown to the operating system: its exit
    # code and its output are still main's, whole.
    missing = tmp_path / "absent.toml"
    proc = subprocess.run(
        [sys.executable, "-m", "release", "plan", "--config", str(missing), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    from release.cli import main

    assert proc.returncode == main(["plan", "--config", str(missing), "--json"]) != 0
    assert json.loads(proc.stdout)["exit_code"] == proc.returncode


def _push_git_commands(config: Path, trace: Path) -> tuple[dict[str, Any], list[str]]:
    """A push's JSON report, and the git commands it ran."""
    proc, commands = _traced("push", "--config", str(config), "--ci", "--json", trace=trace)
    return dict(json.loads(proc.stdout)), commands


def test_the_remote_is_asked_once_before_the_release_and_fetched_only_when_needed(
    repo: Repo, tmp_path: Path
) -> None:
    # Each question to the remote is a round trip over the network (a second or more to a
    # hosted forge): where the branch is and whether the tag is taken come in one answer,
    # and the branch is fetched only when its tip is not here already.
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    repo.git("remote", "add", "origin", remote.as_uri())
    repo.git("push", "-q", "origin", "main", "v1.2.0")
    other = Repo(tmp_path / "other")
    other.git("pull", "-q", remote.as_uri(), "main")
    other.commit("docs: elsewhere")
    other.git("push", "-q", remote.as_uri(), "HEAD:main")
    repo.commit("fix: b", {"b.txt": "b"})
    config = write_config(repo, "[gates]\nsecrets = { enabled = false }\n")
    report, commands = _push_git_commands(config, tmp_path / "diverged.json")
    # The remote moved on: its tip is fetched, and the push refuses (diverged).
    assert any("diverged" in p for p in report["problems"]), report
    assert sum(" fetch " in f" {c} " for c in commands) == 1, commands
    # Up to date with the remote: no fetch at all, and one ls-remote for branch and tag.
    repo.git("pull", "-q", "--rebase", "origin", "main")
    report, commands = _push_git_commands(config, tmp_path / "up-to-date.json")
    before_push = commands[: next(i for i, c in enumerate(commands) if " push " in f" {c} ")]
    assert not any(" fetch " in f" {c} " for c in before_push), before_push
    branch_and_tag = [c for c in before_push if "ls-remote" in c and "refs/heads/main" in c]
    assert len(branch_and_tag) == 1 and "refs/tags/v1.2.1" in branch_and_tag[0], before_push
    assert report["outcome"] == "released", report
