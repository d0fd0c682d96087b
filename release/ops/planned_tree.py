"""The release commit made before the commit, in a scratch repository.

The builds of a release can start from it while the gates run. The scratch repository
borrows the repository's objects (git alternates) and mirrors its refs, then gets the
planned tree, the release commit as gitpython will write it (same tree, parent, message,
author, committer and dates: the same commit id) and the release tag, all in one
`git fast-import`. So an export of it is the export of the release commit, `export-subst`
placeholders included (`%H`, dates, `describe`). Nothing is written to the repository's
own .git.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from release.ops.git import Git, Signature


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
    and its tags made; `release` is (message, branch, tags).

    One `git fast-import` writes the blobs, trees, commit, branch and tags: the builds
    wait for this commit, and a dozen git calls in a row were most of that wait.
    """
    message, branch, tags = release
    env = {"GIT_DIR": str(scratch)}
    written = [(path, data) for path, data in files if data is not None]
    modes = {}
    if written:  # a file keeps its mode (an executable stays one); a new one is 100644
        modes = _modes(git.out("ls-tree", "-z", base, "--", *(p for p, _ in written), env=env))
    stream = [
        f"commit refs/heads/{branch}\n",
        "mark :1\n",
        f"{signature.line('author')}\n",
        f"{signature.line('committer')}\n",
        *_data(message),
        f"from {base}\n",
    ]
    for path, data in files:
        if data is None:
            stream.append(f"D {_quoted(path)}\n")
        else:
            stream.append(f"M {modes.get(path, '100644')} inline {_quoted(path)}\n")
            stream += _data(data.decode())
    stream.append("\n")
    for tag in tags:  # for `describe` placeholders: its name is what counts
        tagger = f"tagger release <release@localhost> {signature.date}\n"
        stream += [f"tag {tag}\n", "from :1\n", tagger, *_data(tag)]
    marks = scratch.parent / "marks"
    git.run(
        "fast-import",
        "--quiet",
        "--date-format=raw",
        f"--export-marks={marks}",
        env=env,
        stdin="".join(stream) + "done\n",
    )
    commit = marks.read_text().split()[1]
    (scratch / "HEAD").write_text(f"ref: refs/heads/{branch}\n")  # what symbolic-ref writes
    return PlannedCommit(commit, env)


def _data(text: str) -> list[str]:
    """fast-import's `data` command: the exact byte count, then the bytes."""
    return [f"data {len(text.encode())}\n", text, "\n"]


def _quoted(path: str) -> str:
    """A path as fast-import reads it: C-style quoted, so any name survives."""
    escaped = []
    for char in path:
        if char in ('"', "\\"):
            escaped.append("\\" + char)
        elif char == "\n":
            escaped.append("\\n")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\{ord(char):03o}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def export(git: Git, planned: PlannedCommit, dest: Path) -> None:
    """The planned release commit as files in `dest`, as the release commit's would be."""
    git.export(planned.commit, dest, env=planned.env)


def _modes(listing: str) -> dict[str, str]:
    modes = {}
    for entry in filter(None, listing.split("\0")):
        meta, _, path = entry.partition("\t")
        modes[path] = meta.split()[0]
    return modes
