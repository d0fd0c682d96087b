"""Benchmark `release plan` against python-semantic-release on synthetic git histories.

Cold by default, as in CI: every timed command runs in a fresh clone of the repository (no
cache under .git, no commit-graph), made again before each run, untimed.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from random import Random
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
BUILDER_VERSION = 2  # bump whenever the generated histories change
SEED = 20240601
MAIN = "refs/heads/main"
SIDE = "refs/heads/bench-side"  # scratch ref for merged side branches, deleted after import
IDENTITY = "Bench Bot <bench@example.invalid>"
EPOCH = 1_600_000_000  # first commit timestamp; every object is one minute later
PSR_CHANGELOG_ARGS = ["version", "--no-commit", "--no-tag", "--no-push", "--no-vcs-release"]
PSR_PRINT_ARGS = ["--noop", "version", "--print"]
GNU_TIME = "/usr/bin/time"
PLAN_KEYS = ("current_version", "next_version", "bump", "nothing_to_release")

# Bump levels, ordered.
NONE, PATCH, MINOR, MAJOR = 0, 1, 2, 3

TYPES = ["feat", "fix", "chore", "docs", "refactor", "perf", "test"]
TYPE_WEIGHTS = [30, 30, 15, 15, 4, 3, 3]
TYPE_LEVEL = {"feat": MINOR, "fix": PATCH, "perf": PATCH}
SCOPES = ["core", "cli", "api", "parser", "config", "build", "auth", "cache", "io"]
VERBS = [
    "add", "support", "handle", "remove", "rework", "allow", "cache", "validate",
    "simplify", "expose", "rename", "split", "speed up", "guard", "report", "retry",
]  # fmt: skip
ADJECTIVES = [
    "empty", "nested", "stale", "large", "unicode", "missing", "duplicate", "optional",
    "legacy", "partial", "default", "invalid", "concurrent", "relative", "binary",
]  # fmt: skip
NOUNS = [
    "config files", "tag names", "upload retries", "lock file", "version strings", "wheels",
    "changelog entries", "commit bodies", "release notes", "token masking", "index urls",
    "progress output", "build backend", "sdist archives", "path handling", "timeouts",
    "error messages", "exit codes", "dry runs", "templates", "signatures", "hooks",
]  # fmt: skip
PREPOSITIONS = ["for", "in", "when reading", "during", "around", "before", "after"]


# --------------------------------------------------------------------------------------
# Synthetic histories
# --------------------------------------------------------------------------------------


class Stream:
    """Writes a `git fast-import` stream; with `out=None` it only simulates (same state)."""

    def __init__(self, out: IO[bytes] | None) -> None:
        self.out = out
        self.marks = 0
        self.clock = EPOCH
        self.files: dict[str, bytes] = {}
        self.commits = 0

    def _write(self, data: bytes) -> None:
        if self.out is not None:
            self.out.write(data)

    def _data(self, payload: bytes) -> None:
        self._write(b"data %d\n" % len(payload))
        self._write(payload)
        self._write(b"\n")

    def commit(self, ref: str, message: str, parents: list[int], changes: dict[str, bytes]) -> int:
        self.marks += 1
        self.clock += 60
        self.commits += 1
        stamp = f"{IDENTITY} {self.clock} +0000"
        self._write(f"commit {ref}\nmark :{self.marks}\n".encode())
        self._write(f"author {stamp}\ncommitter {stamp}\n".encode())
        self._data(message.encode())
        if parents:
            self._write(f"from :{parents[0]}\n".encode())
        for parent in parents[1:]:
            self._write(f"merge :{parent}\n".encode())
        for path, content in sorted(changes.items()):
            self._write(f"M 100644 inline {path}\n".encode())
            self._data(content)
        return self.marks

    def tag(self, name: str, mark: int, message: str) -> None:
        self.clock += 60
        self._write(f"tag {name}\nfrom :{mark}\ntagger {IDENTITY} {self.clock} +0000\n".encode())
        self._data(message.encode())


def _sentence(rng: Random) -> str:
    noun, other = rng.sample(NOUNS, 2)
    verb = rng.choice(VERBS)
    adjective = rng.choice(ADJECTIVES)
    return rng.choice(
        [
            f"The {noun} code path used to ignore {adjective} {other}.",
            f"Previously {noun} broke on {adjective} input, so we now {verb} {other} first.",
            f"This keeps {noun} working with {adjective} {other} on every platform.",
            f"We {verb} {other} once and reuse the result for {noun}.",
            f"No behaviour changes for projects without {adjective} {noun}.",
        ]
    )


def _body(rng: Random) -> list[str]:
    paragraphs = []
    for _ in range(rng.choice([1, 1, 2, 3])):
        if rng.random() < 0.15:
            items = [f"- {rng.choice(VERBS)} {rng.choice(NOUNS)}" for _ in range(rng.randint(2, 4))]
            paragraphs.append("\n".join(items))
        else:
            text = " ".join(_sentence(rng) for _ in range(rng.randint(1, 4)))
            paragraphs.append(textwrap.fill(text, 72))
    return paragraphs


def conventional_message(rng: Random, serial: int) -> tuple[str, int]:
    """One conventional commit message and the bump level it implies."""
    type_ = rng.choices(TYPES, TYPE_WEIGHTS)[0]
    scope = f"({rng.choice(SCOPES)})" if rng.random() < 0.6 else ""
    subject = f"{rng.choice(VERBS)} {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
    if rng.random() < 0.4:
        subject += f" {rng.choice(PREPOSITIONS)} {rng.choice(NOUNS)}"
    if rng.random() < 0.2:
        subject += f" (#{1000 + serial % 9000})"
    level = TYPE_LEVEL.get(type_, NONE)
    bang = ""
    paragraphs = _body(rng) if rng.random() < 0.35 else []
    if rng.random() < 1 / 5000:
        level = MAJOR
        if rng.random() < 0.5:
            bang = "!"
        else:
            paragraphs.append(f"BREAKING CHANGE: {rng.choice(NOUNS)} are no longer accepted.")
    if paragraphs and rng.random() < 0.2:
        paragraphs.append(f"Refs: #{100 + serial % 900}")
    header = f"{type_}{scope}{bang}: {subject}"
    return "\n\n".join([header, *paragraphs]) + "\n", level


def _change(rng: Random, serial: int, message: str) -> dict[str, bytes]:
    kind = message.split(":", 1)[0].split("(", 1)[0].rstrip("!")
    if kind == "docs":
        path = f"docs/page_{rng.randrange(60):02d}.md"
        text = f"# Page\n\nRevision {serial}.\n\n{rng.choice(NOUNS)} {rng.randrange(1000)}\n"
    elif kind == "test":
        n = rng.randrange(60)
        path = f"tests/test_{n:02d}.py"
        text = f"def test_{n}() -> None:\n    assert {serial} + {rng.randrange(1000)}\n"
    else:
        n = rng.randrange(240)
        path = f"src/bench/mod_{n:03d}.py"
        text = (
            f'"""Module {n}."""\n\nVALUE = {serial}\n\n\n'
            f"def f_{n}() -> int:\n    return VALUE + {rng.randrange(1000)}\n"
        )
    return {path: text.encode()}


def grow(stream: Stream, rng: Random, tip: int, count: int) -> tuple[int, int]:
    """Append exactly `count` commits to main after `tip` (side branches and merges included).

    Returns the new tip and the highest bump level among them.
    """
    made = 0
    level = NONE

    def one(ref: str, parent: int) -> tuple[int, dict[str, bytes]]:
        nonlocal made, level
        message, lvl = conventional_message(rng, stream.commits)
        level = max(level, lvl)
        changes = _change(rng, stream.commits, message)
        made += 1
        return stream.commit(ref, message, [parent], changes), changes

    while made < count:
        if count - made >= 5 and rng.random() < 1 / 200:
            # A short side branch forked here, main moves on meanwhile, then a true merge.
            side, side_changes = tip, {}
            for _ in range(rng.randint(1, 3)):
                side, changes = one(SIDE, side)
                side_changes.update(changes)
            for _ in range(rng.randint(0, 1)):
                tip, changes = one(MAIN, tip)
                stream.files.update(changes)
            stream.files.update(side_changes)
            topic = rng.choice(NOUNS).replace(" ", "-")
            tip = stream.commit(MAIN, f"Merge branch 'topic/{topic}'\n", [tip, side], side_changes)
            made += 1
        else:
            tip, changes = one(MAIN, tip)
            stream.files.update(changes)
    return tip, level


def pyproject(version: str) -> bytes:
    return textwrap.dedent(
        f"""\
        [project]
        name = "bench"
        version = "{version}"
        description = "Synthetic repository generated by benchmarks/history.py"

        [tool.semantic_release]
        version_toml = ["pyproject.toml:project.version"]
        tag_format = "v{{version}}"
        commit_parser = "conventional"
        allow_zero_version = false
        major_on_zero = true

        [tool.semantic_release.branches.main]
        match = "main"

        [tool.semantic_release.changelog]
        mode = "init"

        [tool.semantic_release.changelog.default_templates]
        changelog_file = "CHANGELOG.md"

        [tool.semantic_release.remote]
        # Never contacted: benchmarks only use --noop or --no-push --no-vcs-release.
        # Set because PSR refuses to start without a remote URL.
        type = "github"
        url = "https://github.invalid/bench/bench.git"
        """
    ).encode()


def bump(version: str, level: int) -> str:
    major, minor, patch = (int(part) for part in version.split("."))
    if level == MAJOR:
        return f"{major + 1}.0.0"
    if level == MINOR:
        return f"{major}.{minor + 1}.0"
    if level == PATCH:
        return f"{major}.{minor}.{patch + 1}"
    return version


@dataclass
class RepoInfo:
    """What a builder produced; also the reuse marker's payload."""

    name: str
    params: dict[str, Any]
    path: str = ""
    commits_total: int = 0
    commits_since_tag: int = 0
    tags: int = 0
    last_tag: str = ""
    current_version: str = ""
    expected_next: str = ""  # from the generator's own bump bookkeeping
    head: str = ""
    build_seconds: float = 0.0


