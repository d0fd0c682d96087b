"""What a step is: the protocol, its phases and statuses, and the Context it acts in."""

from __future__ import annotations

import os
import shutil
import signal
import threading
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from release.config import LoadedConfig
from release.errors import ReleaseError
from release.journal import Journal
from release.names import slug
from release.ops.files import sha256
from release.ops.git import RemoteGit
from release.ops.npm import NpmRegistry
from release.ops.pypi import Index
from release.progress import Progress
from release.record import ReleaseRecord

if TYPE_CHECKING:
    from release.prebuild import Prebuild

# Test-only switches, inert unless set: fail on purpose when the named step starts, or
# die by SIGKILL when it starts (`STEP`) or right after its effect (`STEP:after`), before
# the journal records it: the crash windows a recovery must handle.
FAIL_AT_ENV = "RELEASE_TEST_FAIL_AT"
KILL_AT_ENV = "RELEASE_TEST_KILL_AT"


_EXPORT_LOCK = threading.Lock()


def maybe_die(point: str) -> None:
    if os.environ.get(KILL_AT_ENV) == point:
        os.kill(os.getpid(), signal.SIGKILL)


class Phase(Enum):
    VALIDATION = 1
    VERSION = 2
    CHANGELOG = 3
    COMMIT = 4
    DEPLOY = 5
    REPORT = 6

    @property
    def title(self) -> str:
        return _TITLES[self.value]


_TITLES = {
    1: "validation",
    2: "version",
    3: "docs and changelog",
    4: "commit and tag",
    5: "remote deployment",
    6: "report",
}


class StepStatus(Enum):
    DONE = "done"
    SKIPPED = "already done"
    FAILED = "failed"
    UNDONE = "undone"
    UNDO_FAILED = "undo_failed"
    NOT_UNDONE = "not_undone"  # no undo exists: an operator must act


@dataclass
class StepRecord:
    name: str
    phase: Phase
    status: StepStatus
    seconds: float
    detail: str = ""


def in_package(step: str, package: str) -> str:
    """A step's name when it acts on one package of a set: `build [shop-core]`."""
    return f"{step} [{package}]"


