"""The plan of a repository holding several packages: each package's own plan, the dependents
that follow a released dependency, and the order they publish in."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from release.config import LoadedConfig
from release.errors import ConfigError, Problem, ReleaseError, UsageError
from release.ops.files import read_text
from release.packages import members, select
from release.paths import inside
from release.plan import Options, Plan, build_plan
from release.planned import FileChange
from release.version import Bump

if TYPE_CHECKING:
    from release.dependents import Dependency


@dataclass(frozen=True)
class PackagePlan:
    """One package's plan inside the set, and why it releases (or not)."""

    plan: Plan
    path: str  # its folder in the repository
    why: str
    loaded: LoadedConfig
    depends_on: tuple[str, ...] = ()  # packages of the set it declares dependencies on

    @property
    def name(self) -> str:
        return self.plan.project

    @property
    def releasing(self) -> bool:
        return not self.plan.nothing_to_release


@dataclass(frozen=True)
class SetPlan:
    """Every package of the repository, in the order a release publishes them."""

    project: str
    config_path: str
    root: str
    packages: tuple[PackagePlan, ...]

    @property
    def releasing(self) -> list[PackagePlan]:
        return [p for p in self.packages if p.releasing]

    @property
    def nothing_to_release(self) -> bool:
        return not self.releasing

    @property
    def why_nothing(self) -> str:
        return "no package has anything to release: " + "; ".join(
            f"{p.name}: {p.plan.why_nothing}" for p in self.packages
        )


def build_set_plan(
    loaded: LoadedConfig,
    options: Options,
    only: tuple[str, ...] = (),
    dependents: bool = True,
) -> SetPlan:
    """Plan every package (or those named, and the dependents that must follow them)."""
    every = members(loaded)
    chosen = set(select(loaded, list(only))) if only else {m.config.name for m in every}
    if options.version and len(chosen) > 1:
        raise UsageError(
            Problem(
                "--version names one package's next version",
                "--version",
                "name the package with --package NAME, or use --bump for several",
            )
        )
    plans = {
        m.config.name: build_plan(m, options) if m.config.name in chosen else _nothing(m)
        for m in every
    }
    why = {name: _why(plan) for name, plan in plans.items()}
    order = [m.config.name for m in every]
    needs: dict[str, tuple[str, ...]] = {}
    if dependents and len(every) > 1:
        plans, why, order, needs = _follow(loaded, every, plans, why, options)
    by_name = {m.config.name: m for m in every}
    return SetPlan(
        project=loaded.config.name,
        config_path=str(loaded.source),
        root=str(loaded.root),
        packages=tuple(
            PackagePlan(plans[n], by_name[n].subdir, why[n], by_name[n], needs.get(n, ()))
            for n in order
        ),
    )


def _nothing(member: LoadedConfig) -> Plan:
    """A package left out with --package: planned for its current state only."""
    try:
        plan = build_plan(member, Options(changelog=False))
    except ReleaseError as exc:
        # Not released: what cannot be read about it (a version spelling the tool does not
        # release) stops nothing, and is said.
        return Plan.unplanned(member, f"not selected (--package); {exc.problems[0].what}")
    return replace(
        plan,
        nothing_to_release=True,
        next_version=None,
        tag=None,
        files=(),
        commands=(),
        targets=(),
        why_nothing="not selected (--package)",
    )


def _why(plan: Plan) -> str:
    if plan.nothing_to_release:
        return plan.why_nothing
    return (
        f"{plan.bump_source}: " + "; ".join(plan.reasons[:2]) if plan.reasons else plan.bump_source
    )


def _follow(
    loaded: LoadedConfig,
    every: list[LoadedConfig],
    plans: dict[str, Plan],
    why: dict[str, str],
    options: Options,
) -> tuple[dict[str, Plan], dict[str, str], list[str], dict[str, tuple[str, ...]]]:
    """Dependents of released packages: rewrite the ranges a new version falls outside, and
    release those dependents (a patch) when their own changes do not already."""
    from release.dependents import Member, cascade, internal_dependencies, release_order

    by_name = {m.config.name: m for m in every}
    found = [Member(m.config.name, m.subdir) for m in every]
    deps = internal_dependencies(loaded.root, found)
    order = release_order(found, deps)
    released = {n: p.next_version_str for n, p in plans.items() if p.next_version_str}
    policy: dict[str, str] = {m.config.name: m.config.dependents for m in every}
    patch = replace(options, bump=Bump.PATCH, version=None, allow_empty_notes=True)
    added: dict[str, Plan] = {}

    def next_version(name: str) -> str:
        if name not in added:
            try:
                added[name] = build_plan(by_name[name], patch)
            except ReleaseError as exc:
                # A dependent that must follow but cannot be planned stops the plan: a
                # release without it would leave a range no published version satisfies.
                raise type(exc)(
                    Problem(
                        f"{name} must follow a dependency it declares, but cannot be "
                        f"released: {exc.problems[0].what}",
                        exc.problems[0].where,
                        f"{exc.problems[0].fix}; or leave the dependents out "
                        '(--no-dependents, or dependents = "off" on that package)',
                    )
                ) from exc
        return added[name].next_version_str or ""

    result = cascade({n: v for n, v in released.items() if v}, deps, policy, next_version)
    plans = dict(plans)
    why = dict(why)
    for name, reason in result.bumps.items():
        if plans[name].nothing_to_release:
            plans[name] = added.get(name) or build_plan(by_name[name], patch)
            why[name] = reason
        else:
            why[name] = f"{why[name]}; {reason}"
    for dep, spec in result.edits:
        plans[dep.dependent] = _with_edit(by_name[dep.dependent], plans[dep.dependent], dep, spec)
    for dep, version in result.stale:
        stale = (
            f"{dep.dependency} {version} is outside {dep.spec!r} ({dep.field} in {dep.file}); "
            'dependents = "off" leaves the range as it is'
        )
        plans[dep.dependent] = replace(
            plans[dep.dependent], notes=(*plans[dep.dependent].notes, stale)
        )
    needs = {
        # Dev-only dependencies order nothing: the published package does not need them.
        name: tuple(dict.fromkeys(d.dependency for d in deps if d.dependent == name and not d.dev))
        for name in by_name
    }
    return plans, why, order, needs


def _with_edit(member: LoadedConfig, plan: Plan, dep: Dependency, spec: str) -> Plan:
    """The plan with one dependency range rewritten, on top of the version change to that file."""
    from release.dependents import rewrite_text

    relative = PurePosixPath(dep.file).relative_to(member.subdir).as_posix()
    files = list(plan.files)
    why = f"{dep.dependency} {dep.field}: {dep.spec} -> {spec}"
    for i, change in enumerate(files):
        if change.path == relative and change.new is not None:
            new = rewrite_text(change.new, dep, spec)
            files[i] = replace(change, new=new, why=f"{change.why}; {why}")
            break
    else:
        old = read_text(inside(member.root, relative, dep.file))
        if old is None:
            raise ConfigError(Problem(f"{dep.file} is gone", dep.file, "restore it"))
        files.append(FileChange(relative, old, rewrite_text(old, dep, spec), why, "version"))
    return replace(plan, files=tuple(files))
