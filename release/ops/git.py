"""Git queries and (for push) changes, each one `git` call through the process chokepoint."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from release.errors import CommandError, Problem, RepositoryError
from release.ops.process import Result, child_clock, run, stream_lines

if TYPE_CHECKING:
    import git as gitpython

# Keep the user's hooks, pagers and prompts out of the tool's own git calls.
_BASE = ("git", "-c", "core.pager=cat", "-c", "color.ui=never")


@dataclass(frozen=True)
class LogEntry:
    """One commit as read from `git log`."""

    sha: str
    parents: int
    message: str


class Walk:
    """The commits of one `git log`, newest first, and what the walk proved on the way.

    With `boundary`, the excluded commits the walk stopped at are kept aside (not yielded):
    `since` is an ancestor of HEAD exactly when its commit is among them. Commits in
    `watch` are noted when met. Both are known only once the walk has `ended`.
    """

    def __init__(self, records: Iterator[str], watch: frozenset[str]) -> None:
        self._records = records
        self._watch = watch
        self.boundary: set[str] = set()
        self.met: set[str] = set()
        self.ended = False

    def __iter__(self) -> Walk:
        return self

    def __next__(self) -> LogEntry:
        for record in self._records:
            if not record:
                continue
            marked, parents, message = record.split("\x1f", 2)
            sha = marked[1:].strip()  # after the walk's mark: > a commit, - its boundary
            if marked[0] == "-":
                self.boundary.add(sha)
                continue
            if sha in self._watch:
                self.met.add(sha)
            return LogEntry(sha, len(parents.split()), message)
        self.ended = True
        raise StopIteration


class Git:
    """Git operations on one repository."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def run(
        self,
        *args: str,
        check: bool = True,
        env: dict[str, str] | None = None,
        stdin: str | None = None,
    ) -> Result:
        return run(
            [*_BASE, *args],
            cwd=self.root,
            check=check,
            env={"GIT_TERMINAL_PROMPT": "0", **(env or {})},
            stdin=stdin,
        )

    def out(self, *args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> str:
        return self.run(*args, env=env, stdin=stdin).stdout.strip()

    def ensure_repository(self) -> None:
        if not self.root.is_dir():
            raise RepositoryError(
                Problem(f"{self.root} does not exist", "path", "set `path` to the project's clone")
            )
        result = self.run("rev-parse", "--show-toplevel", check=False)
        if result.returncode != 0:
            raise RepositoryError(
                Problem(
                    f"{self.root} is not a git repository",
                    "path",
                    "point `path` at the project's git clone (or run `git init` there)",
                )
            )

    def top(self) -> str:
        """The repository's top folder (`root` may be a folder inside it)."""
        return self.out("rev-parse", "--show-toplevel")

    def prefix(self) -> str:
        """Where `root` sits in its repository ("." at the top, "app" in a folder)."""
        return self.out("rev-parse", "--show-prefix").rstrip("/") or "."

    def git_dir(self) -> Path:
        return (self.root / self.out("rev-parse", "--git-dir")).resolve()

    def head(self) -> str | None:
        result = self.run("rev-parse", "--verify", "-q", "HEAD^{commit}", check=False)
        return result.stdout.strip() or None

    def branch(self) -> str | None:
        """The checked-out branch, or None on a detached HEAD."""
        result = self.run("symbolic-ref", "-q", "--short", "HEAD", check=False)
        return result.stdout.strip() or None

    def is_shallow(self) -> bool:
        return self.out("rev-parse", "--is-shallow-repository") == "true"

    def nearest_tag(self, pattern: str, exclude: tuple[str, ...] = ()) -> str | None:
        """The closest tag reachable from HEAD that matches the glob, skipping `exclude`."""
        args = ["describe", "--tags", "--abbrev=0", "--match", pattern]
        for name in exclude:
            args += ["--exclude", name]
        result = self.run(*args, "HEAD", check=False)
        if result.returncode != 0:
            # "No names found" / "No tags can describe": no such tag reachable.
            return None
        return result.stdout.strip() or None

    def tags_matching(self, pattern: str) -> list[str]:
        return self.out(
            "for-each-ref", "--format=%(refname:strip=2)", f"refs/tags/{pattern}"
        ).split()

    def tags_merged(self, pattern: str, rev: str = "HEAD") -> list[str]:
        """Tags matching the glob on `rev`'s history (what the branch has released)."""
        return self.out("tag", "--merged", rev, "--list", pattern).split()

    def tag_dates(self, pattern: str) -> dict[str, str]:
        """The date of each matching tag's commit (YYYY-MM-DD): when it was released, even
        where an annotated tag was added later."""
        date = (
            "%(if)%(*objectname)%(then)%(*committerdate:short)%(else)%(committerdate:short)%(end)"
        )
        lines = self.out(
            "for-each-ref", f"--format=%(refname:strip=2) {date}", f"refs/tags/{pattern}"
        ).splitlines()
        return dict(line.split(" ", 1) for line in lines if " " in line)

    def last_change(self, paths: list[str]) -> str | None:
        """The newest commit on HEAD that changed any of `paths`."""
        return self.out("log", "-1", "--format=%H", "HEAD", "--", *paths) or None

    def default_branch(self, remote: str = "origin") -> tuple[str | None, str]:
        """The remote's HEAD branch when the clone knows it, else the checked-out one; and why."""
        result = self.run(
            "symbolic-ref", "-q", "--short", f"refs/remotes/{remote}/HEAD", check=False
        )
        name = result.stdout.strip()
        if name.startswith(f"{remote}/"):
            return name.removeprefix(f"{remote}/"), f"{remote}/HEAD points at {name}"
        current = self.branch()
        if current:
            return current, f"no {remote}/HEAD in this clone; {current} is checked out"
        return None, f"no {remote}/HEAD and HEAD is detached"

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        result = self.run("merge-base", "--is-ancestor", ancestor, descendant, check=False)
        return result.returncode == 0

    def tags_at(self, rev: str, pattern: str) -> list[str]:
        return self.out("tag", "--points-at", rev, "--list", pattern).split()

    def rev(self, ref: str) -> str:
        return self.out("rev-parse", "--verify", f"{ref}^{{commit}}")

    def commits_of(self, *tags: str) -> list[str] | None:
        """The commit each tag points at (peeled), in one call; None when one names no
        commit (a tag of a tree or a blob)."""
        if not tags:
            return []
        result = self.run("rev-parse", *(f"refs/tags/{t}^{{commit}}" for t in tags), check=False)
        return result.stdout.split() if result.returncode == 0 else None

    @contextmanager
    def log(
        self,
        since: str | None,
        grep: str = "",
        paths: tuple[str, ...] = (),
        *,
        watch: frozenset[str] = frozenset(),
    ) -> Iterator[Walk]:
        """Stream the commits after `since` (all of history when None), newest first;
        with `grep`, only those whose message matches it (case-insensitive regex); with
        `paths` (pathspecs relative to this folder), only those that touch them.

        One `git log` process; records are NUL-separated so any message text is safe. A
        whole walk (no grep, no paths) also says whether `since` is on HEAD's history, for
        the cost of a few more records: see Walk.
        """
        rng = f"{since}..HEAD" if since else "HEAD"
        select = ["-i", "-E", f"--grep={grep}"] if grep else []
        # Path limiting rewrites parents and grep hides commits: the boundary then says nothing.
        boundary = ["--boundary"] if since and not grep and not paths else []
        fmt = "--format=%m%H%x1f%P%x1f%B"
        args = [*_BASE, "log", "-z", *boundary, *select, fmt, rng, "--", *paths]
        with stream_lines(args, cwd=self.root, separator="\0") as records:
            yield Walk(records, watch)

    def status_porcelain(self) -> str:
        # Not stripped: the first entry's leading space is part of its status columns.
        return self.run("status", "--porcelain=v1", "--untracked-files=normal").stdout

    def show_file(self, rev: str, path: str) -> str | None:
        try:
            return self.run("show", f"{rev}:{path}").stdout
        except CommandError:
            return None

    def export(self, rev: str, dest: Path, env: dict[str, str] | None = None) -> None:
        """The exact tree of `rev`, as files in `dest` (no .git, no untracked files)."""
        dest.mkdir(parents=True, exist_ok=True)
        archive = dest.with_suffix(".tar")
        # From the top: in a folder of the repository, git archive would take that folder only.
        top = self.top() if env is None else str(self.root)
        run(
            [*_BASE, "archive", "--format=tar", "-o", str(archive), rev],
            cwd=top,
            env={"GIT_TERMINAL_PROMPT": "0", **(env or {})},
        )
        import tarfile

        with tarfile.open(archive) as tar:
            tar.extractall(dest, filter="data")
        archive.unlink()


class RemoteGit(Git):
    """Git operations that talk to a remote or change refs (push phase only)."""

    def fetch(self, remote: str, branch: str) -> str | None:
        """The remote branch's tip, its commits fetched; None when the branch is not there.

        No ref changes here, not even the remote-tracking one or FETCH_HEAD: validation
        reads only, and a failed release leaves the user's refs exactly as they were.
        """
        tip = self.remote_branch_sha(remote, branch)
        if tip is None:
            return None
        self.fetch_branch_commits(remote, branch)
        return tip

    def remote_url(self, remote: str) -> str | None:
        result = self.run("remote", "get-url", remote, check=False)
        return result.stdout.strip() or None

    def ahead_behind(self, local: str, upstream: str) -> tuple[int, int]:
        """Commits only in `local`, and only in `upstream`."""
        ahead, behind = self.out(
            "rev-list", "--left-right", "--count", f"{local}...{upstream}"
        ).split()
        return int(ahead), int(behind)

    def remote_has_tag(self, remote: str, tag: str) -> bool:
        return bool(self.out("ls-remote", "--tags", remote, f"refs/tags/{tag}"))

    def remote_branch_sha(self, remote: str, branch: str) -> str | None:
        line = self.out("ls-remote", "--heads", remote, f"refs/heads/{branch}")
        return line.split()[0] if line else None

    def push_atomic(self, remote: str, branch: str, *tags: str) -> None:
        """The branch and every tag in one atomic push: all of them land, or none does."""
        self.run(
            "push",
            "--atomic",
            "--porcelain",
            remote,
            f"refs/heads/{branch}:refs/heads/{branch}",
            *(f"refs/tags/{tag}:refs/tags/{tag}" for tag in tags),
        )

    def remote_tags(self, remote: str, tags: list[str]) -> set[str]:
        """Which of `tags` the remote has, in one round trip."""
        if not tags:
            return set()
        lines = self.out("ls-remote", "--tags", remote, *(f"refs/tags/{t}" for t in tags))
        return {
            ref.removeprefix("refs/tags/")
            for ref in (line.split()[-1] for line in lines.splitlines() if line.strip())
        }

    def delete_remote_tag(self, remote: str, tag: str) -> None:
        self.run("push", "--porcelain", remote, f":refs/tags/{tag}")

    def push_branch(self, remote: str, branch: str) -> None:
        self.run("push", "--porcelain", remote, f"refs/heads/{branch}:refs/heads/{branch}")

    def has_tag(self, tag: str) -> bool:
        return (
            self.run("rev-parse", "--verify", "-q", f"refs/tags/{tag}", check=False).returncode == 0
        )

    def tag_target(self, tag: str) -> str | None:
        """The commit a local tag points at, or None when there is no such tag."""
        result = self.run("rev-parse", "--verify", "-q", f"refs/tags/{tag}^{{commit}}", check=False)
        return result.stdout.strip() or None

    def tree(self, rev: str) -> str:
        return self.out("rev-parse", f"{rev}^{{tree}}")

    def delete_tag(self, tag: str) -> None:
        self.run("tag", "-d", tag)

    def move_branch(self, branch: str, to: str, expected: str) -> None:
        """Point `branch` at `to`, only if it still points at `expected`."""
        self.run("update-ref", "-m", "release: rollback", f"refs/heads/{branch}", to, expected)

    def reset_index(self, rev: str, paths: list[str] | None = None) -> None:
        """Make the index match `rev` (for `paths` only, when given); the work tree stays."""
        if paths:
            self.run("reset", "--quiet", rev, "--", *paths)
        else:
            self.run("reset", "--quiet", "--mixed", rev, "--")

    def revert_commit(self, sha: str, message: str) -> str:
        self.run("revert", "--no-edit", "--no-commit", sha)
        self.run("commit", "--quiet", "--no-verify", "-m", message)
        return self.out("rev-parse", "HEAD")

    # Recovery from the world: what the remote holds, read without changing the user's refs.

    def remote_refs(self, remote: str, *patterns: str) -> dict[str, str]:
        """Refs on the remote matching `patterns`, each with the commit it names (tags peeled)."""
        refs: dict[str, str] = {}
        for line in self.out("ls-remote", remote, *patterns).splitlines():
            sha, _, name = line.partition("\t")
            if name.endswith("^{}"):
                refs[name[: -len("^{}")]] = sha  # the peeled commit of an annotated tag wins
            else:
                refs.setdefault(name, sha)
        return refs

    def has_commit(self, sha: str) -> bool:
        """Whether the commit is in this repository (its objects, not any ref)."""
        return self.run("cat-file", "-e", f"{sha}^{{commit}}", check=False).returncode == 0

    def fetch_branch_commits(self, remote: str, branch: str) -> None:
        """Bring a remote branch's commits here, creating no ref."""
        self._fetch_objects(remote, f"refs/heads/{branch}")

    def fetch_tag_commits(self, remote: str, tag: str) -> None:
        """Bring a remote tag's commits here, creating no ref (reads change none of the user's)."""
        self._fetch_objects(remote, f"refs/tags/{tag}")

    def _fetch_objects(self, remote: str, ref: str) -> None:
        """The objects of one remote ref, and no ref here: no remote-tracking ref, no tag,
        no FETCH_HEAD (reads never change the user's refs)."""
        self.run("fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--refmap=", remote, ref)

    def push_ref(self, remote: str, sha: str, ref: str) -> None:
        self.run("push", "--porcelain", remote, f"{sha}:{ref}")

    def delete_remote_ref(self, remote: str, ref: str) -> None:
        self.run("push", "--porcelain", remote, f":{ref}")


@dataclass(frozen=True)
class Person:
    name: str
    email: str


@dataclass(frozen=True)
class Signature:
    """Who makes a commit, and when ("EPOCH +HHMM"): a commit planned ahead and the
    release commit share one, so that they are the same commit."""

    author: Person
    committer: Person
    date: str

    def line(self, role: str) -> str:
        """The commit header line (`author ...`), as git and gitpython write it."""
        who = self.author if role == "author" else self.committer
        return f"{role} {who.name} <{who.email}> {self.date}"


_IDENT = re.compile(r"^(?P<name>.*) <(?P<email>[^<>]*)> \d+ [+-]\d{4}$")


def signature(git: Git, date: str) -> Signature | None:
    """The author and committer git itself would record for a commit in `git`'s repository
    (`git var`: the environment, then `user.*`/`author.*`/`committer.*` config), with the
    date given; None when git knows no identity there (it would refuse to commit)."""
    people = []
    for variable in ("GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT"):
        result = git.run("var", variable, check=False)
        found = _IDENT.match(result.stdout.strip()) if result.returncode == 0 else None
        if found is None:
            return None
        people.append(Person(found["name"], found["email"]))
    return Signature(people[0], people[1], date)


def gitpython_repo(root: Path) -> gitpython.Repo:
    """A gitpython Repo of `root` whose git commands count as commands: the report and the
    benchmarks tell the tool's own time from the time it waits on the processes it runs."""
    return _clocked_repo()(root, search_parent_directories=True)


@cache
def _clocked_repo() -> type[gitpython.Repo]:
    import git as gitpython  # loaded when a release commits: status and plans never need it

    class ClockedGit(gitpython.Git):
        def execute(self, *args: Any, **kwargs: Any) -> Any:
            child_clock.enter()
            try:
                return super().execute(*args, **kwargs)
            finally:
                child_clock.leave()

    class ClockedRepo(gitpython.Repo):
        GitCommandWrapperType = ClockedGit

    return ClockedRepo