@dataclass
class Context:
    """What the steps share: the release record, the project, and the outside world's handles."""

    record: ReleaseRecord
    loaded: LoadedConfig
    git: RemoteGit
    journal: Journal
    progress: Progress
    scratch: Path
    artifacts_dir: Path
    indexes: dict[str, Index]
    npm: dict[str, NpmRegistry] = field(default_factory=dict)
    target_status: dict[str, str] = field(default_factory=dict)
    reverted: bool = False  # the post-push rollback restored the content with a revert
    operator_actions: list[str] = field(default_factory=list)
    # What the rollback changed outside this machine, so the report says what really happened.
    undone_remotely: list[str] = field(default_factory=list)
    records: list[StepRecord] = field(default_factory=list)
    # A release of several packages: each package's config, and its targets' states.
    members: dict[str, LoadedConfig] = field(default_factory=dict)
    package_status: dict[str, dict[str, str]] = field(default_factory=dict)
    package_indexes: dict[str, dict[str, Index]] = field(default_factory=dict)
    package_npm: dict[str, dict[str, NpmRegistry]] = field(default_factory=dict)
    tree: Path | None = None  # where the release commit's tree is exported (shared)
    acting_for: str = ""  # the package whose view this is (Context.package), in a set
    prebuild: Prebuild | None = None  # the builds started while the gates ran

    def point(self, step: str) -> str:
        """A step's name as the journal gives it: `publish index [shop-core]` in a set."""
        return in_package(step, self.acting_for) if self.acting_for else step

    @property
    def root(self) -> Path:
        return self.loaded.root

    def artifacts(self, kind: str) -> list[Path]:
        return [
            self.artifacts_dir / kind / a["file"]
            for a in self.record.artifacts
            if a["kind"] == kind
        ]

    def has_artifacts(self, kind: str) -> bool:
        """The journaled artifacts of this kind are on disk, byte for byte."""
        kept = [a for a in self.record.artifacts if a["kind"] == kind]
        return bool(kept) and all(
            (path := self.artifacts_dir / kind / a["file"]).is_file()
            and sha256(path) == a["sha256"]
            for a in kept
        )

    def keep_artifacts(self, kind: str, files: list[Path]) -> None:
        """Keep built files with the journal, so a resumed release uploads the very same bytes."""
        folder = self.artifacts_dir / kind
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for path in files:
            shutil.copy2(path, folder / path.name)
        self.record.artifacts = [a for a in self.record.artifacts if a["kind"] != kind] + [
            {"kind": kind, "file": p.name, "sha256": sha256(p)} for p in files
        ]

    def drop_artifacts(self, kind: str) -> None:
        shutil.rmtree(self.artifacts_dir / kind, ignore_errors=True)

    def prebuilt(self, kind: str) -> list[Path] | None:
        """This package's files of `kind` built ahead, when the release commit is the tree
        and the time they were built from; None when the step must build them itself."""
        if self.prebuild is None or not self.record.release_sha:
            return None
        return self.prebuild.take(self.acting_for, kind, self.record.release_sha)

    def release_epoch(self) -> int:
        """The release commit's time: builds stamp it, so a rebuild gives the same bytes."""
        assert self.record.release_sha
        return int(self.git.out("log", "-1", "--format=%ct", self.record.release_sha))

    def export_release(self) -> Path:
        """The release commit's exact tree in the scratch folder (no untracked files, no .git)."""
        assert self.record.release_sha
        source = self.tree or self.scratch / "source"
        with _EXPORT_LOCK:  # the packages of a set build side by side from one export
            if not source.exists():
                self.git.export(self.record.release_sha, source)
        return source if self.record.path == "." else source / self.record.path

    def fresh_dir(self, name: str) -> Path:
        path = self.scratch / name
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        return path

    def package(self, name: str) -> Context:
        """The view one package's steps act in: its record, config, targets and folders."""
        from dataclasses import replace

        record = self.record.member(name)
        record.release_sha = self.record.release_sha  # one release commit for the set
        return replace(
            self,
            record=record,
            loaded=self.members[name],
            scratch=self.scratch / "packages" / slug(name),
            artifacts_dir=self.artifacts_dir / slug(name),
            target_status=self.package_status.setdefault(name, {}),
            indexes=self.package_indexes.get(name, {}),
            npm=self.package_npm.get(name, {}),
            tree=self.tree or self.scratch / "source",
            acting_for=name,
        )

    def verify_timeout(self, target: str) -> float:
        config = next(t for t in self.loaded.config.registries if t.name == target)
        return config.verify_timeout

    def health_command(self, target: str) -> str:
        config = next(t for t in self.loaded.config.registries if t.name == target)
        return config.health or self.loaded.config.commands.health


class Step(Protocol):
    name: str
    phase: Phase
    leaves_machine: bool  # undoing it takes the post-push procedure
    point_of_no_return: bool  # once done, a stop request finishes instead of rolling back

    def done(self, ctx: Context) -> bool:
        """Whether the step's effect is already in the world (for resume and rollback)."""
        ...

    def apply(self, ctx: Context) -> dict[str, Any]:
        """Do the step; return what the journal needs to undo or verify it."""
        ...

    def undo(self, ctx: Context) -> str | None:
        """Undo the step if its effect is there; None when done, else the operator's action."""
        ...


@dataclass
class TargetStep:
    """A phase-5 step acting on one target; its name says which (`publish pypi`)."""

    target: str
    verb: ClassVar[str] = ""
    phase: Phase = Phase.DEPLOY
    leaves_machine: bool = False
    point_of_no_return: bool = False
    name: str = field(init=False)

    def __post_init__(self) -> None:
        self.name = f"{self.verb} {self.target}"


class ArtifactConflict(ReleaseError):
    """A registry already holds a file of this version with other bytes than the build.

    Never overwritten: an operator decides (the file came from another build or another hand).
    """

    exit_code = 3
