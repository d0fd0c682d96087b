"""A repository's internal dependencies: who depends on whom, in what order, and who must follow.

Pure: it reads manifests and returns values (new spec texts, new file texts); the plan writes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from packaging.utils import canonicalize_name

from release import manifests, ranges
from release.errors import ConfigError, Problem, ReleaseError
from release.paths import inside

POLICIES = ("follow", "always", "off")
_MANIFESTS = (("pyproject.toml", "python"), ("package.json", "npm"))


@dataclass(frozen=True)
class Member:
    """One package of the repository; which manifests it has is read from its folder."""

    name: str  # distribution / npm name (what other manifests refer to)
    path: str  # folder relative to the repository root, "." allowed, posix


@dataclass(frozen=True)
class Dependency:
    """One member's declared range on another member, as its manifest writes it."""

    dependent: str  # Member.name that declares it
    dependency: str  # Member.name depended upon
    file: str  # repository-relative manifest path, e.g. "packages/cli/pyproject.toml"
    field: str  # "project.dependencies", "peerDependencies", ...
    spec: str  # the range exactly as written: ">=1.2,<2", "^1.2.0", "workspace:^", "*"
    ecosystem: str  # "python" | "npm"

    @property
    def dev(self) -> bool:
        """True for ranges only the repository's development uses (devDependencies, groups)."""
        return self.field.startswith(manifests.DEV_FIELDS)

    @property
    def optional(self) -> bool:
        """True for ranges a user installs only on request (extras, optionalDependencies)."""
        return self.field.startswith(manifests.OPTIONAL_FIELDS)


@dataclass(frozen=True)
class Cascade:
    """What the releases of some members mean for the members that depend on them."""

    bumps: dict[str, str]  # member the cascade adds -> reason, "dependency shop-core 2.0.0"
    edits: list[tuple[Dependency, str]]  # (dependency, new spec) to write
    # Ranges a released version falls outside of, left alone because the dependent says "off":
    # (dependency, the version it does not admit), for the plan to warn about.
    stale: list[tuple[Dependency, str]] = field(default_factory=list)


def internal_dependencies(repo: Path, members: list[Member]) -> list[Dependency]:
    """Every dependency of a member on another member, in member, manifest, then file order.

    A name counts only where the member has a manifest of that kind: an npm package named
    like a Python-only member is some other package from the registry.
    """
    texts: dict[tuple[str, str], tuple[str, str]] = {}  # (member, ecosystem) -> (file, text)
    for member in members:
        for manifest, ecosystem in _MANIFESTS:
            file = PurePosixPath(member.path, manifest).as_posix()
            text = _read(repo, file, f"package {member.name} (path {member.path!r})")
            if text is not None:
                texts[(member.name, ecosystem)] = (file, text)
    python_names = {canonicalize_name(m): m for m, kind in texts if kind == "python"}
    npm_names = {m: m for m, kind in texts if kind == "npm"}
    found: list[Dependency] = []
    for (name, ecosystem), (file, text) in texts.items():
        if ecosystem == "python":
            pairs = [
                (python_names.get(canonicalize_name(e.name)), e)
                for e in manifests.python_entries(text, file)
            ]
        else:
            pairs = [(npm_names.get(e.name), e) for e in manifests.npm_entries(text, file)]
        found += [
            Dependency(name, target, file, entry.field, entry.spec, ecosystem)
            for target, entry in pairs
            if target is not None and target != name
        ]
    return found


def _read(repo: Path, file: str, where: str) -> str | None:
    try:
        path = inside(repo, file, where)
    except ReleaseError as exc:
        raise ConfigError(exc.problems) from exc
    if not path.exists():
        return None
    try:
        # Bytes decoded by hand: read_text would turn CRLF into LF, and rewrite keeps bytes.
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            Problem(f"cannot be read as UTF-8 text ({exc})", file, "make it a readable UTF-8 file")
        ) from exc


def admits(dep: Dependency, version: str) -> bool:
    """True when the range `dep` declares admits `version` of the member it depends on.

    Python: a PEP 440 specifier set, pre-releases only when the range names one (as pip picks
    with earlier releases available); "" admits all. npm: npm's semver ranges; "latest",
    workspace:* / ^ / ~ and file:/link: folders always admit; workspace:RANGE is RANGE.
    """
    return ranges.admits_spec(dep.ecosystem, dep.spec, version, _where(dep))


def updated_spec(dep: Dependency, version: str) -> str:
    """The smallest edit of `dep.spec`, in the same style, that admits `version`.

    "^1.2.0" -> "^2.0.0", ">=1.2,<2" -> ">=2.0.0,<3", "~=1.2" -> "~=2.0"; unchanged when it
    already admits it; ConfigError with a fix when no edit in that style can (e.g. "!=").
    """
    return ranges.update_spec(dep.ecosystem, dep.spec, version, _where(dep))


def rewrite(repo: Path, dep: Dependency, new_spec: str) -> tuple[str, str]:
    """(old_text, new_text) of dep.file with only this requirement's range changed."""
    old = _read(repo, dep.file, f"package {dep.dependent}")
    if old is None:
        raise ConfigError(
            Problem("is gone", dep.file, "run the plan again on the repository as it is now")
        )
    return old, rewrite_text(old, dep, new_spec)


