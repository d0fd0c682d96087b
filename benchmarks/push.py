"""How long a whole push of the bundled example takes, and how much of it is the tool itself.

Runs against the local sandbox (scripts/sandbox.py): each run resets the demo repository
and the index, then times `release push` end to end. The tool's own share is the wall
time minus the time spent waiting for the commands it runs (tests, build, twine, pip,
git). It also times how long a reused `nox -s push` takes before its first phase starts.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SANDBOX = [sys.executable, str(ROOT / "scripts" / "sandbox.py")]
PUSH_ARGS = ["push", "--project", "demo", "--env-file", ".sandbox/credentials.env", "--ci"]


def reset() -> None:
    subprocess.run([*SANDBOX, "up", "--reset"], cwd=ROOT, check=True, capture_output=True)


def timed_push() -> dict[str, float]:
    reset()
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "release", *PUSH_ARGS, "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    report = json.loads(proc.stdout)
    if report["outcome"] != "released":
        sys.exit(f"push did not release: {report['summary']}\n{proc.stderr[-2000:]}")
    steps = {s["name"]: s["seconds"] for s in report["steps"]}
    return {
        "wall": wall,
        "commands": report["commands_seconds"],
        "own": wall - report["commands_seconds"],
        "build": steps.get("build", 0.0),
        "upload": steps.get("publish sandbox", 0.0),
        "verify": steps.get("verify sandbox", 0.0),
    }


def nox_startup(nox: list[str]) -> float:
    """Seconds from starting a reused `nox -s push` to its first phase line."""
    reset()
    start = time.perf_counter()
    proc = subprocess.Popen(
        [*nox, "-s", "push", "--", *PUSH_ARGS[1:]],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    first = None
    for line in proc.stdout:
        if first is None and "== phase 1" in line:
            first = time.perf_counter() - start
    proc.wait(timeout=600)
    if first is None or proc.returncode != 0:
        sys.exit(f"nox -s push failed (exit {proc.returncode})")
    return first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    nox = [sys.executable, "-m", "nox"]
    # The first nox run creates the session environment; it is not what we measure.
    subprocess.run(
        [*nox, "-s", "push", "--", "--help"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env={**os.environ},
    )
    pushes, starts = [], []
    for _ in range(args.runs):
        pushes.append(timed_push())
        starts.append(nox_startup(nox))
    med = {k: statistics.median(p[k] for p in pushes) for k in pushes[0]}
    print(f"whole push of the demo, median of {args.runs} runs")
    print(f"  wall time              {med['wall']:6.2f} s")
    print(
        f"  commands it runs       {med['commands']:6.2f} s  "
        f"(build {med['build']:.2f}, upload {med['upload']:.2f}, verify {med['verify']:.2f})"
    )
    own_ok = "PASS" if med["own"] < 1.5 else "FAIL"
    print(
        f"  the tool itself        {med['own']:6.2f} s  ({med['own'] / med['wall']:.0%} of wall)"
        f"  target < 1.5 s: {own_ok}"
    )
    start = statistics.median(starts)
    print(
        f"reused `nox -s push` until phase 1 starts: {start:.2f} s  "
        f"target < 2 s: {'PASS' if start < 2 else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