def build_big(stream: Stream, commits: int) -> dict[str, Any]:
    """(a) root tagged v1.0.0, then `commits` conventional commits."""
    rng = Random(SEED)
    root = stream.commit(MAIN, "chore: initial commit\n", [], _root_files("1.0.0"))
    stream.tag("v1.0.0", root, "Release v1.0.0\n")
    _, level = grow(stream, rng, root, commits)
    return {"tags": 1, "last_tag": "v1.0.0", "current": "1.0.0", "level": level}


def _root_files(version: str) -> dict[str, bytes]:
    return {
        "pyproject.toml": pyproject(version),
        "README.md": b"# bench\n\nSynthetic history for benchmarks/history.py.\n",
        "src/bench/__init__.py": b'"""Synthetic package."""\n',
    }


def build_history(
    stream: Stream, history: int, tags: int, after: int, *, squashed: bool
) -> dict[str, Any]:
    """(b) `history` commits with `tags` release tags, then `after` commits.

    With `squashed` (c), the history is only simulated and replaced by one tagged root commit
    holding the same tree, followed by the very same `after` commits.
    """
    out = stream.out
    if squashed:
        stream.out = None
    rng = Random(SEED + 1)
    version = "0.0.0"
    tip = stream.commit(MAIN, "chore: initial commit\n", [], _root_files(version))
    stream.files.update(_root_files(version))
    made = 1
    for index in range(tags):
        end = (index + 1) * history // tags  # the release commit is commit number `end`
        tip, level = grow(stream, rng, tip, end - made - 1)
        version = "1.0.0" if index == 0 else bump(version, max(level, PATCH))
        release = {"pyproject.toml": pyproject(version)}
        stream.files.update(release)
        tip = stream.commit(MAIN, f"chore(release): {version}\n", [tip], release)
        stream.tag(f"v{version}", tip, f"Release v{version}\n")
        made = end
    if squashed:
        stream.out = out
        serial, clock = stream.commits, stream.clock  # so the next commits are byte-identical
        tip = stream.commit(MAIN, f"chore: import of v{version}\n", [], dict(stream.files))
        stream.tag(f"v{version}", tip, f"Release v{version}\n")
        stream.commits, stream.clock = serial, clock
    _, level = grow(stream, Random(SEED + 2), tip, after)
    return {
        "tags": 1 if squashed else tags,
        "last_tag": f"v{version}",
        "current": version,
        "level": level,
    }


