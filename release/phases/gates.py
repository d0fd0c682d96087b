"""Release gates: the project's machine-readable policy, checked in phase 1 before any change."""

from __future__ import annotations

import fnmatch
import stat
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

from release.changelog import left_alone_in_fragments
from release.config import LoadedConfig
from release.credentials import literal_credentials
from release.errors import CommandError, Problem, UsageError
from release.masking import mask
from release.ops.artifacts import expand
from release.ops.git import Git
from release.ops.process import run_shell
from release.phases.secrets import scan_change
from release.plan import Plan
from release.progress import Progress


@dataclass(frozen=True)
class GateResult:
    name: str
    status: str  # passed, failed, skipped, off, empty (enabled, but nothing to check)
    detail: str
    why: str = ""

    def to_dict(self) -> dict[str, str]:
        # A gate's detail is a command's output: it may print a credential.
        return {k: mask(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class _Outcome:
    ok: bool
    detail: str
    empty: bool = False  # the gate had nothing to check, and says so rather than "passed"


# Gates about the repository as a whole: a set of packages runs them once.
REPOSITORY_GATES = ("branch", "secrets", "credential_files")


def run_gates(
    plan: Plan,
    loaded: LoadedConfig,
    skips: dict[str, str],
    progress: Progress,
    *,
    repository: bool = True,
) -> tuple[list[GateResult], list[Problem]]:
    """Run every enabled gate; a skip needs the gate to be skippable and a reason."""
    return start_gates(plan, loaded, skips, repository=repository).finish(progress)


# Gates that run no command: they only read the repository, so they may run beside others.
READ_ONLY = ("branch", "secrets", "changelog", "fragments", "versions", "credential_files")

_Gate = tuple[str, bool, bool, str, Callable[[], "_Outcome"]]


@dataclass
class StartedGates:
    """Gates whose read-only checks already run on a worker thread (start_gates)."""

    gates: list[_Gate]
    skips: dict[str, str]
    repository: bool
    early: dict[str, Future[_Outcome]]

    def finish(self, progress: Progress) -> tuple[list[GateResult], list[Problem]]:
        """Each gate's result in the table's order, shown as it is reached."""
        try:
            return _judge(self, progress)
        finally:
            for future in self.early.values():
                future.cancel()


def start_gates(
    plan: Plan,
    loaded: LoadedConfig,
    skips: dict[str, str],
    *,
    repository: bool = True,
) -> StartedGates:
    """Refuse unknown skips, then start the read-only gates on one worker thread.

    They read git and files only, in-process (detect-secrets scans the change): while the
    main thread waits on the remote, the registries and the test and build commands, they
    cost the release nothing. Their results are shown in order, when `finish` reaches them.
    """
    gates = _gate_table(plan, loaded)
    known = {name for name, *_ in gates}
    unknown = sorted(set(skips) - known)
    if unknown:
        raise UsageError(
            Problem(
                f"no gate named {', '.join(unknown)}",
                "--skip-gate",
                f"gates: {', '.join(sorted(known))}",
            )
        )
    early: dict[str, Future[_Outcome]] = {}
    wanted = [
        (name, check)
        for name, enabled, _, _, check in gates
        if name in READ_ONLY
        and enabled
        and name not in skips
        and (repository or name not in REPOSITORY_GATES)
    ]
    if wanted:
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gates")
        early = {name: pool.submit(check) for name, check in wanted}
        pool.shutdown(wait=False)
    return StartedGates(gates, skips, repository, early)


def _gate_table(plan: Plan, loaded: LoadedConfig) -> list[_Gate]:
    cfg = loaded.config
    gates = cfg.gates
    git = Git(loaded.root)
    builtin: list[_Gate] = [
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
            lambda: _command(
                loaded, _expanded(cfg.commands.build, plan), "build", _release_env(plan)
            ),
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
            lambda: _Outcome(
                *scan_change(
                    git,
                    loaded.root,
                    plan.last_tag,
                    gates.secrets.allowlist,
                    gates.secrets.exclude,
                )
            ),
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
            "no credential written out in a tracked file; local ones readable by their owner",
            lambda: _credential_files(git, loaded.root, gates.credential_files.files),
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
    return builtin


def _judge(started: StartedGates, progress: Progress) -> tuple[list[GateResult], list[Problem]]:
    skips, repository = started.skips, started.repository
    results: list[GateResult] = []
    problems: list[Problem] = []
    for name, enabled, skippable, why, gate_check in started.gates:
        if not repository and name in REPOSITORY_GATES:
            continue
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
        with progress.step(f"gate {name}") as mark:
            early = started.early.get(name)
            outcome = early.result() if early else gate_check()
            mark.failed = not outcome.ok
        status = "passed" if outcome.ok else "failed"
        results.append(GateResult(name, "empty" if outcome.empty else status, outcome.detail, why))
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
    "credential_files": "move each credential named out of the file (npm reads "
    "`//registry.npmjs.org/:_authToken=${NPM_TOKEN}` from the environment), rotate it, and "
    "commit; chmod 600 the local files named",
}


def _expanded(command: str, plan: Plan) -> str:
    if not command or not plan.next_version_str or not plan.tag:
        return command
    return expand(command, plan.next_version_str, plan.tag)


def _release_env(plan: Plan) -> dict[str, str]:
    if not plan.next_version_str or not plan.tag:
        return {}
    return {"RELEASE_VERSION": plan.next_version_str, "RELEASE_TAG": plan.tag}


def _command(
    loaded: LoadedConfig, command: str, what: str, env: dict[str, str] | None = None
) -> _Outcome:
    if not command:
        # The release's own build (phase 5) still checks every artifact before the push.
        return _Outcome(True, f"checks nothing: no {what} command configured", empty=True)
    try:
        run_shell(command, cwd=loaded.root, env=env)
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
    left_alone = left_alone_in_fragments(loaded.root)
    stray = sorted(
        str(p.relative_to(loaded.root))
        for p in folder.iterdir()
        if p.is_file()
        and not any(fnmatch.fnmatch(p.name.lower(), pattern) for pattern in left_alone)
        and str(p.relative_to(loaded.root)) not in known
    )
    if stray:
        return _Outcome(False, "fragments of an unknown type: " + ", ".join(stray))
    return _Outcome(True, f"{len(known)} fragments, all of known types")


def _versions(plan: Plan) -> _Outcome:
    # The plan refuses to exist when they disagree; reaching here means they agree.
    said = ", ".join(f"{s.spec}={s.version}" for s in plan.version_files) or "no version files"
    return _Outcome(True, f"{said}; last tag {plan.last_tag or 'none'}")


def _credential_files(git: Git, root: Path, files: list[str]) -> _Outcome:
    """A tracked file is judged by what it holds (git stores no 0600); a local one by its mode."""
    present = [n for n in files if (root / n).is_file()]
    tracked = set(git.out("ls-files", "--", *present).splitlines()) if present else set()
    written, loose = [], []
    for name in present:
        path = root / name
        if name in tracked:
            written += literal_credentials(name, path.read_text("utf-8", errors="replace"))
        elif path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            loose.append(f"{name} (mode {stat.S_IMODE(path.stat().st_mode):04o})")
    if written or loose:
        said = []
        if written:
            said.append("credentials written out in tracked files: " + ", ".join(written))
        if loose:
            said.append("readable by others: " + ", ".join(loose))
        return _Outcome(False, "; ".join(said))
    if not present:
        return _Outcome(True, "none present")
    kinds = [
        f"{n} (tracked, no credential in it)" if n in tracked else f"{n} (0600)" for n in present
    ]
    return _Outcome(True, ", ".join(kinds))
