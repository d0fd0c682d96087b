"""The release commit's tree made before the commit, in a scratch object store.

The builds of a release can start from it while the gates run. Nothing is written to the
repository's own .git: the scratch store borrows its objects (git alternates), and its
index and new blobs stay in the scratch folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from release.ops.git import Git

_REMOVE = "0 " + "0" * 40


@dataclass(frozen=True)
class PlannedTree:
    tree: str  # the id the release commit's tree has when its files are as planned
    commit: str  # a stand-in commit of that tree, dated `epoch`, in the scratch store
    epoch: int
    env: dict[str, str]  # what git needs to read the scratch store

    def matches(self, git: Git, release_sha: str) -> bool:
        """The release commit has this very tree and time: what was built from one is
        what would be built from the other."""
        found = git.out("log", "-1", "--format=%T %ct", release_sha).split()
        return found == [self.tree, str(self.epoch)]


def uses_export_subst(git: Git, base: str) -> bool:
    """Some file of `base` is exported with its commit's details spelled in (export-subst):
    a stand-in commit would spell other ones."""
    found = git.out("ls-tree", "-r", "--name-only", base)
    attributes = [p for p in found.splitlines() if p.rsplit("/", 1)[-1] == ".gitattributes"]
    local = git.root / ".git" / "info" / "attributes"
    texts = [git.out("show", f"{base}:{p}") for p in attributes]
    if local.is_file():
        texts.append(local.read_text(encoding="utf-8", errors="replace"))
    return any("export-subst" in text for text in texts)


def make(
    git: Git,
    base: str,
    files: Sequence[tuple[str, bytes | None]],
    folder: Path,
    message: str,
    epoch: int,
) -> PlannedTree:
    """`base`'s tree with `files` (path from the repository root, new bytes or None to
    remove) in place, and a stand-in commit of it dated `epoch`."""
    objects = folder / "objects"
    objects.mkdir(parents=True, exist_ok=True)
    env = {
        "GIT_INDEX_FILE": str(folder / "index"),
        "GIT_OBJECT_DIRECTORY": str(objects),
        "GIT_ALTERNATE_OBJECT_DIRECTORIES": git.out(
            "rev-parse", "--path-format=absolute", "--git-path", "objects"
        ),
        # The stand-in's author is nobody's: only its time reaches the export (file times).
        **{
            f"GIT_{who}_{what}": value
            for who in ("AUTHOR", "COMMITTER")
            for what, value in (
                ("NAME", "release"),
                ("EMAIL", "release@localhost"),
                ("DATE", f"{epoch} +0000"),
            )
        },
    }

    def plan_git(*args: str, stdin: str | None = None) -> str:
        return git.out(*args, env=env, stdin=stdin)

    plan_git("read-tree", base)
    written: list[tuple[str, bytes]] = [(p, data) for p, data in files if data is not None]
    lines = [f"{_REMOVE}\t{p}" for p, data in files if data is None]
    if written:
        modes = _modes(plan_git("ls-tree", "-z", base, "--", *(p for p, _ in written)))
        blobs = folder / "blobs"
        blobs.mkdir(exist_ok=True)
        staged = []
        for index, (_, data) in enumerate(written):
            (blobs / str(index)).write_bytes(data)
            staged.append(str(blobs / str(index)))
        ids = plan_git(
            "hash-object", "-w", "--no-filters", "--stdin-paths", stdin="\n".join(staged)
        )
        lines += [
            f"{modes.get(p, '100644')} {sha}\t{p}"
            for (p, _), sha in zip(written, ids.split(), strict=True)
        ]
    plan_git("update-index", "-z", "--index-info", stdin="".join(f"{line}\0" for line in lines))
    tree = plan_git("write-tree")
    commit = plan_git("commit-tree", tree, "-p", base, "-m", message)
    return PlannedTree(tree, commit, epoch, env)


def export(git: Git, planned: PlannedTree, dest: Path) -> None:
    """The planned tree as files in `dest`, as the release commit's would be exported."""
    git.export(planned.commit, dest, env=planned.env)


def _modes(listing: str) -> dict[str, str]:
    modes = {}
    for entry in filter(None, listing.split("\0")):
        meta, _, path = entry.partition("\t")
        modes[path] = meta.split()[0]
    return modes