def git(*args: str, cwd: Path, check: bool = True) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed in {cwd}:\n{proc.stderr}")
    return proc.stdout.strip()


def ensure_repo(
    workdir: Path, name: str, params: dict[str, Any], builder: Callable[[Stream], dict[str, Any]]
) -> RepoInfo:
    """Build the repository with one fast-import stream, or reuse it if the marker matches."""
    path = workdir / name
    marker = workdir / f"{name}.json"
    params = {"builder_version": BUILDER_VERSION, "seed": SEED, **params}
    if marker.exists() and (path / ".git").is_dir():
        info = RepoInfo(**json.loads(marker.read_text()))
        if info.params == params and git("rev-parse", "HEAD", cwd=path, check=False) == info.head:
            return info
    if path.exists():
        shutil.rmtree(path)
    marker.unlink(missing_ok=True)
    path.mkdir(parents=True)
    started = time.perf_counter()
    git("init", "-q", "-b", "main", cwd=path)
    git("config", "gc.auto", "0", cwd=path)  # no background gc while timing
    proc = subprocess.Popen(
        ["git", "fast-import", "--quiet", "--done"], cwd=path, stdin=subprocess.PIPE
    )
    assert proc.stdin is not None
    stream = Stream(proc.stdin)
    stream._write(b"feature done\n")
    meta = builder(stream)
    stream._write(b"done\n")
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit(f"git fast-import failed for {name}")
    git("update-ref", "-d", SIDE, cwd=path, check=False)
    git("reset", "-q", "--hard", "main", cwd=path)
    info = RepoInfo(
        name=name,
        params=params,
        path=str(path),
        commits_total=int(git("rev-list", "--count", "HEAD", cwd=path)),
        commits_since_tag=int(git("rev-list", "--count", f"{meta['last_tag']}..HEAD", cwd=path)),
        tags=int(meta["tags"]),
        last_tag=meta["last_tag"],
        current_version=meta["current"],
        expected_next=bump(meta["current"], meta["level"]),
        head=git("rev-parse", "HEAD", cwd=path),
        build_seconds=round(time.perf_counter() - started, 2),
    )
    marker.write_text(json.dumps(asdict(info), indent=2) + "\n")
    return info


