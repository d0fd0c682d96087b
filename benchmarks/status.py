"""How long `release status` takes for ten projects, and whether what it says is right.

Starts its own pypiserver, verdaccio and git daemon on free ports of 127.0.0.1 with the test
suite's server classes (tests/services.py; in a temporary directory, the sandbox under
.sandbox/ is not touched), creates ten small projects there, each a git repository with a
bare remote behind the git daemon, tags pushed and real versions published (wheels uploaded
with twine, npm packages with `npm publish`), then times `release status --project NAME ...
--json` over all ten against one project and against the interpreter's start-up floor. It
checks every answer against what it set up and the issue's target: ten projects within 5 s.
The servers are stopped at the end, whatever happened.

Exit code: 0 when every answer is right and the target passes, 1 when status said something
wrong, 2 when a server or a command failed, 3 when the time target failed.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# tests/ is not a package: put it on the path, as pytest does, to reuse the test suite's
# servers (tests/services.py) and wheel writer (tests/sample.py) instead of copies of them.
sys.path.insert(0, str(ROOT / "tests"))

# mypy does not see the sys.path line: it types these only with MYPYPATH=tests.
from sample import tiny_wheel  # type: ignore[import-not-found,unused-ignore]  # noqa: E402
from services import (  # type: ignore[import-not-found,unused-ignore]  # noqa: E402
    HOST,
    VERDACCIO_BIN,
    GitDaemon,
    NpmRegistry,
    PypiServer,
    ServiceError,
    git_env,
    isolated_npm_env,
)

START_TIMEOUT = 30.0  # seconds for a server to answer after it is started
COMMAND_TIMEOUT = 120.0  # any one command: git, twine, npm, release status
TARGET_SECONDS = 5.0
PROJECTS = 10
ONE = "bench-status-01"  # the one-project case: PyPI and npm, in sync
ENV_USER, ENV_PASSWORD, ENV_TOKEN = "BENCH_PYPI_USERNAME", "BENCH_PYPI_PASSWORD", "BENCH_NPM_TOKEN"

# Exit codes.
OK, WRONG, BROKEN, SLOW = 0, 1, 2, 3


class BenchError(Exception):
    """A command failed: the benchmark cannot measure anything."""


# --------------------------------------------------------------------------------------
# Commands and servers
# --------------------------------------------------------------------------------------


def base_env() -> dict[str, str]:
    """This environment without the host's git config, npm, pip or twine settings or proxies
    for 127.0.0.1, with the tests' git identity."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GIT_", "npm_config_", "NPM_CONFIG_", "PIP_", "TWINE_"))
    }
    env.update({"NO_PROXY": HOST, "no_proxy": HOST})
    clean: dict[str, str] = git_env(env)
    return clean


