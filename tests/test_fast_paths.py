"""Fast by construction: a plan loads only what it needs, and the commit fast path
answers exactly as python-semantic-release's parser does."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import write_config
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
    got = [(c.type, c.scope, c.bump) for c in commits.parse_message("0" * 40, message)]
    assert got == expected


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


def test_human_plan_still_renders(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    from release.cli import main

    repo.commit("feat: visible", {"v.txt": "v"})
    assert main(["plan", "--config", str(write_config(repo))]) == 0
    assert "1.3.0" in capsys.readouterr().out
