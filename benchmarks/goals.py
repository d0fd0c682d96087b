"""Every speed goal of the project beside its figure, measured in one run: `nox -s bench`.

Runs benchmarks/history.py (cold: fresh clones; beside python-semantic-release and the
`git log` floor) and benchmarks/push.py (the bundled PyPI example, step by step), measures
what a `--json` plan imports (`python -X importtime`), then prints one table of goals.
Options after `--` go to history.py (`--quick`, `--skip-psr`, `--runs N`, ...).

Exit code: 0 when every goal passes, 3 when one fails, 2 when a benchmark could not run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# What a plan must not load: it uses none of them (the issue's "import only what the verb
# needs"). Output is JSON, the commits are read by our own fast path, no fragment here.
HEAVY = ("rich", "git", "semantic_release", "towncrier", "twine", "detect_secrets", "build")
# What a plan loads because it uses it, shown with its cost: the config is validated
# (pydantic), and the planned edit of pyproject.toml is made as the push will (tomlkit).
USED = {"pydantic": "config validation", "tomlkit": "the planned pyproject.toml edit"}


def _json_tail(stdout: str) -> dict[str, Any]:
    """The JSON object a benchmark prints last with --json."""
    start = stdout.rfind("\n{\n")
    data: dict[str, Any] = json.loads(stdout[start + 1 :] if start >= 0 else stdout)
    return data


def _run(script: str, args: list[str]) -> dict[str, Any] | None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args, "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=3600,
    )
    sys.stdout.write(proc.stdout[: proc.stdout.rfind("\n{\n") + 1] or proc.stdout)
    if proc.returncode not in (0, 1) or "{" not in proc.stdout:
        print(f"{script} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}", file=sys.stderr)
        return None
    return _json_tail(proc.stdout)


def import_times(config: Path) -> dict[str, float]:
    """Milliseconds each package's modules take to import in a `--json` plan (the sum of
    their own times, as `python -X importtime` reports them: inflated by its bookkeeping)."""
    command = [sys.executable, "-X", "importtime", "-m", "release", "plan"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    proc = subprocess.run(
        [*command, "--config", str(config), "--json"],
        env={**env, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    times: dict[str, float] = {}
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        own, _, name = line.removeprefix("import time:").split("|")
        if not own.strip().isdigit():
            continue  # the header line
        top = name.strip().split(".")[0]
        times[top] = times.get(top, 0.0) + int(own) / 1000
    return times


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    history = _run("history.py", args)
    print()
    push = _run("push.py", ["--runs", "3"])
    if history is None or push is None:
        return 2
    goals: list[tuple[str, str, str, bool]] = []
    for target in history["targets"]:
        value, bound, kind = target["value"], target["bound"], target["kind"]
        goal = {"min-x": f">= {bound:g}x", "max-x": f"<= {bound:g}x", "max-s": f"< {bound:g} s"}
        wanted = goal.get(kind, f"< {bound:g} MiB")
        if value is None:
            goals.append((target["label"], "n/a", wanted, False))
            continue
        shown = {"max-mib": f"{value:.1f} MiB", "max-s": f"{value:.3f} s"}.get(kind)
        passed = value >= bound if kind == "min-x" else value <= bound
        goals.append((target["label"], shown or f"{value:.2f}x", wanted, passed))
    commands, own = push["commands"], push["own"]
    goals += [
        ("push: commands it runs (tests excluded)", f"{commands:.2f} s", "< 3 s", commands < 3),
        ("push: the tool itself", f"{own:.2f} s", "< 0.3 s", own < 0.3),
    ]
    clone = ROOT / ".sandbox" / "bench"
    small = sorted(clone.glob("small-*.clone.release.toml")) or sorted(clone.glob("small-*.toml"))
    if small:
        times = import_times(small[0])
        heavy = {k: v for k, v in times.items() if k in HEAVY}
        print("\nimports of a --json plan, ms by package (python -X importtime, own times):")
        for name, ms in sorted(times.items(), key=lambda kv: -kv[1])[:8]:
            print(f"  {name:<28} {ms:8.1f}")
        shown = ", ".join(f"{k} {v:.0f} ms" for k, v in heavy.items()) or "none"
        goals.append(("plan imports nothing it does not use", shown, "none", not heavy))
        for name, why in USED.items():
            spent = sum(v for k, v in times.items() if k == name or k.startswith(f"{name}_"))
            if spent:
                print(f"  used by the plan: {name} ({why}), {spent:.0f} ms")
    print("\ngoals, measured in this run:")
    width = max(len(g[0]) for g in goals)
    for label, value, goal, passed in goals:
        print(f"  {label:<{width}}  {value:>14}   goal {goal:<10} {'PASS' if passed else 'FAIL'}")
    return 0 if all(g[3] for g in goals) else 3


if __name__ == "__main__":
    raise SystemExit(main())
