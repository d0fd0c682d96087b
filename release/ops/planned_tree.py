"""The release commit made before the commit, in a scratch repository.

The builds of a release can start from it while the gates run. The scratch repository
borrows the repository's objects (git alternates) and mirrors its refs, then gets the
planned tree, the release commit as gitpython will write it (same tree, parent, message,
author, committer and dates: the same commit id) and the release tag. So an export of it
is the export of the release commit, `export-subst` placeholders included (`%H`, dates,
`describe`). Nothing is written to the repository's own .git.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from release.ops.git import Git, Signature, write_commit

_REMOVE = "0 " + "0" * 40


@dataclass(frozen=True)
class PlannedCommit:
    commit: str  # the id the release commit will have when it is made as planned
    env: dict[str, str]  # what git needs to read the scratch repository

    def matches(self, release_sha: str) -> bool:
        """The release commit is this very commit: same tree, parent, message, people and
        time, so what was built from one is what would be built from the other."""
        return release_sha == self.commit


def scratch_repository(git: Git, folder: Path) -> Path:
    """A bare repository in `folder` that borrows `git`'s objects and mirrors its refs."""
    scratch = folder / "repo.git"
    git.run("init", "-q", "--bare", str(scratch))
    own = Path(git.out("rev-parse", "--path-format=absolute", "--git-common-dir"))
    (scratch / "objects" / "info" / "alternates").write_text(f"{own / 'objects'}\n")
    if (own / "info" / "attributes").is_file():  # export-ignore and export-subst rules
        shutil.copyfile(own / "info" / "attributes", scratch / "info" / "attributes")
    # The refs as the release will find them, for `describe` and ref-name placeholders.
    refs = git.out("for-each-ref", "--format=%(objectname) %(refname)")
    (scratch / "packed-refs").write_text(f"{refs}\n" if refs else "")
    return scratch


def make(
    git: Git,
    scratch: Path,
    base: str,
    files: Sequence[tuple[str, bytes | None]],
    release: tuple[str, str, list[str]],
    signature: Signature,
) -> PlannedCommit:
    """In the `scratch` repository: `base` with `files` (path from the repository root,
    new bytes or None to remove) committed as the release will be, its branch moved there
    and its tags made; `release` is (message, branch, tags)."""
    message, branch, tags = release
    folder = scratch.parent
    env = {"GIT_DIR": str(scratch), "GIT_INDEX_FILE": str(folder / "index")}

    def in_scratch(*args: str, stdin: str | None = None) -> str:
        return git.out(*args, env=env, stdin=stdin)

    in_scratch("read-tree", base)
    written: list[tuple[str, bytes]] = [(p, data) for p, data in files if data is not None]
    lines = [f"{_REMOVE}\t{p}" for p, data in files if data is None]
    if written:
        modes = _modes(in_scratch("ls-tree", "-z", base, "--", *(p for p, _ in written)))
        blobs = folder / "blobs"
        blobs.mkdir(exist_ok=True)
        staged = []
        for index, (_, data) in enumerate(written):
            (blobs / str(index)).write_bytes(data)
            staged.append(str(blobs / str(index)))
        paths = "\n".join(staged)
        ids = in_scratch("hash-object", "-w", "--no-filters", "--stdin-paths", stdin=paths)
        lines += [
            f"{modes.get(p, '100644')} {sha}\t{p}"
            for (p, _), sha in zip(written, ids.split(), strict=True)
        ]
    in_scratch("update-index", "-z", "--index-info", stdin="".join(f"{line}\0" for line in lines))
    tree = in_scratch("write-tree")
    commit = write_commit(scratch, tree, base, message, signature)
    in_scratch("update-ref", f"refs/heads/{branch}", commit)
    in_scratch("symbolic-ref", "HEAD", f"refs/heads/{branch}")
    identity = {"GIT_COMMITTER_NAME": "release", "GIT_COMMITTER_EMAIL": "release@localhost"}
    for tag in tags:
        git.run("tag", "-a", "-m", tag, tag, commit, env={**env, **identity})
    return PlannedCommit(commit, env)


def export(git: Git, planned: PlannedCommit, dest: Path) -> None:
    """The planned release commit as files in `dest`, as the release commit's would be."""
    git.export(planned.commit, dest, env=planned.env)


def _modes(listing: str) -> dict[str, str]:
    modes = {}
    for entry in filter(None, listing.split("\0")):
        meta, _, path = entry.partition("\t")
        modes[path] = meta.split()[0]
    return modes
