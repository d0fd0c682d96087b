"""Phase 1: read-only checks of the repository, the remote, the targets and the project's commands.

Every check runs and every problem is collected, so one run shows all that must be fixed.
"""

from __future__ import annotations

from collections.abc import Callable

from release.config import LoadedConfig
from release.errors import CommandError, Problem, ReleaseError
from release.ops.git import RemoteGit, signature
from release.ops.npm import NpmRegistry, token_rejected
from release.ops.npm import has_version as npm_has_version
from release.ops.npm import listed_and_held as npm_listed_and_held
from release.ops.pypi import Index, credentials_rejected
from release.ops.pypi import has_version as pypi_has_version
from release.ops.pypi import held_versions as pypi_held_versions
from release.phases.forge import validate_forges
from release.phases.gates import GateResult, start_gates
from release.plan import Plan
from release.planned import missing_changelog_entry
from release.progress import Progress
from release.registries import Registries
from release.version import Version


def validate(
    plan: Plan,
    loaded: LoadedConfig,
    git: RemoteGit,
    registries: Registries,
    names: tuple[str, str],
    skips: dict[str, str],
    progress: Progress,
    *,
    repository: bool = True,
) -> tuple[list[Problem], list[GateResult]]:
    """All phase-1 problems and the gates' results; no problem means the release may start.

    Without `repository`, the checks of the repository as a whole (a clean tree, the remote,
    the branch, secrets) are left out: a set of packages runs them once, for its first.
    """
    problems: list[Problem] = []
    # The read-only gates run while these checks wait on the remote and the registries.
    gates = start_gates(plan, loaded, skips, repository=repository)
    checks: list[tuple[str, Callable[[], list[Problem]]]] = [
        ("repository", lambda: _repository(plan, loaded, git, whole=repository)),
        ("remote", lambda: _remote(plan, loaded, git, whole=repository)),
        ("targets", lambda: _targets(plan, registries, names)),
        ("forges", lambda: validate_forges(plan, loaded)),
    ]
    for name, check in checks:
        with progress.step(f"check {name}") as mark:
            found = check()
            mark.failed = bool(found)  # never "ok" just before its own errors
        for problem in found:
            progress.error(problem.what)
        problems += found
    results, failed = gates.finish(progress)
    for problem in failed:
        progress.error(problem.what)
    return problems + failed, results


def _repository(plan: Plan, loaded: LoadedConfig, git: RemoteGit, whole: bool) -> list[Problem]:
    problems: list[Problem] = []
    if plan.next_version and (missing := missing_changelog_entry(loaded, plan.next_version)):
        problems.append(missing)
    if plan.tag and git.has_tag(plan.tag):
        problems.append(
            Problem(
                f"tag {plan.tag} already exists locally",
                "tags",
                f"a leftover? delete it (git tag -d {plan.tag}); else release another version",
            )
        )
    if not whole:
        return problems
    if git.branch() is None:
        # Which branches may release is a gate; that a release needs a branch is not.
        problems.append(
            Problem(
                "HEAD is detached",
                str(loaded.root),
                f"check out the release branch: git switch {loaded.config.branch}",
            )
        )
    if signature(git, "") is None:
        # Git would refuse to commit; gitpython would make one up (user@host).
        problems.append(
            Problem(
                "git has no name and email to make the release commit with",
                str(loaded.root),
                "set them: git config user.name 'Your Name' and git config user.email "
                "you@example.com (in CI: GIT_AUTHOR_NAME, GIT_AUTHOR_EMAIL, "
                "GIT_COMMITTER_NAME and GIT_COMMITTER_EMAIL)",
            )
        )
    status = git.status_porcelain().splitlines()
    dirty = [line[3:] for line in status if not line.startswith("??")]
    untracked = {line[3:] for line in status if line.startswith("??")}
    if dirty:
        problems.append(
            Problem(
                f"uncommitted changes in {', '.join(dirty[:5])}"
                + (" ..." if len(dirty) > 5 else ""),
                str(loaded.root),
                "commit or stash them (git stash -u) so the release commit holds only the release",
            )
        )
    # git status names files from the repository's top, a package's plan from its folder.
    prefix = "" if loaded.subdir == "." else f"{loaded.subdir}/"
    in_the_way = sorted(f.path for f in plan.files if prefix + f.path in untracked)
    if in_the_way:
        problems.append(
            Problem(
                f"untracked files in the way of the release: {', '.join(in_the_way)}",
                str(loaded.root),
                "commit them, or move them out of the way",
            )
        )
    return problems


