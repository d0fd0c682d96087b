"""The release's builds, started from the release commit made ahead while the gates run.

The commit made ahead (ops/planned_tree) has the planned tree, message, parent, people and
second, so the release commit gets its very id when nothing changed in between. A build
step takes the files built ahead only then: they are byte for byte what it would build.
Otherwise, or when a build ahead failed, the step builds as it always did.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from release.errors import ReleaseError
from release.ops import planned_tree
from release.ops.git import Git, Signature, signature
from release.ops.planned_tree import PlannedCommit
from release.ops.process import CancelScope
from release.ops.pypi import scratch_dir
from release.record import ReleaseRecord

log = logging.getLogger("release.prebuild")
# A package's build, given the export of the release tree, its own folder and the epoch.
Job = Callable[[Path, Path, int], list[Path]]
# Set by the user, the release commit's dates are theirs: a build ahead could not match.
_DATE_ENV = ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE")


class Prebuild:
    """Builds started ahead of the release commit; `take` hands one over once proven."""

    def __init__(self, git: Git, folder: Path) -> None:
        self.git = git
        self.folder = folder
        self.epoch = 0  # the release commit is dated this second, once started
        self._scope = CancelScope()
        self._building = CancelScope()  # the builds' own: its first command says they started
        self._pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1)
        self._repository = self._pool.submit(self._scratch_repository)
        self._commit: Future[tuple[PlannedCommit, Signature]] | None = None
        self._export: Future[Path] | None = None
        self._builds: dict[tuple[str, str], Future[list[Path]]] = {}

    @classmethod
    def open(cls, git: Git, project: str) -> Prebuild | None:
        """Make the scratch repository, while the plan is worked out; None when builds
        cannot start early here (the user dates commits, or there is no scratch room)."""
        if any(os.environ.get(name) for name in _DATE_ENV):
            return None
        try:
            folder = scratch_dir(f"{project}-ahead")  # dead runs' folders swept first
        except OSError as exc:  # a speed-up only: the release builds after its commit
            log.debug("no build ahead: %s", exc)
            return None
        return cls(git, folder)

    def start(self, record: ReleaseRecord, jobs: dict[tuple[str, str], tuple[str, Job]]) -> bool:
        """Start building `jobs`: (package, kind) -> (the package's folder in the
        repository, its build); False when nothing can be built ahead."""
        if not jobs or record.version_command or any(p.version_command for p in record.packages):
            return False  # a version command's edits are known only once it has run
        self.epoch = int(time.time())
        # From the top of the repository (a set's are already; a project in a folder's not).
        folder = "" if record.packages or record.path == "." else f"{record.path}/"
        files = [(folder + f.path, None if f.new is None else f.new.encode()) for f in record.files]
        release = (record.commit_message, record.branch, record.tags)
        self._commit = self._pool.submit(self._planned, record.pre_sha, files, release)
        self._export = self._pool.submit(self._exported)
        for index, (key, (path, job)) in enumerate(jobs.items()):
            own = self.folder / "packages" / str(index)
            self._builds[key] = self._pool.submit(self._build, job, path, own)
        return True

    def _scratch_repository(self) -> Path:
        with self._scope:
            return planned_tree.scratch_repository(self.git, self.folder / "git")

    def _planned(
        self,
        base: str,
        files: list[tuple[str, bytes | None]],
        release: tuple[str, str, list[str]],
    ) -> tuple[PlannedCommit, Signature]:
        with self._scope:
            who = signature(self.git, f"{self.epoch} {_offset(self.epoch)}")
            if who is None:  # git knows no one here: the commit step decides, as it always did
                raise ReleaseError("no identity for the release commit (git var)")
            repository = self._repository.result()
            planned = planned_tree.make(self.git, repository, base, files, release, who)
            return planned, who

    def _exported(self) -> Path:
        assert self._commit is not None
        planned, _ = self._commit.result()
        with self._scope:
            planned_tree.export(self.git, planned, self.folder / "source")
        return self.folder / "source"

    def _build(self, job: Job, path: str, own: Path) -> list[Path]:
        assert self._export is not None
        source = self._export.result()
        own.mkdir(parents=True)
        with self._building:
            return job(source if path == "." else source / path, own, self.epoch)

    def wait_until_building(self, timeout: float) -> None:
        """Return once a build's command runs, every build has ended, or `timeout` passed.

        Until then the builds' preparation (the export, the copies) is Python work on a
        thread of this process, and the checks' Python work would take turns with it: the
        builds would start later, and the checks' work would no longer overlap them."""
        deadline = time.monotonic() + timeout
        while not self._building.launched.wait(0.005):
            if all(b.done() for b in self._builds.values()) or time.monotonic() > deadline:
                return

    def take(self, package: str, kind: str, release_sha: str) -> list[Path] | None:
        """The files built ahead for this package, when the release commit is the planned
        one; None when the step must build them itself."""
        build = self._builds.get((package, kind))
        if build is None or self._commit is None:
            return None
        try:
            files = build.result()
            planned, _ = self._commit.result()
        except Exception as exc:  # the step builds again, and reports its own error
            log.debug("no build ahead of %s: %s", package or "the release", exc)
            return None
        return files if planned.matches(release_sha) else None

    def signature(self) -> Signature | None:
        """Who makes the release commit, and when: as planned, so that it is the planned
        commit; None when the planned commit could not be made."""
        if self._commit is None or self._commit.exception() is not None:
            return None
        return self._commit.result()[1]

    def close(self) -> None:
        """Call off what still runs, wait for it, and remove the scratch folder."""
        self._scope.cancel()
        self._building.cancel()
        self._pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self.folder, ignore_errors=True)


def _offset(epoch: int) -> str:
    seconds = time.localtime(epoch).tm_gmtoff
    sign = "-" if seconds < 0 else "+"
    minutes = abs(seconds) // 60
    return f"{sign}{minutes // 60:02d}{minutes % 60:02d}"
