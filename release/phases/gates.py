"""Release gates: the project's machine-readable policy, checked in phase 1 before any change."""

from __future__ import annotations

import fnmatch
import json
import os
import stat
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

from release.config import LoadedConfig
from release.errors import CommandError, Problem, UsageError
from release.masking import mask
from release.ops.git import Git
from release.ops.process import run_shell
from release.plan import Plan
from release.progress import Progress


@dataclass(frozen=True)
class GateResult:
    name: str
    status: str  # passed, failed, skipped, off
    detail: str
    why: str = ""

    def to_dict(self) -> dict[str, str]:
        # A gate's detail is a command's output: it may print a credential.
        return {k: mask(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class _Outcome:
    ok: bool
    detail: str


def run_gates(
    plan: Plan, loaded: LoadedConfig, skips: dict[str, str], progress: Progress
) -> tuple[list[GateResult], list[Problem]]:
    """Run every enabled gate; a skip needs the gate to be skippable and a reason."""
    cfg = loaded.config
    gates = cfg.gates
    git = Git(loaded.root)
    builtin: list[tuple[str, bool, bool, str, Callable[[], _Outcome]]] = [
        (
            "tests",
            gates.tests.enabled,
            gates.tests.skippable,
            "the test command passes",
            lambda: _command(loaded, cfg.commands.test, "test"),
        ),
        (
            "build",
            gates.build.enabled,
            gates.build.skippable,
            "the build command passes",
            lambda: _command(loaded, cfg.commands.build, "build"),
        ),
        (
            "branch",
            gates.branch.enabled,
            gates.branch.skippable,
            "releases come from allowed branches only",
            lambda: _branch(git, gates.branch.allowed or [cfg.branch]),
        ),
        (
            "secrets",
            gates.secrets.enabled,
            gates.secrets.skippable,
            "no secret in the change being released",
            lambda: _secrets(git, loaded, plan.last_tag, gates.secrets.allowlist),
        ),
        (
            "changelog",
            gates.changelog.enabled,
            gates.changelog.skippable,
            "the changelog has an entry for this release",
            lambda: _changelog(plan, loaded),
        ),
        (
            "fragments",
            gates.fragments.enabled,
            gates.fragments.skippable,
            "no fragment of an unknown type",
            lambda: _fragments(plan, loaded),
        ),
        (
            "versions",
            gates.versions.enabled,
            gates.versions.skippable,
            "version files agree with the last tag",
            lambda: _versions(plan),
        ),
        (
            "credential_files",
            gates.credential_files.enabled,
            gates.credential_files.skippable,
            "credential files are readable by their owner only",
            lambda: _credential_files(loaded.root, gates.credential_files.files),
        ),
    ]
    for custom in gates.custom:
        builtin.append(
            (
                custom.name,
                True,
                custom.skippable,
                custom.why,
                partial(_command, loaded, custom.command, "gate"),
            )
        )
    known = {name for name, *_ in builtin}
    unknown = sorted(set(skips) - known)
    if unknown:
        raise UsageError(
            Problem(
                f"no gate named {', '.join(unknown)}",
                "--skip-gate",
                f"gates: {', '.join(sorted(known))}",
            )
        )
    results: list[GateResult] = []
    problems: list[Problem] = []
    for name, enabled, skippable, why, gate_check in builtin:
        if not enabled:
            results.append(GateResult(name, "off", "disabled in [gates]", why))
            continue
        if name in skips:
            if not skippable:
                problems.append(
                    Problem(
                        f"gate {name!r} may not be skipped",
                        "--skip-gate",
                        f"set [gates.{name}] skippable = true to allow it, or make the gate pass",
                    )
                )
            else:
                results.append(GateResult(name, "skipped", f"reason: {skips[name]}", why))
                continue
        with progress.step(f"gate {name}"):
            outcome = gate_check()
        results.append(GateResult(name, "passed" if outcome.ok else "failed", outcome.detail, why))
        if not outcome.ok:
            problems.append(
                Problem(
                    f"gate {name} failed: {outcome.detail}",
                    f"gates.{name}",
                    _FIXES.get(name, f"make it pass ({why})" if why else "make it pass"),
                )
            )
    return results, problems


_FIXES = {
    "tests": "fix what the tests report and commit, then release",
    "build": "fix the build and commit, then release",
    "branch": "switch to the release branch, or change `branch` in the config",
    "secrets": "remove the secret from the change (and rotate it); a false positive goes in "
    "the allow-list baseline (detect-secrets scan --baseline FILE)",
    "changelog": "add a changelog fragment (or a conventional commit) for this release",
    "fragments": "rename the fragment to a known type, or add the type to [tool.towncrier]",
    "credential_files": "chmod 600 the files named",
}


def _command(loaded: LoadedConfig, command: str, what: str) -> _Outcome:
    if not command:
        return _Outcome(True, f"no {what} command configured")
    try:
        run_shell(command, cwd=loaded.root)
    except CommandError as exc:
        tail = "\n".join(exc.output.strip().splitlines()[-15:])
        return _Outcome(False, f"`{command}` exited {exc.returncode}\n{tail}".rstrip())
    return _Outcome(True, f"`{command}` passed")


def _branch(git: Git, allowed: list[str]) -> _Outcome:
    current = git.branch()
    if current is None:
        return _Outcome(False, "HEAD is detached")
    if not any(fnmatch.fnmatchcase(current, pattern) for pattern in allowed):
        return _Outcome(False, f"on {current!r}, releases come from {', '.join(allowed)}")
    return _Outcome(True, f"on {current}")


def _secrets(git: Git, loaded: LoadedConfig, since: str | None, allowlist: str) -> _Outcome:
    # Imported here: detect-secrets loads its plugins at import, and only this gate needs it.
    from detect_secrets.core.secrets_collection import SecretsCollection
    from detect_secrets.settings import default_settings

    if since:
        names = git.out("diff", "--name-only", "--diff-filter=AMR", f"{since}..HEAD").splitlines()
    else:
        names = git.out("ls-files").splitlines()
    allowed = _baseline(loaded.root / allowlist)
    # The allow-list holds hashes of secrets: it is the one file not to scan.
    names = [n for n in names if n != allowlist]
    collection = SecretsCollection()
    with default_settings():
        for name in names:
            path = loaded.root / name
            if path.is_file():
                collection.scan_file(str(path))
    found = []
    for filename, secret in collection:
        rel = os.path.relpath(filename, loaded.root)
        if (rel, secret.secret_hash) in allowed:
            continue
        found.append(f"{rel}:{secret.line_number} ({secret.type})")
    if found:
        return _Outcome(False, "possible secrets: " + ", ".join(sorted(found)))
    return _Outcome(True, f"{len(names)} changed files scanned")


def _baseline(path: Path) -> set[tuple[str, str]]:
    if not path.is_file():
        return set()
    data = json.loads(path.read_text("utf-8"))
    return {
        (filename, item["hashed_secret"])
        for filename, items in data.get("results", {}).items()
        for item in items
    }


def _changelog(plan: Plan, loaded: LoadedConfig) -> _Outcome:
    if plan.next_version and plan.next_version.is_prerelease:
        return _Outcome(True, "a pre-release: the changelog waits for the final release")
    for change in plan.files:
        if (
            change.phase == "changelog"
            and change.new
            and change.path.lower().startswith(("changelog", "news", "changes", "history"))
        ):
            return _Outcome(True, f"{change.path} gets an entry")
    return _Outcome(False, "no changelog entry would be written")


def _fragments(plan: Plan, loaded: LoadedConfig) -> _Outcome:
    folder = loaded.root / loaded.config.changelog.fragments
    if not folder.is_dir():
        return _Outcome(True, "no fragments folder")
    known = {entry.split(" (", 1)[0] for entry in plan.fragments}
    ignored = {
        ".gitignore",
        ".gitkeep",
        ".keep",
        "readme",
        "readme.md",
        "readme.rst",
        "template.md",
        "template.rst",
        "template.jinja",
    }
    stray = sorted(
        str(p.relative_to(loaded.root))
        for p in folder.iterdir()
        if p.is_file()
        and p.name.lower() not in ignored
        and str(p.relative_to(loaded.root)) not in known
    )
    if stray:
        return _Outcome(False, "fragments of an unknown type: " + ", ".join(stray))
    return _Outcome(True, f"{len(known)} fragments, all of known types")


def _versions(plan: Plan) -> _Outcome:
    # The plan refuses to exist when they disagree; reaching here means they agree.
    said = ", ".join(f"{s.spec}={s.version}" for s in plan.version_files) or "no version files"
    return _Outcome(True, f"{said}; last tag {plan.last_tag or 'none'}")


def _credential_files(root: Path, files: list[str]) -> _Outcome:
    loose = []
    for name in files:
        path = root / name
        if path.is_file() and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            loose.append(f"{name} (mode {stat.S_IMODE(path.stat().st_mode):04o})")
    if loose:
        return _Outcome(False, "readable by others: " + ", ".join(loose))
    present = [n for n in files if (root / n).is_file()]
    return _Outcome(True, f"{len(present)} present, all 0600" if present else "none present")
