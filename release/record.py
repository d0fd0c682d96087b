"""What a release is, in the form the journal keeps: enough to finish or undo it after a crash."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from release.plan import Plan

# Where the remote keeps, per release tag, the ref saying the release was verified.
VERIFIED_REFS = "refs/release-push/verified/"


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
    # A repository of several packages: its folder (".": the repository) and, on the set's
    # record, every package's own record (their files relative to their folders).
    path: str = "."
    packages: list[ReleaseRecord] = field(default_factory=list)
    depends_on: list[str] = field(default_factory=list)  # packages of the set it needs first

    @classmethod
    def for_set(cls, project: str, members: list[ReleaseRecord]) -> ReleaseRecord:
        """One release of several packages: one commit, a tag each, one atomic push."""
        first = members[0]
        files = [
            FileRecord(_joined(m.path, f.path), f.old, f.new, f.phase)
            for m in members
            for f in m.files
        ]
        return cls(
            project=project,
            version=", ".join(f"{m.project} {m.version}" for m in members),
            tag=", ".join(m.tag for m in members),
            branch=first.branch,
            remote=first.remote,
            pre_sha=first.pre_sha,
            files=files,
            targets=[],
            packages=members,
        )

    @property
    def tags(self) -> list[str]:
        """Every tag the release makes: one per package."""
        return [p.tag for p in self.packages] or [self.tag]

    @property
    def key(self) -> str:
        """A name for the release's folders (a set's tags do not fit in one file name)."""
        return f"{self.project}-set-{self.pre_sha[:12]}" if self.packages else self.tag

    def member(self, name: str) -> ReleaseRecord:
        return next(p for p in self.packages if p.project == name)

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
        fields["packages"] = [cls.from_dict(p) for p in data.get("packages", [])]
        return cls(**fields)

    def target_version(self, name: str) -> str:
        return next(t.version for t in self.targets if t.name == name)

    @property
    def commit_message(self) -> str:
        if self.packages:
            lines = "".join(f"- {p.project} {p.version}\n" for p in self.packages)
            return (
                f"chore(release): {self.tag}\n\n"
                f"Released by release-push: {self.project}, {_count(len(self.packages))}.\n\n"
                f"{lines}"
            )
        return (
            f"chore(release): {self.tag}\n\n"
            f"Released by release-push: {self.project} {self.version}.\n"
        )


def _count(n: int) -> str:
    return f"{n} package" if n == 1 else f"{n} packages"


def _joined(folder: str, path: str) -> str:
    return path if folder == "." else f"{folder}/{path}"
