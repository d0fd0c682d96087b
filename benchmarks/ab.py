"""The push of benchmarks/push.py, on two revisions of the tool, interleaved: A/B in one sitting.

A shared, noisy machine moves the push's figures by a fifth between two runs half an hour
apart; a change worth a few hundredths of a second is only seen side by side. Each
revision's `release/` package is exported (`git archive`) into a folder of its own and put
first on PYTHONPATH; every round pushes the example once with each, the order reversed
every other round, after one untimed round. It prints each revision's medians (wall,
commands, the tool itself) and every run's own time.

    python benchmarks/ab.py 9e04d6f HEAD --runs 8

Exit code: 0 when every push released, 2 when one did not (or a revision is unknown).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import push as bench  # benchmarks/push.py, beside this script

ROOT = bench.ROOT


def export(rev: str, into: Path) -> Path:
    """The tool's package as of `rev`, in a folder of its own (for PYTHONPATH)."""
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", rev, "release"],
        cwd=ROOT,
        capture_output=True,
        check=False,
        timeout=60,
    )
    if archive.returncode != 0:
        raise SystemExit(f"unknown revision {rev!r}: {archive.stderr.decode().strip()}")
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True, timeout=60)
    return into


def timed(config: Path, server: bench.PypiServer, code: Path, cwd: Path) -> tuple[float, float]:
    """(wall, commands) of one push with the tool's package from `code`."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "TWINE_"))},
        bench.USER_ENV: server.username,
        bench.PASSWORD_ENV: server.password,
        "NO_PROXY": "127.0.0.1",
        "PYTHONPATH": str(code),
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "release", "push", "--config", str(config), "--ci", "--json"],
        cwd=cwd,  # not the project root: its release/ would come first on the path
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=bench.COMMAND_TIMEOUT,
    )
    wall = time.perf_counter() - start
    report: dict[str, Any] = json.loads(proc.stdout) if proc.stdout.strip() else {}
    if report.get("outcome") != "released":
        print(f"push with {code.name} did not release:\n{proc.stderr[-2000:]}", file=sys.stderr)
        raise SystemExit(2)
    return wall, float(report["commands_seconds"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a", help="a revision of this repository (the baseline)")
    parser.add_argument("b", help="another revision (the change)")
    parser.add_argument("--runs", type=int, default=8, help="timed pushes with each (8)")
    args = parser.parse_args(argv)
    sandbox = bench._sandbox()
    work = Path(tempfile.mkdtemp(prefix="release-ab-bench-"))
    try:
        codes = {rev: export(rev, work / f"code-{i}") for i, rev in enumerate((args.a, args.b))}
        results: dict[str, list[tuple[float, float]]] = {rev: [] for rev in codes}
        with bench.pypi(work) as server:
            run = 0
            for round_ in range(max(1, args.runs) + 1):
                order = list(codes) if round_ % 2 == 0 else list(codes)[::-1]
                for rev in order:
                    base = work / f"run{run}"
                    run += 1
                    base.mkdir()
                    config = bench.write_config(base, bench.make_demo(base, sandbox), server)
                    bench._wipe(server)
                    figures = timed(config, server, codes[rev], work)
                    if round_:  # the first round is untimed: bytecode and caches
                        results[rev].append(figures)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"push of the bundled PyPI example, {args.runs} runs each, interleaved")
    for rev, runs in results.items():
        own = [wall - commands for wall, commands in runs]
        print(
            f"  {rev:<12} wall {statistics.median(w for w, _ in runs):.3f} s"
            f"  commands {statistics.median(c for _, c in runs):.3f} s"
            f"  the tool itself {statistics.median(own):.3f} s"
            f"  ({', '.join(f'{o:.2f}' for o in own)})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