def write_release_config(workdir: Path, repo: RepoInfo, clone: Path | None = None) -> Path:
    """Our tool's config for the repository, or for its fresh clone at `clone`."""
    config = workdir / f"{repo.name}{'.clone' if clone else ''}.release.toml"
    config.write_text(
        textwrap.dedent(
            f"""\
            name = "bench"
            path = {json.dumps(str(clone) if clone else repo.path)}
            tag_format = "v{{version}}"

            [version]
            files = ["pyproject.toml:project.version"]

            [changelog]
            file = "CHANGELOG.md"
            """
        )
    )
    return config


# --------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    max_rss_mib: float
    returncode: int
    stdout: str
    stderr: str


@functools.cache
def gnu_time() -> str | None:
    """`/usr/bin/time` if it is GNU time (`-f %M -o FILE` gives the command's own peak RSS)."""
    if not Path(GNU_TIME).exists():
        return None
    with tempfile.NamedTemporaryFile("r") as report:
        proc = subprocess.run(
            [GNU_TIME, "-f", "%M", "-o", report.name, "true"], capture_output=True, check=False
        )
        ok = proc.returncode == 0 and report.read().strip().isdigit()
    return GNU_TIME if ok else None


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    """Wall time and peak RSS of one command (its largest process, in MiB).

    The peak comes from GNU time when present: a child's own `ru_maxrss` also counts the memory
    of the process that spawned it (the parent's pages are resident in the child until exec).
    """
    wrapper = gnu_time()
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile("r") as rss,
    ):
        if wrapper:
            cmd = [wrapper, "-f", "%M", "-o", rss.name, *cmd]
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        peak_kib = usage.ru_maxrss  # KiB on Linux
        if wrapper:
            lines = rss.read().split()
            peak_kib = int(lines[-1]) if lines and lines[-1].isdigit() else 0
        out.seek(0)
        err.seek(0)
        return Run(
            seconds=seconds,
            max_rss_mib=peak_kib / 1024,
            returncode=proc.returncode,
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
        )


class CommandFailed(Exception):
    pass


