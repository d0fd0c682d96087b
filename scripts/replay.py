"""Replay a project's last releases through `release plan` and count how many it gets exactly.

For each of the last N final releases (newest first): the repository as it was just
before the release (the parent of a release commit that changed the version files,
else the tagged commit itself), with that release's tag and every later one hidden,
then `release plan`; the planned version is compared with the one really released.

    python scripts/replay.py /path/to/repo --tag-format 'v{version}' \\
        --files pyproject.toml:project.version -n 40
    python scripts/replay.py /path/to/repo --files '' --scheme semver -n 40

The repository is cloned (locally, hard links) into a scratch directory; it is never
changed, and only the files a plan reads are checked out. Prints each mismatch, then
`R/T exact`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from release.config import load_config
from release.errors import ReleaseError
from release.history import tag_glob, tag_version
from release.plan import Options, build_plan
from release.version import Version


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-c", "advice.detachedHead=false", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if result.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed in {cwd}:\n{result.stderr}")
    return result.stdout


def releases(work: Path, tag_format: str) -> list[tuple[Version, str]]:
    """Every tag naming a version, oldest first."""
    tags = git(work, "tag", "--list", tag_glob(tag_format)).split()
    found = [(v, t) for t in tags if (v := tag_version(tag_format, t)) is not None]
    return sorted(found, key=lambda vt: vt[0].sort_key())


def config_text(args: argparse.Namespace, work: Path) -> str:
    files = [f for f in args.files.split(",") if f]
    lines = [
        'name = "replay"',
        f"path = {json.dumps(str(work))}",
        f"tag_format = {json.dumps(args.tag_format)}",
        "[version]",
        f"files = {json.dumps(files)}",
    ]
    if args.scheme:
        lines.append(f"scheme = {json.dumps(args.scheme)}")
    if args.major_on_zero:
        lines.append("major_on_zero = true")
    if args.source:
        lines.append(f"source = {json.dumps(args.source)}")
    return "\n".join(lines) + "\n" + (args.extra.replace("\\n", "\n") if args.extra else "") + "\n"


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repository", type=Path, help="a git repository (bare or not)")
    parser.add_argument("--tag-format", default="v{version}")
    parser.add_argument(
        "--files", default="", help="version files, comma-separated ('' for tag-only)"
    )
    parser.add_argument("--scheme", choices=["pep440", "semver"])
    parser.add_argument("--major-on-zero", action="store_true")
    parser.add_argument("--source", choices=["tag", "files"], help="[version] source")
    parser.add_argument(
        "--extra", default="", help="more config TOML, e.g. '[commits]\\nsquash = \"off\"'"
    )
    parser.add_argument("-n", type=int, default=40, help="how many releases, newest first")
    parser.add_argument("--remote-url", help="the origin URL the notes' links are built from")
    parser.add_argument("--work", type=Path, help="scratch directory (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    parser.add_argument("--verbose", "-v", action="store_true", help="print every release")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    scratch = (args.work or Path(tempfile.mkdtemp(prefix="replay-"))).resolve()
    scratch.mkdir(parents=True, exist_ok=True)
    work = scratch / "repo"
    if not work.exists():
        git(scratch, "clone", "-q", "--no-checkout", str(args.repository.resolve()), str(work))
    # Only what a plan reads: faster, and mirrors whose large blobs are absent still work.
    sparse = ["/pyproject.toml", "/towncrier.toml", "/CHANGELOG*", "/changelog.d/", "/README*"]
    sparse += [f"/{f.split(':', 1)[0]}" for f in args.files.split(",") if f]
    git(work, "sparse-checkout", "set", "--no-cone", *sparse)
    if args.remote_url:
        git(work, "remote", "set-url", "origin", args.remote_url)
    config = scratch / "replay.toml"
    config.write_text(config_text(args, work), encoding="utf-8")
    files = {f.split(":", 1)[0] for f in args.files.split(",") if f}

    every = releases(work, args.tag_format)
    finals = [vt for vt in every if not vt[0].is_prerelease][-args.n :]
    exact = 0
    started = time.monotonic()
    commits = {tag: git(work, "rev-parse", f"{tag}^{{commit}}").strip() for _, tag in finals}
    for version, tag in reversed(finals):
        for later, later_tag in every:
            if not later.sort_key() < version.sort_key():
                git(work, "tag", "-d", later_tag)
        every = [vt for vt in every if vt[0].sort_key() < version.sort_key()]
        commit = commits[tag]
        touched = set(git(work, "diff-tree", "--no-commit-id", "--name-only", "-r", commit).split())
        before = f"{commit}^" if files & touched else commit
        git(work, "checkout", "-q", "-f", "--detach", before)
        git(work, "clean", "-q", "-fdx", "-e", ".git")
        wanted = version.render(args.scheme or "pep440")
        try:
            plan = build_plan(load_config(config), Options())
            got = plan.next_version_str or "nothing"
            why = plan.why_nothing or "; ".join(plan.reasons[:3])
        except ReleaseError as exc:
            got, why = "error", str(exc).replace("\n", " ")
        if got == wanted:
            exact += 1
            if args.verbose:
                print(f"ok       {tag}: {why}")
        else:
            print(f"MISMATCH {tag} released {wanted}, plan {got} at {before[:12]}: {why}")
    elapsed = time.monotonic() - started
    print(f"{exact}/{len(finals)} exact ({elapsed:.1f}s)")
    if not args.keep and args.work is None:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0 if exact == len(finals) else 1


if __name__ == "__main__":
    sys.exit(main())
