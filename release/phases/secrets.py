"""The secrets gate: detect-secrets on the lines a release adds, or every file on a first one.

A large change is scanned in a process of its own (`python -P -m release.phases.secrets`, the
change on its standard input): the scan is pure Python work (tomli's 2.4.0 adds 3,565
lines: 0.7 s of it), and in the push's process it would hold the interpreter lock that the
other gates, the plan's git calls and the build started ahead need. A small one is scanned
in place: a process's start and detect-secrets' import cost more than its scan.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from release.ops.git import Git
from release.ops.process import run
from release.warmup import settle

# Past this many added lines (or files, on a first release), the scan runs apart.
APART_FROM = 1000


def scan_change(
    git: Git, root: Path, since: str | None, allowlist: str, exclude: Sequence[str] = ()
) -> tuple[bool, str]:
    """Secrets on the lines added since the last release (every line on a first release),
    outside the `exclude` patterns: whether there is none, and what was found or scanned."""
    change = _change(git, since, allowlist, exclude)
    size = change["diff"].count("\n+") if since else len(change["names"])
    if size <= APART_FROM:
        settle("detect_secrets")
        return scan(root, change)
    # -P: started in the project, whose own `release/` must not stand in for ours (the
    # folder is not put on the import path; the user's site and PYTHONPATH still are, as
    # for the push itself, so a `pip install --user` of the tool is found).
    command = [sys.executable, "-P", "-m", "release.phases.secrets", str(root)]
    found = run(command, cwd=root, stdin=json.dumps(change), timeout=900)
    ok, detail = json.loads(found.stdout)
    return bool(ok), str(detail)


def _change(git: Git, since: str | None, allowlist: str, exclude: Sequence[str]) -> dict[str, Any]:
    """What a scan reads: the diff since the last release, or every file on a first one."""
    # git's own pathspecs, from the project's folder as every configured path is.
    left_out = [f":(exclude){allowlist}", *(f":(exclude,glob){p}" for p in exclude)]
    if not since:
        names = git.out("ls-files", "--", ".", *left_out).splitlines()
        return {"since": None, "diff": "", "names": names, "allowlist": allowlist}
    # The added lines only, as detect-secrets reads a diff: scanning the changed files
    # whole cost ten times as much on twine's 7.0.0 (38 files, 355 lines added).
    # The allow-list holds hashes of secrets: it is the one file not to scan.
    # Absolute names (a/ + /top/...): detect-secrets drops a file it cannot find from
    # its own working directory, which is not the repository's.
    top = git.top()
    diff = git.out(
        "-c",
        "core.quotePath=false",
        "diff",
        "-U0",
        "--no-color",
        "--no-ext-diff",
        f"--src-prefix=a/{top}/",
        f"--dst-prefix=b/{top}/",
        f"{since}..HEAD",
        "--",
        ":(top)",
        *left_out,
    )
    return {"since": since, "diff": diff, "names": [], "allowlist": allowlist}


def scan(root: Path, change: dict[str, Any]) -> tuple[bool, str]:
    """detect-secrets over a change `_change` read, the allow-list's findings left out."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.core.secrets_collection import SecretsCollection
    from detect_secrets.settings import transient_settings

    allowed = _baseline(root / change["allowlist"])
    collection = SecretsCollection()
    # Every detector but bare hex entropy: hex strings in a change are digests (sha256 of
    # wheels in twine's tests, lockfile hashes) far more often than credentials, and a hex
    # credential assigned to a name is still caught by the keyword detector.
    detectors: dict[str, type] = dict(get_mapping_from_secret_type_to_class())
    plugins = [
        {"name": detector.__name__}
        for detector in detectors.values()
        if detector.__name__ != "HexHighEntropyString"
    ]
    diff, names = change["diff"], change["names"]
    with transient_settings({"plugins_used": plugins}):
        if change["since"]:
            collection.scan_diff(diff)
        for name in names:
            path = root / name
            if path.is_file():
                collection.scan_file(str(path))
    found = []
    for filename, secret in collection:
        rel = os.path.relpath(filename, root)
        if (rel, secret.secret_hash) in allowed:
            continue
        found.append(f"{rel}:{secret.line_number} ({secret.type})")
    if found:
        return False, "possible secrets: " + ", ".join(sorted(found))
    if not change["since"]:
        return True, f"{len(names)} files scanned (first release)"
    added = added_lines(diff)
    lines = sum(len(v) for v in added.values())
    return True, f"{lines} lines added in {len(added)} files scanned"


def added_lines(diff: str) -> dict[str, set[int]]:
    """File -> numbers of the lines a `git diff -U0` adds (in the new version of the file).

    >>> added_lines("+++ b/a.py\\n@@ -1,0 +2,2 @@\\n+x\\n+y\\n+++ /dev/null\\n@@ -1 +0,0 @@")
    {'a.py': {2, 3}}
    """
    found: dict[str, set[int]] = {}
    current: str | None = None
    for line in diff.splitlines():
        if line.startswith("+++ "):
            target = line[4:].rstrip("\t")  # git ends a name holding spaces with a tab
            current = target[2:] if target.startswith("b/") else None
        elif line.startswith("@@ ") and current is not None:
            new = line.split(" ")[2]  # +START[,COUNT]
            start, _, count = new[1:].partition(",")
            lines = range(int(start), int(start) + int(count or 1))
            if lines:
                found.setdefault(current, set()).update(lines)
    return found


def _baseline(path: Path) -> set[tuple[str, str]]:
    if not path.is_file():
        return set()
    data = json.loads(path.read_text("utf-8"))
    return {
        (filename, item["hashed_secret"])
        for filename, items in data.get("results", {}).items()
        for item in items
    }


if __name__ == "__main__":
    print(json.dumps(scan(Path(sys.argv[1]), json.load(sys.stdin))))