def rewrite_text(text: str, dep: Dependency, new_spec: str) -> str:
    """`text` (dep.file's content, maybe already edited) with this requirement's range changed."""
    edit = manifests.rewrite_python if dep.ecosystem == "python" else manifests.rewrite_npm
    return edit(text, dep.field, dep.dependency, dep.spec, new_spec, dep.file)


def dependents_of(name: str, deps: list[Dependency]) -> list[Dependency]:
    """The dependencies that name `name`: its direct dependents' declarations."""
    return [d for d in deps if d.dependency == name]


def release_order(members: list[Member], deps: list[Dependency]) -> list[str]:
    """Member names, every dependency before its dependents; ties keep config order.

    Development-only ranges (devDependencies, dependency groups) do not order publishing, so
    a test helper and the package it tests may name each other there. Optional ones (extras,
    optionalDependencies) order it where they can: a package may offer an extra that needs a
    package which needs it (opentelemetry-sdk[file-configuration] does).
    """
    names = [m.name for m in members]
    needs: dict[str, set[str]] = {n: set() for n in names}
    wants: dict[str, set[str]] = {n: set() for n in names}
    for dep in deps:
        if dep.dev or dep.dependent not in needs or dep.dependency not in needs:
            continue
        (wants if dep.optional else needs)[dep.dependent].add(dep.dependency)
    after = {n: needs[n] | wants[n] for n in names}
    for name in names:
        # An optional range that closes a loop is the one that gives way.
        after[name] -= {w for w in wants[name] - needs[name] if name in _reachable(w, after)}
    order: list[str] = []
    placed: set[str] = set()
    for _ in names:  # one member placed per round, at most
        ready = next((n for n in names if n not in placed and after[n] <= placed), None)
        if ready is None:
            break
        order.append(ready)
        placed.add(ready)
    if len(order) < len(names):
        raise _cycle_error([n for n in names if n not in placed], after, deps)
    return order


def _reachable(start: str, edges: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in edges[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


def _cycle_error(
    left: list[str], needs: dict[str, set[str]], deps: list[Dependency]
) -> ConfigError:
    """Name one cycle among `left` (each of them waits on another of them)."""
    path = [left[0]]
    while True:
        step = next(n for n in left if n in needs[path[-1]])
        if step in path:
            cycle = [*path[path.index(step) :], step]
            break
        path.append(step)
    files = sorted({d.file for d in deps if d.dependent in cycle and d.dependency in cycle})
    return ConfigError(
        Problem(
            f"the packages depend on each other in a cycle: {' -> '.join(cycle)}",
            ", ".join(files),
            "drop one of these dependencies (or make it a devDependency / dependency group), "
            "or move what they share into a package both depend on",
        )
    )


def cascade(
    released: dict[str, str],
    deps: list[Dependency],
    policy: dict[str, str],
    next_version: Callable[[str], str],
) -> Cascade:
    """Which dependents follow the `released` members (name -> new version), and which ranges move.

    policy (the dependent's own, default "follow"): "follow" releases it when a new version
    falls outside its range, "always" whenever a dependency releases, "off" never (its stale
    ranges are reported). Ranges that stop admitting are rewritten either way, except under
    "off". A development-only range is rewritten but releases nothing. A member the cascade
    adds gets `next_version(member)` (the caller's patch bump) and is itself released to its
    own dependents; the loop stops at a fixed point, within one round per member.
    """
    for name, value in policy.items():
        if value not in POLICIES:
            raise ConfigError(
                Problem(
                    f"dependents = {value!r} is not a policy",
                    f"package {name}",
                    f"write one of {', '.join(POLICIES)}",
                )
            )
    versions = dict(released)
    bumps: dict[str, str] = {}
    edits: list[tuple[Dependency, str]] = []
    stale: list[tuple[Dependency, str]] = []
    done: set[int] = set()
    members = {d.dependent for d in deps} | {d.dependency for d in deps} | set(released)
    for _ in range(len(members) + 1):
        added = False
        for index, dep in enumerate(deps):
            if index in done or dep.dependency not in versions:
                continue
            done.add(index)
            version = versions[dep.dependency]
            mode = policy.get(dep.dependent, "follow")
            fits = admits(dep, version)
            if mode == "off":
                if not fits:
                    stale.append((dep, version))
                continue
            if not fits:
                edits.append((dep, updated_spec(dep, version)))
            if dep.dev or (fits and mode == "follow"):
                continue
            reason = f"dependency {dep.dependency} {version}"
            if dep.dependent in bumps:
                if reason not in bumps[dep.dependent].split(", "):
                    bumps[dep.dependent] += f", {reason}"
            elif dep.dependent not in versions:
                bumps[dep.dependent] = reason
                versions[dep.dependent] = next_version(dep.dependent)
                added = True
        if not added:
            break
    return Cascade(bumps, edits, stale)


def _where(dep: Dependency) -> str:
    return f"{dep.file} ({dep.field}: {dep.dependency})"
