"""What a release needs around its steps, for one package or a set: the context with each
package's registries, and the set's plan checked as one before anything changes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from release.config import LoadedConfig
from release.errors import Problem
from release.journal import Journal
from release.ops.git import RemoteGit
from release.ops.pypi import scratch_dir
from release.packages import members
from release.phases import validate as validation
from release.phases.gates import GateResult
from release.progress import Progress
from release.record import ReleaseRecord
from release.recovery import package_names
from release.registries import registries_from_env
from release.setplan import SetPlan
from release.steps import Context


def make_context(
    loaded: LoadedConfig,
    record: ReleaseRecord,
    journal: Journal,
    directory: Path,
    progress: Progress,
    status: str = "pending",
) -> tuple[Context, list[Problem]]:
    """The steps' shared context; and the credentials problems of every package's targets."""
    registries = registries_from_env(loaded)
    problems = list(registries.problems)
    ctx = Context(
        record=record,
        loaded=loaded,
        git=RemoteGit(loaded.root),
        journal=journal,
        progress=progress,
        scratch=scratch_dir(loaded.config.name),
        artifacts_dir=directory / "artifacts" / record.key,
        indexes=registries.indexes,
        npm=registries.npm,
    )
    ctx.target_status = {t.name: status for t in record.targets}
    if record.packages:
        configs = {m.config.name: m for m in members(loaded)}
        for member in record.packages:
            config = configs[member.project]
            found = registries_from_env(config)
            problems += [p for p in found.problems if p not in problems]
            ctx.members[member.project] = config
            ctx.package_indexes[member.project] = found.indexes
            ctx.package_npm[member.project] = found.npm
            ctx.package_status[member.project] = {t.name: status for t in member.targets}
    return ctx, problems


def set_records(plan: SetPlan, branch: str) -> list[ReleaseRecord]:
    """The releasing packages' records, in release order."""
    releasing = {p.name for p in plan.releasing}
    records = []
    for package in plan.releasing:
        record = ReleaseRecord.from_plan(
            replace(package.plan, branch=branch), *package_names(package.loaded)
        )
        record.path = package.path
        record.depends_on = [d for d in package.depends_on if d in releasing]
        records.append(record)
    return records


def validate_set(
    plan: SetPlan,
    branch: str,
    git: RemoteGit,
    skips: dict[str, str],
    progress: Progress,
) -> tuple[list[Problem], list[GateResult]]:
    """Every releasing package checked as in a release of one; the repository's own checks
    (clean tree, remote, branch, secrets) once."""
    problems: list[Problem] = []
    gates: list[GateResult] = []
    for index, package in enumerate(plan.releasing):
        registries = registries_from_env(package.loaded)
        problems += [p for p in registries.problems if p not in problems]
        progress.info(f"checking {package.name}")
        found, results = validation.validate(
            replace(package.plan, branch=branch),
            package.loaded,
            git,
            registries,
            package_names(package.loaded),
            skips,
            progress,
            repository=index == 0,
        )
        problems += [_named(p, package.name) for p in found]
        gates += [replace(g, name=f"{g.name} [{package.name}]") for g in results]
    return problems, gates


def _named(problem: Problem, package: str) -> Problem:
    return replace(problem, what=f"{package}: {problem.what}")
