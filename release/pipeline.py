"""The release as steps: each package's steps, one commit, one atomic push, publishes in
dependency order, verifications; the same sequence for one package or a set of them."""

from __future__ import annotations

from collections.abc import Callable

from release.config import LoadedConfig
from release.config.targets import NpmTarget, PypiTarget
from release.packages import members
from release.phases import forge, npm, pypi
from release.phases.commit import Commit, Tag
from release.phases.deploy import Preflight, Push, RecordVerified
from release.phases.each import Each, each
from release.phases.files import VersionCommand, WriteFiles
from release.phases.pypi import irreversible
from release.record import ReleaseRecord
from release.steps import Phase, Step


def pipeline(record: ReleaseRecord, loaded: LoadedConfig) -> tuple[Step, ...]:
    """Phases 2 to 5 as one literal sequence of steps, for one package or a set of them:
    each package's steps, one commit, one atomic push, publishes in dependency order."""
    found = _members(record, loaded)

    def per(steps: Callable[[ReleaseRecord, LoadedConfig], tuple[Step, ...]]) -> list[Step]:
        return [s for name, rec, cfg in found for s in each(steps(rec, cfg), name)]

    return (
        *per(_version_steps),
        *per(lambda r, c: (WriteFiles("changelog and docs", Phase.CHANGELOG, "changelog"),)),
        Commit(),
        *per(lambda r, c: (Tag(),)),
        # Builds, then checks, then packs: a package's builds run beside the other packages'
        # (each in its own folder), never beside its own pack (a dual project shares one).
        *per(lambda r, c: _built(c, "pypi", pypi.Build())),
        *per(lambda r, c: _built(c, "pypi", pypi.Check())),
        *per(lambda r, c: _built(c, "npm", npm.Pack())),
        *per(lambda r, c: (Preflight(),)),
        Push(),
        *publish_order(found),
        *per(lambda r, c: tuple(_verify(t) for t in c.config.registries)),
        # Forge releases follow the verified packages, so their files are what users get.
        *per(lambda r, c: tuple(forge.PublishRelease(t.name) for t in c.config.forges)),
        *per(lambda r, c: tuple(forge.VerifyRelease(t.name) for t in c.config.forges)),
        *per(lambda r, c: (RecordVerified(),)),
    )


Member = tuple[str | None, ReleaseRecord, LoadedConfig]


def _members(record: ReleaseRecord, loaded: LoadedConfig) -> list[Member]:
    """(package name, its record, its config) in release order; None names the only one."""
    if not record.packages:
        return [(None, record, loaded)]
    configs = {m.config.name: m for m in members(loaded)}
    return [(p.project, p, configs[p.project]) for p in record.packages]


def _version_steps(record: ReleaseRecord, loaded: LoadedConfig) -> tuple[Step, ...]:
    if record.version_command:
        return (VersionCommand(record.version_command),)
    return (WriteFiles("version files", Phase.VERSION, "version"),)


def _built(loaded: LoadedConfig, kind: str, step: Step) -> tuple[Step, ...]:
    return (step,) if any(t.kind == kind for t in loaded.config.registries) else ()


def _verify(target: PypiTarget | NpmTarget) -> Step:
    return pypi.Verify(target.name) if target.kind == "pypi" else npm.Verify(target.name)


def publish_order(found: list[Member]) -> list[Step]:
    """Every publish, a package's only after its dependencies'; among those ready, the ones
    a rollback can take back (npm, deletable indexes) first, so most failures still roll
    back cleanly before anything irreversible is out. In a set, each wave of packages ready
    together publishes side by side."""
    pending = [(name, rec, t) for name, rec, cfg in found for t in cfg.config.registries]
    left = {name: sum(1 for n, _, _ in pending if n == name) for name, _, _ in found}
    scheduled: list[Step] = []
    for wave in range(len(pending)):
        if not pending:
            break
        ready = [i for i in pending if all(left.get(d, 0) == 0 for d in i[1].depends_on)]
        ready = ready or pending  # a cycle was refused by the plan; never stall here
        batch = [i for i in ready if not irreversible(i[2])] or ready
        for item in batch:
            pending.remove(item)
        for name, _, target in batch:
            left[name] -= 1
            step: Step = (
                pypi.Publish(target.name) if target.kind == "pypi" else npm.Publish(target.name)
            )
            if name is None:
                scheduled.append(step)
            else:
                scheduled.append(Each(step, name, together=f"publish-{wave}"))
    return scheduled


def finishing_steps(record: ReleaseRecord, loaded: LoadedConfig) -> tuple[Step, ...]:
    """What finishes a release whose tag is already out: build, publish, verify, record."""
    return tuple(
        s
        for s in pipeline(record, loaded)
        if s.phase is Phase.DEPLOY and s.name not in ("preflight", "push")
    )
