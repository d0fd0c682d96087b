"""How long a whole push of the bundled PyPI example takes, step by step, and how much of
it is the tool itself.

Starts its own pypiserver on a free port of 127.0.0.1 (the test suite's class in
tests/services.py; the sandbox under .sandbox/ and its fixed ports are not touched), and for
every run makes the example anew: examples/demo with the sandbox's own history (a feature
with its fragment, a fix, docs; tag v0.1.0) in a git repository with a bare file:// remote.
Then it times `release push --ci --json` as a whole process. The project's tests are
excluded (its config here has no test command), as the goals say.

Goals: under 3 s of commands (build, twine, uv, git: the report's commands_seconds) and
under 0.3 s in the tool itself (the whole process's wall time less those commands),
medians of the runs. The server is stopped at the end, whatever happened.

Exit code: 0 when every run released, 2 when a run or the server failed.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from services import PypiServer, ServiceError  # type: ignore[import-not-found,unused-ignore]  # noqa: E402

COMMAND_TIMEOUT = 300.0
GOAL_COMMANDS = 3.0
GOAL_OWN = 0.3
USER_ENV, PASSWORD_ENV = "BENCH_PYPI_USERNAME", "BENCH_PYPI_PASSWORD"


def _sandbox() -> ModuleType:
    """scripts/sandbox.py, for the example's history exactly as the demo has it."""
    spec = importlib.util.spec_from_file_location("sandbox", ROOT / "scripts" / "sandbox.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["sandbox"] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_demo(base: Path, sandbox: ModuleType) -> Path:
    """The demo repository (pushed to a bare remote) and its config; returns the config."""
    remote, work = base / "demo.git", base / "demo"
    _git(base, "init", "-q", "--bare", "-b", "main", str(remote))
    shutil.copytree(
        ROOT / "examples" / "demo",
        work,
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "dist"),
    )
    _git(base, "init", "-q", "-b", "main", str(work))
    _git(work, "config", "user.name", "Bench")
    _git(work, "config", "user.email", "bench@example.invalid")
    _git(work, "add", "--all")
    _git(work, "commit", "-q", "-m", "chore: initial import")
    _git(work, "tag", "-a", "-m", "Release 0.1.0", "v0.1.0")
    with contextlib.redirect_stdout(None):
        sandbox.demo_history(work)
    _git(work, "remote", "add", "origin", remote.as_uri())
    _git(work, "push", "-q", "--atomic", "origin", "main", "v0.1.0")
    _git(work, "branch", "-q", "--set-upstream-to=origin/main", "main")
    return work


def write_config(base: Path, work: Path, server: PypiServer) -> Path:
    demo = (ROOT / "configs" / "projects" / "demo.toml").read_text()
    config = base / "demo.toml"
    config.write_text(
        textwrap.dedent(
            f"""\
            name = "demo"
            path = {json.dumps(str(work))}
            tag_format = "v{{version}}"

            [version]
            files = ["pyproject.toml:project.version", "src/demo_greeter/__init__.py:__version__"]

            [changelog]
            file = "CHANGELOG.md"
            fragments = "changelog.d"

            [docs]
            files = ["README.md"]

            [commands]
            health = {json.dumps(_health(demo))}

            [[targets]]
            name = "sandbox"
            kind = "pypi"
            url = {json.dumps(server.url)}
            username_env = "{USER_ENV}"
            password_env = "{PASSWORD_ENV}"
            """
        )
    )
    return config


def _health(demo_config: str) -> str:
    import tomllib

    return str(tomllib.loads(demo_config)["commands"]["health"])


