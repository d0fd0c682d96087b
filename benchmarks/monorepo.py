"""A repository of 50 packages released in one push: total wall time, the tool's own share,
and each phase's share.

Generates the repository in a temporary folder (25 Python packages on a local pypiserver, 25
npm packages on a local verdaccio, with chains and fan-outs of internal dependencies; every
package at 1.0.0, then a `feat:` commit in each), starts both servers on free ports of
127.0.0.1 (the test suite's classes in tests/services.py), and times `release push --ci
--json` as a whole process, cold: a fresh repository, no cache. The tool's own share is the
wall time less the commands it ran (the report's `commands_seconds`, which counts every
child process: git, build, twine, npm, uv); each phase's share comes from the report's steps.

Goals on a 2-core machine: the whole release under 2 minutes, the tool's own share under 10 %.
Exit code: 0 when the release finished and both goals hold, 3 when a goal fails, 2 when the
release or a server failed. The servers are stopped at the end, whatever happened.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from monorepo import Pkg, make_monorepo  # type: ignore[import-not-found,unused-ignore]  # noqa: E402
from services import NpmRegistry, PypiServer  # type: ignore[import-not-found,unused-ignore]  # noqa: E402

GOAL_WALL = 120.0
GOAL_OWN_SHARE = 0.10
TIMEOUT = 1800.0


def packages(count: int) -> list[Pkg]:
    """Half Python, half npm; in each half chains of three (a <- b <- c) and a fan-out (every
    fifth package depended upon by the next four)."""
    found: list[Pkg] = []
    for kind, stem in (("pypi", "py"), ("npm", "js")):
        names = [f"bench-{stem}-{i:02d}" for i in range(count // 2)]
        for i, name in enumerate(names):
            if i % 5 == 0:
                deps: tuple[str, ...] = ()
            elif i % 5 in (1, 2):
                deps = (names[i - 1],)  # a chain
            else:
                deps = (names[i - i % 5],)  # fanning out of the fifth
            found.append(Pkg(name, kind, deps))
    return found


def release(config: Path, env: dict[str, str]) -> tuple[float, dict[str, Any], str, int]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "release", "push", "--config", str(config), "--ci", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        env=env,
    )
    wall = time.perf_counter() - start
    report = json.loads(proc.stdout) if proc.stdout.strip() else {}
    return wall, report, proc.stderr, proc.returncode


_PHASE_LINE = re.compile(r"^(\S+Z) == phase (\d+): (.+)$")


def phase_walls(stderr: str, wall: float) -> list[tuple[str, float]]:
    """Each phase's wall time, from the timestamps of the `--ci` phase lines (1 s resolution);
    the first phase starts with the process, the last ends with it."""
    marks = []
    for line in stderr.splitlines():
        found = _PHASE_LINE.match(line.strip())
        if found:
            when = dt.datetime.strptime(found[1], "%Y-%m-%dT%H:%M:%SZ")
            marks.append((found[3], when))
    if not marks:
        return []
    first = marks[0][1]
    ends = [*((m[1] - first).total_seconds() for m in marks[1:]), wall]
    starts = [0.0, *ends[:-1]]
    return [(m[0], end - start) for m, start, end in zip(marks, starts, ends, strict=True)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=50, help="how many (even; default 50)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-monorepo-") as tmp:
        base = Path(tmp)
        with PypiServer(base / "pypi") as server, NpmRegistry(base / "npm") as registry:
            found = packages(args.packages)
            made = time.perf_counter()
            repo = make_monorepo(
                base,
                "bench",
                found,
                server.url,
                server.simple_url,
                registry.url,
            )
            print(f"generated {len(found)} packages in {time.perf_counter() - made:.1f} s")
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))},
                "TEST_PYPI_USERNAME": server.username,
                "TEST_PYPI_PASSWORD": server.password,
                "TEST_NPM_TOKEN": registry.token,
                "NO_PROXY": "127.0.0.1",
            }
            wall, report, stderr, code = release(repo.config, env)
    if code != 0 or report.get("outcome") != "released":
        print(f"the release did not finish (exit {code}):\n{stderr[-3000:]}", file=sys.stderr)
        return 2
    commands = float(report.get("commands_seconds", 0.0))
    own = wall - commands
    print(f"released {len(found)} packages in one push ({len(report['steps'])} steps)")
    print(f"{'phase (wall, from the --ci timestamps)':<40}{'seconds':>8}{'share':>8}")
    for name, seconds in phase_walls(stderr, wall):
        print(f"  {name:<38}{seconds:>8.0f}{seconds / wall:>8.0%}")
    kinds: dict[str, float] = defaultdict(float)
    for step in report["steps"]:
        kinds[step["name"].split(" [")[0]] += step["seconds"]
    print(f"{'step kind (summed: side-by-side steps overlap)':<40}{'seconds':>8}")
    for name, seconds in sorted(kinds.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<38}{seconds:>8.1f}")
    wall_ok = wall < GOAL_WALL
    own_ok = own / wall < GOAL_OWN_SHARE
    print(
        f"whole release (wall, cold)          {wall:8.1f} s    goal < {GOAL_WALL:.0f} s"
        f"       {'PASS' if wall_ok else 'FAIL'}"
    )
    print(
        f"the tool itself (wall - commands)   {own:8.1f} s = {own / wall:.1%}"
        f"   goal < {GOAL_OWN_SHARE:.0%}   {'PASS' if own_ok else 'FAIL'}"
    )
    return 0 if wall_ok and own_ok else 3


if __name__ == "__main__":
    raise SystemExit(main())
