"""What a release is, in the form the journal keeps: enough to finish or undo it after a crash."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from release.plan import Plan


@dataclass(frozen=True)
class FileRecord:
    path: str
    old: str | None
    new: str | None
    phase: str


@dataclass(frozen=True)
class TargetRecord:
    name: str
    kind: str
    url: str
    version: str
    dist_tag: str = ""


@dataclass
class ReleaseRecord:
    """The journal's first record: the decided release, independent of the plan object."""

    project: str
    version: str
    tag: str
    branch: str
    remote: str
    pre_sha: str
    files: list[FileRecord]
    targets: list[TargetRecord]
    distribution: str = ""  # the Python distribution name, for PyPI-compatible targets
    npm_package: str = ""  # the npm package name, for npm targets
    version_command: str = ""
    release_sha: str | None = None
    artifacts: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def from_plan(cls, plan: Plan, distribution: str, npm_package: str) -> ReleaseRecord:
        assert plan.next_version_str and plan.tag
        return cls(
            project=plan.project,
            version=plan.next_version_str,
            tag=plan.tag,
            branch=plan.branch,
            remote=plan.remote,
            pre_sha=plan.head,
            files=[FileRecord(f.path, f.old, f.new, f.phase) for f in plan.files],
            targets=[
                TargetRecord(t.name, t.kind, t.url, t.version, t.dist_tag) for t in plan.targets
            ],
            distribution=distribution,
            npm_package=npm_package,
            version_command=plan.commands_by_name().get("version command", ""),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReleaseRecord:
        fields = dict(data)
        fields["files"] = [FileRecord(**f) for f in data["files"]]
        fields["targets"] = [TargetRecord(**t) for t in data["targets"]]
        return cls(**fields)

    def target_version(self, name: str) -> str:
        return next(t.version for t in self.targets if t.name == name)

    @property
    def commit_message(self) -> str:
        return (
            f"chore(release): {self.tag}\n\n"
            f"Released by release-push: {self.project} {self.version}.\n"
        )