def run(
    cmd: list[str], cwd: Path, env: Mapping[str, str] | None = None, *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    try:
        proc = subprocess.run(
            cmd,
            cwd=cwd,
            env=dict(env) if env is not None else base_env(),
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(
            f"{' '.join(cmd[:4])} ... timed out after {COMMAND_TIMEOUT:.0f} s"
        ) from exc
    except OSError as exc:
        raise BenchError(f"cannot run {cmd[0]}: {exc}") from exc
    if check and proc.returncode != 0:
        raise BenchError(
            f"{' '.join(cmd)} exited {proc.returncode} in {cwd}:\n"
            f"{(proc.stdout + proc.stderr).strip()[-3000:]}"
        )
    return proc


def git(cwd: Path, *args: str) -> str:
    return run(["git", *args], cwd).stdout.strip()


@dataclass
class Services:
    pypi: PypiServer
    npm: NpmRegistry  # user `bench` with a token, made when it starts
    git: GitDaemon


@contextlib.contextmanager
def services(work: Path) -> Iterator[Services]:
    """pypiserver, verdaccio and a git daemon on free ports of 127.0.0.1, stopped on exit."""
    svc = Services(
        PypiServer(work / "pypi", username="bench"),
        NpmRegistry(work / "npm", username="bench", email="bench@example.invalid"),
        GitDaemon(work / "remotes"),
    )
    with contextlib.ExitStack() as stack:
        for server in (svc.pypi, svc.npm, svc.git):
            stack.callback(server.stop)  # before start: an interrupted start is stopped too
            server.start(START_TIMEOUT)
        yield svc


# --------------------------------------------------------------------------------------
# The ten projects
# --------------------------------------------------------------------------------------


@dataclass
class Project:
    """One project: what is set up, and what `release status` must answer for it."""

    index: int
    dual: bool  # PyPI and npm; otherwise PyPI only
    versions: list[str]  # tagged (PEP 440), in order; the last is in the version files
    pushed: int  # how many of them are on the remote
    pypi: list[str]  # versions uploaded to the index
    npm: list[tuple[str, str]]  # (semver, dist-tag) published to the registry, in order
    drift: list[str]  # the beginnings of the drift notes status must print
    scenario: str

    @property
    def name(self) -> str:
        return f"bench-status-{self.index:02d}"

    @property
    def module(self) -> str:
        return self.name.replace("-", "_")

    def expected(self) -> dict[str, Any]:
        last = self.versions[-1]
        remote = max(self.versions[: self.pushed], key=_sort_key)
        finals = [v for v in self.pypi if "rc" not in v]  # pip's default: the newest final
        targets: list[dict[str, Any]] = [
            {
                "name": "pypi",
                "kind": "pypi",
                "latest": max(finals or self.pypi, key=_sort_key) if self.pypi else None,
                "dist_tags": {},
                "reachable": True,
                "error": "",
                "has_release": remote in self.pypi,  # the remote's last tag is the release
            }
        ]
        if self.dual:
            tags = {tag: v for v, tag in self.npm}
            targets.append(
                {
                    "name": "npm",
                    "kind": "npm",
                    "latest": tags.get("latest"),
                    "dist_tags": tags,
                    "reachable": True,
                    "error": "",
                    "has_release": semver(remote) in (v for v, _ in self.npm),
                }
            )
        return {
            "project": self.name,
            "files_version": last,
            "local_tag": f"v{last}",
            "remote_tag": f"v{remote}",
            "remote_reachable": True,
            "targets": targets,
            "journal_version": None,
            "journal_state": None,
        }


def _sort_key(version: str) -> tuple[int, ...]:
    """1.2.0rc1 < 1.2.0; enough for the versions used here."""
    core, _, rc = version.partition("rc")
    return (*(int(p) for p in core.split(".")), int(rc) if rc else 1_000)


def semver(version: str) -> str:
    core, _, rc = version.partition("rc")
    return f"{core}-rc.{rc}" if rc else core


def projects() -> list[Project]:
    history = ["0.1.0", "0.2.0", "0.3.0", "0.4.0", "1.0.0", "1.1.0"]
    out = []
    for i in range(PROJECTS):
        dual = i % 2 == 1
        p = Project(
            index=i,
            dual=dual,
            versions=list(history),
            pushed=len(history),
            pypi=["1.0.0", "1.1.0"],
            npm=[("1.0.0", "latest"), ("1.1.0", "latest")] if dual else [],
            drift=[],
            scenario="in sync",
        )
        if i == 3:  # a release candidate after 1.1.0, on both registries
            p.versions.append("1.2.0rc1")
            p.pushed += 1
            p.pypi.append("1.2.0rc1")
            p.npm.append(("1.2.0-rc.1", "rc"))
            p.scenario = "rc after 1.1.0, in sync"
        elif i == 7:  # tagged here, never pushed nor published
            p.versions.append("1.2.0")
            p.drift = ["tag v1.2.0 is not on origin"]
            p.scenario = "tag v1.2.0 not pushed"
        elif i == 8:  # tagged and pushed, never published: the index answers 404
            p.pypi = []
            p.drift = ["tag v1.1.0 is out but pypi has nothing"]
            p.scenario = "nothing on the index (404)"
        out.append(p)
    return out


def write_version(repo: Path, p: Project, version: str) -> None:
    # All that status reads of pyproject.toml: the distribution's name and the version.
    (repo / "pyproject.toml").write_text(f'[project]\nname = "{p.name}"\nversion = "{version}"\n')
    init = repo / "src" / p.module / "__init__.py"
    init.parent.mkdir(parents=True, exist_ok=True)
    init.write_text(f'"""{p.name}."""\n\n__version__ = "{version}"\n')
    if p.dual:
        package = {"name": p.name, "version": semver(version), "main": "index.js"}
        (repo / "package.json").write_text(json.dumps(package, indent=2) + "\n")
        (repo / "index.js").write_text(f"exports.version = {json.dumps(semver(version))};\n")


def make_repository(base: Path, p: Project, daemon: GitDaemon) -> Path:
    """A history of feat + release commits, one annotated tag per version, pushed in part."""
    repo = base / p.name
    repo.mkdir()
    daemon.create_bare(p.name)
    git(repo, "init", "--quiet", "--initial-branch=main")
    (repo / "README.md").write_text(f"# {p.name}\n")
    for n, version in enumerate(p.versions):
        if n:
            (repo / "CHANGES.txt").write_text(f"work towards {version}\n")
            git(repo, "add", "--all")
            git(repo, "commit", "--quiet", "-m", f"feat: feature {n}")
        write_version(repo, p, version)
        git(repo, "add", "--all")
        git(repo, "commit", "--quiet", "-m", f"chore(release): {version}")
        git(repo, "tag", "--annotate", "-m", f"Release {version}", f"v{version}")
        if n + 1 == p.pushed:
            git(repo, "remote", "add", "origin", daemon.url_for(p.name))
            tags = [f"v{v}" for v in p.versions[: p.pushed]]
            git(repo, "push", "--quiet", "--atomic", "origin", "main", *tags)
            git(repo, "branch", "--quiet", "--set-upstream-to=origin/main", "main")
    return repo


def write_config(configs: Path, p: Project, repo: Path, svc: Services) -> Path:
    files = ["pyproject.toml:project.version", f"src/{p.module}/__init__.py:__version__"]
    if p.dual:
        files.append("package.json:version")
    text = (
        f"name = {json.dumps(p.name)}\npath = {json.dumps(str(repo))}\n"
        'branch = "main"\nremote = "origin"\ntag_format = "v{version}"\n\n'
        f"[version]\nfiles = {json.dumps(files)}\n\n"
        f'[[targets]]\nname = "pypi"\nkind = "pypi"\nurl = {json.dumps(svc.pypi.url)}\n'
        f'username_env = "{ENV_USER}"\npassword_env = "{ENV_PASSWORD}"\n'
    )
    if p.dual:
        text += (
            f'\n[[targets]]\nname = "npm"\nkind = "npm"\nregistry = {json.dumps(svc.npm.url)}\n'
            f'token_env = "{ENV_TOKEN}"\n'
        )
    path = configs / f"{p.name}.toml"
    path.write_text(text)
    return path


def publish(work: Path, all_projects: list[Project], svc: Services) -> tuple[int, int]:
    """Upload the wheels with twine (one call) and each npm version with `npm publish`."""
    wheels_dir = work / "wheels"
    wheels_dir.mkdir()
    wheels = [tiny_wheel(wheels_dir, p.name, v) for p in all_projects for v in p.pypi]
    run(
        [
            *(sys.executable, "-m", "twine", "upload", "--repository-url", svc.pypi.url),
            *("--non-interactive", "--disable-progress-bar", *map(str, wheels)),
        ],
        work,
        svc.pypi.twine_env(base_env()),
    )
    npm_home = work / "npm-client"
    env = isolated_npm_env(npm_home / "cache", base_env())
    env["npm_config_userconfig"] = str(svc.npm.npmrc(npm_home / "npmrc"))
    published = 0
    for p in all_projects:
        for version, tag in p.npm:
            package = npm_home / f"{p.name}-{version}"
            package.mkdir()
            manifest = {"name": p.name, "version": version, "main": "index.js", "license": "MIT"}
            (package / "package.json").write_text(json.dumps(manifest))
            (package / "index.js").write_text(f"exports.version = {json.dumps(version)};\n")
            run(["npm", "publish", "--registry", svc.npm.url, "--tag", tag], package, env)
            published += 1
    return len(wheels), published


# --------------------------------------------------------------------------------------
# Measuring and checking
# --------------------------------------------------------------------------------------


@dataclass
class Case:
    label: str
    args: list[str]
    seconds: list[float] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def timed(case: Case, work: Path, env: Mapping[str, str]) -> None:
    start = time.perf_counter()
    proc = run([sys.executable, "-m", "release", *case.args], work, env, check=False)
    case.seconds.append(time.perf_counter() - start)
    if proc.returncode != 0:
        raise BenchError(
            f"release {' '.join(case.args)} exited {proc.returncode}:\n"
            f"{(proc.stdout + proc.stderr).strip()[-3000:]}"
        )
    case.outputs.append(proc.stdout)


def check(stdout: str, wanted: list[Project]) -> list[str]:
    """Every difference between status's JSON and what was set up, as one line each."""
    try:
        found = {s["project"]: s for s in json.loads(stdout)["projects"]}
    except (ValueError, KeyError, TypeError) as exc:
        return [f"not the JSON expected ({exc}): {stdout[:300]!r}"]
    problems = []
    if sorted(found) != sorted(p.name for p in wanted):
        problems.append(f"projects {sorted(found)}, expected {[p.name for p in wanted]}")
    for p in wanted:
        got = found.get(p.name)
        if got is None:
            continue
        for key, value in p.expected().items():
            if got.get(key) != value:
                problems.append(f"{p.name}: {key} is {got.get(key)!r}, expected {value!r}")
        drift = got.get("drift", [])
        if len(drift) != len(p.drift) or not all(
            note.startswith(start) for note, start in zip(drift, p.drift, strict=False)
        ):
            problems.append(f"{p.name}: drift {drift!r}, expected notes starting {p.drift!r}")
    return problems


def summary_line(status: dict[str, Any]) -> str:
    targets = []
    for t in status["targets"]:
        extra = ", ".join(f"{k}={v}" for k, v in t["dist_tags"].items() if k != "latest")
        shown = (t["latest"] or "nothing") if t["reachable"] else "UNREACHABLE"
        targets.append(f"{t['name']} {shown}" + (f" [{extra}]" if extra else ""))
    remote = status["remote_tag"] if status["remote_reachable"] else "UNREACHABLE"
    drift = "; ".join(status["drift"]) or "in sync"
    return (
        f"files {status['files_version']:<9} local {status['local_tag']:<10} "
        f"remote {remote:<10} {', '.join(targets):<42} {drift}"
    )


def check_tools() -> None:
    missing = [m for m in ("pypiserver", "passlib", "twine") if importlib.util.find_spec(m) is None]
    if missing:
        raise BenchError(f"{', '.join(missing)} not installed for {sys.executable}")
    absent = [tool for tool in ("git", "node", "npm") if shutil.which(tool) is None]
    if absent:
        raise BenchError(f"{' and '.join(absent)} not on PATH")
    if not VERDACCIO_BIN.is_file():
        raise BenchError(f"verdaccio is not installed ({VERDACCIO_BIN}): npm ci --prefix registry")


def machine() -> str:
    cpu = "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as handle:
        cpu = next(
            (ln.split(":", 1)[1].strip() for ln in handle if ln.startswith("model name")), cpu
        )
    node = run(["node", "--version"], ROOT).stdout.strip()
    verdaccio = json.loads((VERDACCIO_BIN.parent.parent / "package.json").read_text())["version"]
    pypiserver = run(
        [sys.executable, "-c", "import pypiserver; print(pypiserver.__version__)"], ROOT
    ).stdout.strip()
    gitv = git(ROOT, "--version").removeprefix("git version ")
    return (
        f"{len(os.sched_getaffinity(0))} CPUs, {cpu}, Linux {platform.release()}; "
        f"Python {platform.python_version()}; git {gitv}; node {node}; verdaccio {verdaccio}; "
        f"pypiserver {pypiserver}"
    )


def revision() -> str:
    head = run(["git", "rev-parse", "--short=12", "HEAD"], ROOT, check=False).stdout.strip()
    dirty = run(["git", "status", "--porcelain", "--", "release"], ROOT, check=False).stdout
    return (head or "no commit") + (" + uncommitted changes in release/" if dirty else "")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each command (3)")
    parser.add_argument("--json", action="store_true", help="also print every figure as JSON")
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary directory (servers still stop)"
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def _terminate(signum: int, frame: FrameType | None) -> None:
    # Turn SIGTERM into an exception so that the finally blocks stop the servers.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    work = Path(tempfile.mkdtemp(prefix="release-status-bench-"))
    print(f"workdir {work}", flush=True)
    try:
        return measure(work, args)
    except (BenchError, ServiceError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return BROKEN
    except KeyboardInterrupt:
        print("interrupted; servers stopped", file=sys.stderr)
        return 130
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def measure(work: Path, args: argparse.Namespace) -> int:  # noqa: PLR0915
    check_tools()
    info = machine()
    all_projects = projects()
    setup = time.perf_counter()
    with services(work) as svc:
        repos, configs = work / "repos", work / "configs"
        repos.mkdir()
        configs.mkdir()
        for p in all_projects:
            repo = make_repository(repos, p, svc.git)
            write_config(configs, p, repo, svc)
        wheels, npm_versions = publish(work, all_projects, svc)
        credentials = work / "credentials.env"
        fd = os.open(credentials, os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(
                f"{ENV_USER}={svc.pypi.username}\n{ENV_PASSWORD}={svc.pypi.password}\n"
                f"{ENV_TOKEN}={svc.npm.token}\n"
            )
        setup = time.perf_counter() - setup
        env = base_env()
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        env["RELEASE_CONFIG_DIR"] = str(configs)
        env["NO_COLOR"] = "1"
        status = ["status", "--env-file", str(credentials), "--json"]
        names = [a for p in all_projects for a in ("--project", p.name)]
        ten = Case(f"ten projects: status --project x{PROJECTS} --json", [*status, *names])
        one = Case(f"one project: status --project {ONE} --json", [*status, "--project", ONE])
        floor = Case("start-up floor: python -m release --version", ["--version"])
        every = Case("ten projects: status --all --json (guard only)", [*status, "--all"])

        # Correctness guard, untimed (it also warms the servers and the bytecode caches).
        timed(every, work, env)
        timed(ten, work, env)
        timed(one, work, env)
        only_one = [p for p in all_projects if p.name == ONE]
        wrong = [f"--project x{PROJECTS}: {w}" for w in check(ten.outputs[0], all_projects)]
        wrong += [f"--all: {w}" for w in check(every.outputs[0], all_projects)]
        wrong += [f"--project {ONE}: {w}" for w in check(one.outputs[0], only_one)]
        for case in (ten, one):
            case.seconds.clear()
            case.outputs.clear()

        cases = [ten, one, floor]
        for n in range(args.runs):
            for case in cases if n % 2 == 0 else reversed(cases):
                timed(case, work, env)
        for case in (ten, one):
            for output in case.outputs:
                subset = all_projects if case is ten else only_one
                label = f"--project x{PROJECTS}" if case is ten else f"--project {ONE}"
                wrong += [f"{label}: {w}" for w in check(output, subset)]
        wrong = list(dict.fromkeys(wrong))  # the same mistake in every run is listed once
        last = {s["project"]: s for s in json.loads(ten.outputs[-1])["projects"]}

    ratio = ten.median / one.median
    above = (ten.median - floor.median) / max(one.median - floor.median, 1e-9)
    passed = ten.median < TARGET_SECONDS
    print(f"machine: {info}")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M %Z')}; runs per command: {args.runs}")
    print(f"measured: release at {revision()}")
    print()
    print(
        f"set up in {setup:.1f} s (untimed): pypiserver {svc.pypi.url}, verdaccio {svc.npm.url}, "
        f"git daemon {svc.git.url}; {PROJECTS} projects ({PROJECTS - PROJECTS // 2} PyPI only, "
        f"{PROJECTS // 2} PyPI + npm), {wheels} wheels uploaded with twine, {npm_versions} npm "
        "versions published with npm publish"
    )
    print()
    print("answers of the last timed `release status --json` (checked against the set-up):")
    for p in all_projects:
        print(f"  {p.name}  {p.scenario:<27} {summary_line(last[p.name])}")
    print()
    print(f"  {'case':<52} {'runs':>4} {'median s':>9} {'min s':>7} {'max s':>7}")
    for case in cases:
        print(
            f"  {case.label:<52} {len(case.seconds):>4} {case.median:>9.3f} "
            f"{min(case.seconds):>7.3f} {max(case.seconds):>7.3f}"
        )
    print()
    print("targets (medians from the same runs):")
    verdict = "PASS" if passed else "FAIL"
    print(f"  ten projects within {TARGET_SECONDS:g} s          {ten.median:8.3f} s   {verdict}")
    print(f"  ten / one project                  {ratio:8.2f}x    (10x if run one after another)")
    print(f"  ten / one, above the start-up floor {above:7.2f}x")
    if wrong:
        print()
        print(f"!!! status answered wrong ({len(wrong)}):")
        for line in wrong:
            print(f"  {line}")
    else:
        print("answers: every project as set up, no registry or remote unreachable")
    if args.json:
        figures = {
            "runs": args.runs,
            "cases": {c.label: {"seconds": c.seconds, "median": c.median} for c in cases},
            "ratio_ten_one": ratio,
            "ratio_above_floor": above,
            "target_seconds": TARGET_SECONDS,
            "passed": passed,
            "wrong": wrong,
        }
        print(json.dumps(figures, indent=2))
    if wrong:
        return WRONG
    return OK if passed else SLOW


if __name__ == "__main__":
    raise SystemExit(main())