@dataclass
class Case:
    """One command on one repository, measured once per run."""

    key: str
    case: str
    tool: str
    cmd: list[str]
    cwd: Path
    restore: Path | None = None  # repository to reset before and after (PSR writes files)
    env: dict[str, str] | None = None
    clear: Path | None = None  # a cache to delete before each run (a cold measurement)
    fresh: tuple[Path, Path] | None = None  # (repository, clone): cloned anew before each run
    runs: list[Run] = field(default_factory=list)

    def measure(self) -> Run:
        if self.fresh is not None:
            fresh_clone(*self.fresh)
        if self.restore is not None:
            restore(self.restore)
        if self.clear is not None:
            shutil.rmtree(self.clear, ignore_errors=True)
        result = run(self.cmd, self.cwd, self.env)
        if result.returncode != 0:
            raise CommandFailed(
                f"{self.tool} ({self.case}) exited {result.returncode}: {shlex.join(self.cmd)}\n"
                f"{result.stderr[-3000:]}"
            )
        self.runs.append(replace(result, stdout="", stderr=""))  # keep the harness small
        return result

    @property
    def median(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def peak_mib(self) -> float:
        return max(r.max_rss_mib for r in self.runs)


def fresh_clone(source: Path, clone: Path) -> None:
    """A clone as a CI job has one: nothing under .git but what `git clone` writes."""
    shutil.rmtree(clone, ignore_errors=True)
    clone.parent.mkdir(parents=True, exist_ok=True)
    git("clone", "-q", str(source), str(clone), cwd=clone.parent)
    git("config", "gc.auto", "0", cwd=clone)


def restore(repo: Path) -> None:
    git("reset", "-q", "--hard", "HEAD", cwd=repo)
    git("clean", "-qfdx", cwd=repo)


def psr_version_printed(stdout: str) -> str:
    lines = [line.strip() for line in stdout.splitlines() if line.strip()]
    versions = [line for line in lines if re.fullmatch(r"v?\d+\.\d+\.\d+\S*", line)]
    if not versions:
        raise CommandFailed(f"no version in semantic-release output: {stdout!r}")
    return versions[-1].removeprefix("v")


def ours_plan(stdout: str) -> dict[str, Any]:
    try:
        plan = json.loads(stdout)
    except json.JSONDecodeError as exc:
        raise CommandFailed(f"release plan --json printed no JSON: {stdout[:500]!r}") from exc
    missing = set(PLAN_KEYS) - set(plan)
    if missing:
        raise CommandFailed(f"release plan --json lacks {sorted(missing)}: {stdout[:500]!r}")
    return {key: plan[key] for key in PLAN_KEYS}  # keep the harness small


def norm(version: Any) -> str:
    return str(version or "").removeprefix("v")


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with open("/proc/meminfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return {
        "nproc": str(len(os.sched_getaffinity(0))),
        "cpu": cpu,
        "memory": memory,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "git": git("--version", cwd=ROOT).removeprefix("git version "),
        "project": project_revision(),
    }


def project_revision() -> str:
    """The commit of the tool being measured, and whether `release/` differs from it."""
    head = git("rev-parse", "--short=12", "HEAD", cwd=ROOT, check=False) or "no commit"
    dirty = git("status", "--porcelain", "--", "release", cwd=ROOT, check=False)
    return head + (" + uncommitted changes in release/" if dirty else "")


def psr_executable() -> str:
    beside = Path(sys.executable).parent / "semantic-release"
    found = str(beside) if beside.exists() else shutil.which("semantic-release")
    if not found:
        raise SystemExit("semantic-release (python-semantic-release) is not installed")
    return found


@dataclass
class Target:
    label: str
    value: float | None
    bound: float
    kind: str  # "min-x": value must be >= bound; "max-x": <= bound; "max-mib": < bound

    def line(self, width: int) -> str:
        if self.value is None:
            shown, verdict = "n/a", "n/a"
        elif self.kind == "max-mib":
            shown, verdict = f"{self.value:.1f} MiB", "PASS" if self.value < self.bound else "FAIL"
        elif self.kind == "max-s":
            shown, verdict = f"{self.value:.3f} s", "PASS" if self.value < self.bound else "FAIL"
        else:
            shown = f"{self.value:.2f}x"
            ok = self.value >= self.bound if self.kind == "min-x" else self.value <= self.bound
            verdict = "PASS" if ok else "FAIL"
        bound = {
            "min-x": f">= {self.bound:g}x",
            "max-x": f"<= {self.bound:g}x",
            "max-s": f"< {self.bound:g} s",
        }.get(self.kind, f"< {self.bound:g} MiB")
        return f"  {self.label:<{width}}  {shown:>10}   goal {bound:<10} {verdict}"


def ratio(numerator: Case | None, denominator: Case | None) -> float | None:
    if not numerator or not denominator or not numerator.runs or not denominator.runs:
        return None
    return numerator.median / denominator.median


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--runs", type=int, help="timed runs per command (default 3, --quick 2, ~80 s each)"
    )
    parser.add_argument("--commits", type=int, help="commits since the tag (default 50000)")
    parser.add_argument("--history", type=int, help="commits before the last tag (100000)")
    parser.add_argument("--tags", type=int, help="release tags along that history (2000)")
    parser.add_argument("--after", type=int, default=100, help="commits after the last tag")
    parser.add_argument(
        "--quick", action="store_true", help="smoke test: 2000 commits, 5000 history, 2 runs"
    )
    parser.add_argument("--workdir", type=Path, default=ROOT / ".sandbox" / "bench")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument("--skip-psr", action="store_true", help="measure only git and ours")
    parser.add_argument(
        "--reuse-clone",
        action="store_true",
        help="run in the built repositories (only our cache deleted) instead of fresh clones",
    )
    parser.add_argument(
        "--release-cmd",
        default=f"{shlex.quote(sys.executable)} -m release",
        help="how to invoke our tool (default: this python -m release)",
    )
    args = parser.parse_args(argv)
    quick = args.quick
    args.runs = args.runs or (2 if quick else 3)
    args.commits = args.commits or (2_000 if quick else 50_000)
    args.history = args.history or (5_000 if quick else 100_000)
    args.tags = args.tags or (100 if quick else 2_000)
    if args.runs < 1 or args.commits < 10 or args.tags < 1 or args.history < 2 * args.tags:
        parser.error("need --runs >= 1, --commits >= 10, --history >= 2 * --tags")
    return args


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915
    args = parse_args(argv)
    workdir: Path = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"workdir {workdir}", flush=True)

    history_params = {"history": args.history, "tags": args.tags, "after": args.after}
    suffix = f"{args.history}-{args.tags}-{args.after}"
    repos = {
        "big": ensure_repo(
            workdir,
            f"big-{args.commits}",
            {"commits": args.commits},
            lambda s: build_big(s, args.commits),
        ),
        "tags": ensure_repo(
            workdir,
            f"tags-{suffix}",
            history_params,
            lambda s: build_history(s, args.history, args.tags, args.after, squashed=False),
        ),
        "small": ensure_repo(
            workdir,
            f"small-{suffix}",
            history_params,
            lambda s: build_history(s, args.history, args.tags, args.after, squashed=True),
        ),
    }
    configs = {key: write_release_config(workdir, repo) for key, repo in repos.items()}
    cold = not args.reuse_clone
    clones = {key: workdir / "clones" / repo.name for key, repo in repos.items()}
    clone_configs = {
        key: write_release_config(workdir, repo, clones[key]) for key, repo in repos.items()
    }

    def fresh(key: str) -> tuple[Path, Path] | None:
        return (Path(repos[key].path), clones[key]) if cold else None

    def where(key: str) -> Path:
        return clones[key] if cold else Path(repos[key].path)

    info = machine()
    psr = "" if args.skip_psr else psr_executable()
    info["python-semantic-release"] = (
        run([psr, "--version"], ROOT).stdout.strip().rsplit(" ", 1)[-1] if psr else "(skipped)"
    )

    release = shlex.split(args.release_cmd)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    # As installed: imports from cached bytecode (the first, untimed guard run writes it).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("NO_COLOR", "1")
    notes: list[str] = []
    if not gnu_time():
        notes.append("no GNU /usr/bin/time: peak RSS is ru_maxrss, which counts this script too")
    helped = run([*release, "plan", "--help"], ROOT, env)
    ours_ok = helped.returncode == 0
    next_flag: list[str] = []
    if not ours_ok:
        notes.append(
            "our CLI is not usable (`release plan --help` exited "
            f"{helped.returncode}): {(helped.stderr or helped.stdout).strip()[-300:]!r}"
        )
    elif "--no-changelog" in helped.stdout:
        next_flag = ["--no-changelog"]
    else:
        notes.append("`release plan` has no --no-changelog yet: next version measured with it")

    big = Path(repos["big"].path)
    n = repos["big"].commits_since_tag
    h = repos["tags"].commits_total - repos["tags"].commits_since_tag
    next_case = f"next version, {n:,} commits"
    log_case = f"plan + changelog, {n:,} commits"
    tags_case = f"{repos['tags'].commits_since_tag} commits after {h:,} + {args.tags:,} tags"
    small_case = f"{repos['small'].commits_since_tag} commits, 1 tag"

    def ours(key: str, case: str, repo: str, extra: list[str], *, warm: bool = False) -> Case:
        """Our plan, cold (a fresh clone, or its parsed-commit cache deleted) unless `warm`."""
        tool = "release plan" + (" " + " ".join(extra) if extra else "")
        if warm:
            # A repeated plan in the same repository: its cache under .git is filled.
            cmd = [*release, "plan", "--config", str(configs[repo]), "--json", *extra]
            return Case(key, case, tool + " (warm cache)", cmd, ROOT, env=env)
        config = clone_configs[repo] if cold else configs[repo]
        cmd = [*release, "plan", "--config", str(config), "--json", *extra]
        cache = where(repo) / ".git" / "release" / "cache"
        return Case(key, case, tool, cmd, ROOT, env=env, clear=cache, fresh=fresh(repo))

    cases: list[Case] = [
        Case(
            "git_floor",
            next_case,
            "git log --format=%H%x00%B <tag>..HEAD",
            ["git", "log", "--format=%H%x00%B", f"{repos['big'].last_tag}..HEAD"],
            where("big"),
            fresh=fresh("big"),
        )
    ]
    if ours_ok:
        cases += [
            ours("ours_next", next_case, "big", next_flag),
            ours("ours_plan", log_case, "big", []),
            ours("ours_tags", tags_case, "tags", []),
            ours("ours_small", small_case, "small", []),
            # A repeated plan: the parsed-commit cache under .git is warm (not in the ratios).
            ours("ours_plan_warm", log_case, "big", [], warm=True),
        ]
    if not args.skip_psr:
        cases += [
            Case(
                "psr_next",
                next_case,
                "semantic-release " + " ".join(PSR_PRINT_ARGS),
                [psr, *PSR_PRINT_ARGS],
                where("big"),
                fresh=fresh("big"),
            ),
            Case(
                "psr_changelog",
                log_case,
                "semantic-release " + " ".join(PSR_CHANGELOG_ARGS),
                [psr, *PSR_CHANGELOG_ARGS],
                where("big"),
                restore=None if cold else big,
                fresh=fresh("big"),
            ),
        ]
    by_key = {case.key: case for case in cases}

    failures: list[str] = []
    mismatches: list[str] = []
    psr_versions: dict[str, str] = {}
    ours_plans: dict[str, dict[str, Any]] = {}
    once: list[Case] = []

    try:
        # Correctness guard (and page-cache warm-up): our plan on every repository, PSR once on
        # the two history repositories; PSR's answer on the big one comes from the timed runs.
        for key, repo in repos.items():
            if ours_ok:
                check_ours = ours(f"check_{key}", f"check on {repo.name}", key, [])
                ours_plans[key] = ours_plan(check_ours.measure().stdout)
            if not args.skip_psr and key != "big":
                check = Case(
                    f"psr_{key}_once",
                    tags_case if key == "tags" else small_case,
                    "semantic-release --noop version --print (1 run)",
                    [psr, *PSR_PRINT_ARGS],
                    where(key),
                    fresh=fresh(key),
                )
                psr_versions[key] = psr_version_printed(check.measure().stdout)
                once.append(check)

        # Timed runs: every command once per run, the order alternating between runs.
        for index in range(args.runs):
            order = cases if index % 2 == 0 else cases[::-1]
            for case in order:
                result = case.measure()
                if case.key == "psr_changelog":
                    written = case.cwd / "CHANGELOG.md"
                    if not written.exists():
                        raise CommandFailed("semantic-release version wrote no CHANGELOG.md")
                    psr_versions["big_written"] = _toml_version(case.cwd / "pyproject.toml")
                    restore(case.cwd)
                elif case.key == "psr_next" and index == 0:
                    psr_versions["big"] = psr_version_printed(result.stdout)
                elif case.key == "ours_next" and index == 0:
                    plan = ours_plan(result.stdout)
                    if norm(plan.get("next_version")) != norm(
                        ours_plans["big"].get("next_version")
                    ):
                        mismatches.append(
                            "release plan --no-changelog and release plan disagree on next_version"
                        )
            print(f"run {index + 1}/{args.runs} done", file=sys.stderr, flush=True)
        if "big_written" in psr_versions and psr_versions["big_written"] != psr_versions.get("big"):
            mismatches.append(
                f"semantic-release wrote {psr_versions['big_written']} but printed "
                f"{psr_versions.get('big')}"
            )
    except CommandFailed as exc:
        failures.append(str(exc))
    finally:
        restore(big)
    for key, repo in repos.items():
        ours_next = norm(ours_plans.get(key, {}).get("next_version"))
        ours_current = norm(ours_plans.get(key, {}).get("current_version"))
        if key in psr_versions and ours_next and ours_next != psr_versions[key]:
            mismatches.append(
                f"{repo.name}: release plan next_version {ours_next} != "
                f"semantic-release {psr_versions[key]}"
            )
        if ours_current and ours_current != repo.current_version:
            mismatches.append(
                f"{repo.name}: release plan current_version {ours_current} != "
                f"last tag {repo.last_tag}"
            )

    targets = [
        Target(
            "next version: semantic-release --noop version --print / release plan",
            ratio(by_key.get("psr_next"), by_key.get("ours_next")),
            25,
            "min-x",
        ),
        Target(
            "next version: release plan / git log <tag>..HEAD floor",
            ratio(by_key.get("ours_next"), by_key.get("git_floor")),
            2.5,
            "max-x",
        ),
        Target(
            f"plan on {small_case}: whole process",
            by_key["ours_small"].median
            if "ours_small" in by_key and by_key["ours_small"].runs
            else None,
            0.3,
            "max-s",
        ),
        Target(
            "plan + changelog: semantic-release version --no-commit ... / release plan",
            ratio(by_key.get("psr_changelog"), by_key.get("ours_plan")),
            15,
            "min-x",
        ),
        Target(
            f"history growth: release plan on {h:,} commits + {args.tags:,} tags / 1 tag",
            ratio(by_key.get("ours_tags"), by_key.get("ours_small")),
            3,
            "max-x",
        ),
        Target(
            f"memory: peak RSS of release plan, {n:,} commits",
            max(
                [c.peak_mib for c in cases if c.key in {"ours_next", "ours_plan"} and c.runs],
                default=None,
            ),
            150,
            "max-mib",
        ),
    ]

    report(args, info, repos, cases + once, targets, notes, psr_versions, ours_plans)
    if args.json:
        print(
            json.dumps(
                {
                    "machine": info,
                    "runs": args.runs,
                    "repositories": {k: asdict(v) for k, v in repos.items()},
                    "measurements": [
                        {
                            "key": c.key,
                            "case": c.case,
                            "tool": c.tool,
                            "seconds": [round(r.seconds, 4) for r in c.runs],
                            "median": round(c.median, 4),
                            "peak_rss_mib": round(c.peak_mib, 1),
                        }
                        for c in cases + once
                        if c.runs
                    ],
                    "targets": [
                        {**asdict(t), "value": None if t.value is None else round(t.value, 3)}
                        for t in targets
                    ],
                    "semantic_release_next": psr_versions,
                    "release_plan_next": {k: v.get("next_version") for k, v in ours_plans.items()},
                    "notes": notes,
                    "mismatches": mismatches,
                    "failures": failures,
                },
                indent=2,
            )
        )
    for failure in failures:
        print(f"\nCOMMAND FAILED: {failure}", file=sys.stderr)
    for mismatch in mismatches:
        print(f"\n!!! MISMATCH !!! {mismatch}", file=sys.stderr)
    if mismatches:
        return 1
    if failures or not ours_ok:
        return 2
    return 0


