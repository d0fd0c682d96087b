"""The release's builds, started from the planned tree while the gates run.

A build step takes their files only when the release commit turns out to have that very
tree and that very time (the builds stamp it): then they are byte for byte what it would
build. Otherwise, or when a build ahead failed, the step builds as it always did.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from release.errors import ReleaseError
from release.ops import planned_tree, scratch
from release.ops.git import Git
from release.ops.process import CancelScope
from release.record import ReleaseRecord

log = logging.getLogger("release.prebuild")
# A package's build, given the export of the release tree, its own folder and the epoch.
Job = Callable[[Path, Path, int], list[Path]]
# Set by the user, the release commit's dates are theirs: a build ahead could not match.
_DATE_ENV = ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE")


class Prebuild:
    """Builds started ahead of the release commit; `take` hands one over once proven."""

    def __init__(self, git: Git, epoch: int, folder: Path) -> None:
        self.git = git
        self.epoch = epoch  # the release commit is dated this second
        self.folder = folder
        self._scope = CancelScope()
        self._pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1)
        self._tree: Future[planned_tree.PlannedTree] | None = None
        self._builds: dict[tuple[str, str], Future[list[Path]]] = {}
        self._proved: dict[str, bool] = {}
        self._lock = threading.Lock()

    @classmethod
    def start(
        cls, git: Git, record: ReleaseRecord, jobs: dict[tuple[str, str], tuple[str, Job]]
    ) -> Prebuild | None:
        """Start building; None when nothing can be built ahead. `jobs`: (package, kind) ->
        (the package's folder in the repository, its build)."""
        if not jobs or record.version_command or any(p.version_command for p in record.packages):
            return None  # a version command's edits are known only once it has run
        if any(os.environ.get(name) for name in _DATE_ENV):
            return None
        epoch = int(time.time())
        try:
            folder = scratch.make(f"{_short(record.project)}-ahead")
        except OSError as exc:  # a speed-up only: the release builds after its commit
            log.debug("no build ahead: %s", exc)
            return None
        prebuild = cls(git, epoch, folder)
        files = [(f.path, None if f.new is None else f.new.encode()) for f in record.files]
        prebuild._tree = prebuild._pool.submit(
            prebuild._planned, record.pre_sha, files, record.commit_message
        )
        source = prebuild.folder / "source"
        for index, (key, (path, job)) in enumerate(jobs.items()):
            own = prebuild.folder / "packages" / str(index)
            prebuild._builds[key] = prebuild._pool.submit(prebuild._build, job, source, path, own)
        return prebuild

    def _planned(
        self, base: str, files: list[tuple[str, bytes | None]], message: str
    ) -> planned_tree.PlannedTree:
        with self._scope:
            if planned_tree.uses_export_subst(self.git, base):
                raise ReleaseError("export-subst: a stand-in commit exports other details")
            planned = planned_tree.make(
                self.git, base, files, self.folder / "git", message, self.epoch
            )
            planned_tree.export(self.git, planned, self.folder / "source")
            return planned

    def _build(self, job: Job, source: Path, path: str, own: Path) -> list[Path]:
        assert self._tree is not None
        self._tree.result()  # the export, made by the first task
        own.mkdir(parents=True)
        with self._scope:
            return job(source if path == "." else source / path, own, self.epoch)

    def take(self, package: str, kind: str, release_sha: str) -> list[Path] | None:
        """The files built ahead for this package, when the release commit is the planned
        one; None when the step must build them itself."""
        build = self._builds.get((package, kind))
        if build is None or self._tree is None:
            return None
        try:
            files = build.result()
            with self._lock:
                if release_sha not in self._proved:
                    planned = self._tree.result()
                    self._proved[release_sha] = planned.matches(self.git, release_sha)
                proved = self._proved[release_sha]
        except Exception as exc:  # the step builds again, and reports its own error
            log.debug("no build ahead of %s: %s", package or "the release", exc)
            return None
        return files if proved else None

    def commit_date(self) -> str:
        """The release commit's author and commit date: the second the builds stamp."""
        return f"{self.epoch} {_offset(self.epoch)}"

    def close(self) -> None:
        """Call off what still runs, wait for it, and remove the scratch folder."""
        self._scope.cancel()
        self._pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self.folder, ignore_errors=True)


def _offset(epoch: int) -> str:
    seconds = time.localtime(epoch).tm_gmtoff
    sign = "-" if seconds < 0 else "+"
    minutes = abs(seconds) // 60
    return f"{sign}{minutes // 60:02d}{minutes % 60:02d}"


def _short(name: str) -> str:
    from release.names import slug

    return slug(name)[:40]