def _remote(plan: Plan, loaded: LoadedConfig, git: RemoteGit, whole: bool) -> list[Problem]:
    remote = plan.remote
    if not whole:
        if plan.tag and git.remote_url(remote) and git.remote_has_tag(remote, plan.tag):
            return [
                Problem(
                    f"tag {plan.tag} already exists on {remote!r}",
                    "remote",
                    "this version was released before; release the next one",
                )
            ]
        return []
    if git.remote_url(remote) is None:
        return [
            Problem(
                f"no git remote named {remote!r}",
                "remote",
                f"git remote add {remote} URL, or set remote = ... in the config",
            )
        ]
    problems: list[Problem] = []
    # One round trip answers both questions (where the branch is, whether the tag is
    # taken); the branch's commits are fetched only when they are not here already.
    branch_ref, tag_ref = f"refs/heads/{plan.branch}", f"refs/tags/{plan.tag}"
    try:
        refs = git.remote_refs(remote, branch_ref, *([tag_ref] if plan.tag else []))
        upstream = refs.get(branch_ref)
        if upstream is not None and not git.has_commit(upstream):
            git.fetch_branch_commits(remote, plan.branch)
    except CommandError as exc:
        return [
            Problem(
                f"cannot fetch from {remote!r}: {exc.output.strip()[-300:]}",
                "remote",
                "check the network and the remote's URL and access",
            )
        ]
    if upstream is not None:
        ahead, behind = git.ahead_behind("HEAD", upstream)
        if behind and ahead:
            problems.append(
                Problem(
                    f"{plan.branch} has diverged from {remote}/{plan.branch} "
                    f"({ahead} local, {behind} remote commits)",
                    "remote",
                    f"git pull --rebase {remote} {plan.branch}, then release",
                )
            )
        elif behind:
            problems.append(
                Problem(
                    f"{plan.branch} is {behind} commits behind {remote}/{plan.branch}",
                    "remote",
                    f"git pull --ff-only {remote} {plan.branch}, then release",
                )
            )
    if plan.tag and tag_ref in refs:
        problems.append(
            Problem(
                f"tag {plan.tag} already exists on {remote!r}",
                "remote",
                "this version was released before; release the next one",
            )
        )
    return problems


def on_target(
    target: str,
    version: str,
    names: tuple[str, str],
    indexes: dict[str, Index],
    npm: dict[str, NpmRegistry],
) -> tuple[str, bool]:
    """(package name there, whether `version` is already on `target`), for either kind."""
    distribution, npm_package = names
    if target in indexes:
        return distribution, pypi_has_version(indexes[target], distribution, version)
    return npm_package, npm_has_version(npm[target], npm_package, version)


def _targets(plan: Plan, registries: Registries, names: tuple[str, str]) -> list[Problem]:
    """Every target before the first publish: the version is new there, the credentials work."""
    problems: list[Problem] = []
    for planned in plan.targets:
        if planned.name not in registries.indexes and planned.name not in registries.npm:
            continue  # a forge release: checked by validate_forges
        try:
            package, present, held = _versions_on(planned.name, names, registries)
            there = planned.version in present
            rejected = _rejected(planned.name, registries)
        except ReleaseError as exc:
            problems.extend(exc.problems)
            continue
        try:
            above = _highest_not_below(held, planned.version)
        except ReleaseError as exc:
            problems.extend(exc.problems)
            above = None
        if above and not there:
            problems.append(
                Problem(
                    f"{planned.name} already has {package} {above}, not below "
                    f"{planned.version}: a release never goes backwards",
                    f"targets.{planned.name}",
                    f"release a version above {above} (release push --version X), or check "
                    "that the tags of this repository hold every release",
                )
            )
        if there:
            problems.append(
                Problem(
                    f"{package} {planned.version} is already on {planned.name}",
                    f"targets.{planned.name}",
                    "a registry never takes the same version twice: release the next version",
                )
            )
        if rejected:
            problems.append(
                Problem(
                    f"{planned.name} rejects the credentials from {', '.join(planned.credentials)}",
                    f"targets.{planned.name}",
                    "check the token or password and that it may publish this project",
                )
            )
    return problems


def _versions_on(
    target: str, names: tuple[str, str], registries: Registries
) -> tuple[str, set[str], set[str]]:
    """(package name there, the versions it lists, the versions it has or burned), asked
    once: a set of packages asks each registry once per package, not three times."""
    distribution, npm_package = names
    if target in registries.indexes:
        listed = pypi_held_versions(registries.indexes[target], distribution)
        return distribution, listed, listed  # deleted file names are not listed
    listed, held = npm_listed_and_held(registries.npm[target], npm_package)
    return npm_package, listed, held


# Credentials already asked about in this process: a set of packages publishing to one
# registry with one token asks once, not once per package.
_CHECKED: dict[tuple[str, str, str], bool] = {}


def _rejected(target: str, registries: Registries) -> bool:
    if target in registries.indexes:
        index = registries.indexes[target]
        key = (index.upload_url, index.username, index.password)
        if index.password and key not in _CHECKED:
            _CHECKED[key] = credentials_rejected(index)
        return bool(index.password) and _CHECKED[key]
    registry = registries.npm[target]
    key = (registry.url, "", registry.token)
    if registry.token and key not in _CHECKED:
        _CHECKED[key] = token_rejected(registry)
    return bool(registry.token) and _CHECKED[key]


def _highest_not_below(held: set[str], version: str) -> str | None:
    """The highest version held (or burned) that is not below `version`, if any."""
    planned = Version.parse(version)
    found = []
    for text in held:
        try:
            parsed = Version.parse(text)
        except ReleaseError:
            continue  # a spelling this tool does not release (1.0, 2!1.0) decides nothing
        if not parsed < planned:
            found.append(parsed)
    return str(max(found, key=Version.sort_key)) if found else None