def _toml_version(path: Path) -> str:
    import tomllib

    return str(tomllib.loads(path.read_text())["project"]["version"])


def _rows(cases: list[Case]) -> Iterator[str]:
    width = max(len(c.case) for c in cases)
    tool_width = max(len(c.tool) for c in cases)
    yield f"  {'case':<{width}}  {'tool':<{tool_width}}  runs  median s    min s  peak MiB"
    for c in cases:
        yield (
            f"  {c.case:<{width}}  {c.tool:<{tool_width}}  {len(c.runs):>4}  {c.median:>8.3f}"
            f"  {min(r.seconds for r in c.runs):>7.3f}  {c.peak_mib:>8.1f}"
        )


def report(
    args: argparse.Namespace,
    info: dict[str, str],
    repos: dict[str, RepoInfo],
    cases: list[Case],
    targets: list[Target],
    notes: list[str],
    psr_versions: dict[str, str],
    ours_plans: dict[str, dict[str, Any]],
) -> None:
    print()
    print(
        f"machine: {info['nproc']} CPUs, {info['cpu']}, {info['memory']} RAM, Linux "
        f"{info['kernel']}; Python {info['python']}; git {info['git']}; "
        f"python-semantic-release {info['python-semantic-release']}"
    )
    print(f"date: {time.strftime('%Y-%m-%d %H:%M %Z')}; runs per command: {args.runs}")
    print(f"measured: release at {info['project']}")
    print()
    print("repositories (git fast-import, seeded, byte-reproducible):")
    for key, repo in repos.items():
        print(
            f"  {repo.name:<22} {repo.commits_total:>7,} commits, "
            f"{repo.tags:>5,} {'tags' if repo.tags > 1 else 'tag '}, "
            f"{repo.commits_since_tag:>6,} since {repo.last_tag:<9} HEAD {repo.head[:12]}  "
            f"next: semantic-release {psr_versions.get(key, '-')}, "
            f"release plan {norm(ours_plans.get(key, {}).get('next_version')) or '-'}"
        )
    print()
    measured = [c for c in cases if c.runs]
    if measured:
        print("\n".join(_rows(measured)))
        print()
    print(
        "goals (medians from the same runs, "
        + ("each in a fresh clone" if not args.reuse_clone else "in the built repositories")
        + "):"
    )
    width = max(len(t.label) for t in targets)
    for target in targets:
        print(target.line(width))
    for note in notes:
        print(f"note: {note}")
    if args.quick:
        print("note: --quick sizes are far below the issue's; the targets are only indicative")


if __name__ == "__main__":
    raise SystemExit(main())