def timed_push(config: Path, server: PypiServer, profile: Path | None = None) -> dict[str, Any]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "TWINE_"))},
        USER_ENV: server.username,
        PASSWORD_ENV: server.password,
        "NO_PROXY": "127.0.0.1",
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: bytecode cached after a first run
    # --profile: the same push under cProfile (slower; its figures are not the goals').
    python = [sys.executable, *(["-m", "cProfile", "-o", str(profile)] if profile else [])]
    start = time.perf_counter()
    proc = subprocess.run(
        [*python, "-m", "release", "push", "--config", str(config), "--ci", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=COMMAND_TIMEOUT,
    )
    wall = time.perf_counter() - start
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise SystemExit(
            f"push printed no report (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
        ) from exc
    if report.get("outcome") != "released":
        raise SystemExit(f"push did not release: {report.get('summary')}\n{proc.stderr[-3000:]}")
    # Phase 1's checks are not steps of the report: their times come from the progress
    # lines (`   NAME: ok (1.2 s)`, to a tenth of a second); the report's are to the ms.
    steps = {
        m[1]: float(m[2])
        for m in re.finditer(r"^\S+ +(.+?): ok \(([\d.]+) s\)$", proc.stderr, re.M)
    }
    steps.update({s["name"]: s["seconds"] for s in report["steps"]})
    steps["(outside every step)"] = wall - sum(steps.values())
    return {
        "wall": wall,
        "commands": report["commands_seconds"],
        "own": wall - report["commands_seconds"],
        "steps": steps,
    }


def _wipe(server: PypiServer) -> None:
    for item in server.packages_dir.iterdir():
        if item.is_file():
            item.unlink()


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # the finally blocks stop the server


@contextlib.contextmanager
def pypi(work: Path) -> Iterator[PypiServer]:
    server = PypiServer(work / "pypi", username="bench")
    try:
        server.start()
        yield server
    finally:
        server.stop()


def measure(runs: int, profile: Path | None = None) -> dict[str, Any]:
    """Every run on a fresh copy of the example; the figures' medians and each step's."""
    sandbox = _sandbox()
    work = Path(tempfile.mkdtemp(prefix="release-push-bench-"))
    try:
        with pypi(work) as server:
            results = []
            # One untimed push first: a machine that has released once has its bytecode and
            # its installers' caches; every run after it is timed.
            for index in range(runs + 1):
                base = work / f"run{index}"
                base.mkdir()
                config = write_config(base, make_demo(base, sandbox), server)
                _wipe(server)
                last = profile if profile and index == runs else None
                result = timed_push(config, server, last)
                if index:
                    results.append(result)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    steps = list(results[0]["steps"])
    return {
        "runs": runs,
        "wall": statistics.median(r["wall"] for r in results),
        "commands": statistics.median(r["commands"] for r in results),
        "own": statistics.median(r["own"] for r in results),
        "steps": {s: statistics.median(r["steps"].get(s, 0.0) for r in results) for s in steps},
    }


def report(figures: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    """Print the breakdown; return the goals as (label, figure, goal, passed)."""
    print(f"push of the bundled PyPI example (tests excluded), median of {figures['runs']} runs")
    print(f"  {'step':<28} {'seconds':>8}")
    for name, seconds in figures["steps"].items():
        print(f"  {name:<28} {seconds:>8.3f}")
    print(f"  {'whole process (wall)':<28} {figures['wall']:>8.3f}")
    goals = [
        (
            "push: commands it runs",
            f"{figures['commands']:.2f} s",
            f"< {GOAL_COMMANDS:g} s",
            figures["commands"] < GOAL_COMMANDS,
        ),
        (
            "push: the tool itself (wall - commands)",
            f"{figures['own']:.2f} s",
            f"< {GOAL_OWN:g} s",
            figures["own"] < GOAL_OWN,
        ),
    ]
    for label, value, goal, passed in goals:
        print(f"  {label:<42} {value:>9}   goal {goal:<8} {'PASS' if passed else 'FAIL'}")
    return goals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument(
        "--profile",
        type=Path,
        help="write the last run's cProfile statistics here (python -m pstats FILE to read)",
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        figures = measure(max(1, args.runs), args.profile.resolve() if args.profile else None)
    except (ServiceError, subprocess.SubprocessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report(figures)
    if args.json:
        print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
