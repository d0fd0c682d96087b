"""Inside the repository: every file a release reads or writes stays in it, through no symlink."""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath

from release.errors import Problem, RepositoryError

# Why links are refused rather than followed: a fragment linked to /etc/passwd would be
# published in the changelog, and a version file linked elsewhere would be written there.
_LINK_FIX = "replace the link by a regular file in the repository, or take it out of the config"


def relative_problem(value: str) -> str | None:
    """What is wrong with a configured path, read as text (None: it stays in the repository)."""
    if not value.strip():
        return "is empty"
    if "\0" in value:
        return "contains a NUL character"
    if value.startswith(("/", "\\", "~")) or PureWindowsPath(value).drive:
        return "is absolute; write it relative to the repository, e.g. 'VERSION'"
    if ".." in PurePosixPath(value.replace("\\", "/")).parts:
        return "leads out of the repository (..); name a file inside it"
    return None


def inside(root: Path, relative: str, where: str) -> Path:
    """`root / relative`, once no part of it is a symlink and it resolves inside `root`.

    The file itself need not exist (the plan may create it); the parts that exist are checked.
    """
    problem = relative_problem(relative)
    if problem is not None:
        raise RepositoryError(Problem(f"{relative!r} {problem}", where, "fix the path"))
    current = root
    for part in PurePosixPath(relative.replace("\\", "/")).parts:
        current = current / part
        if current.is_symlink():
            shown = current.relative_to(root).as_posix()
            raise RepositoryError(
                Problem(
                    f"{shown} is a symbolic link; the tool never reads or writes through one",
                    where,
                    _LINK_FIX,
                )
            )
    path = root / relative
    if not path.resolve().is_relative_to(root.resolve()):
        raise RepositoryError(
            Problem(f"{relative} resolves outside the repository", where, "name a file inside it")
        )
    return path


def no_links_under(root: Path, directory: Path, where: str) -> None:
    """Refuse a folder (fragments) that is a link, leads outside, or holds any link."""
    if not directory.exists() and not directory.is_symlink():
        return
    inside(root, directory.relative_to(root).as_posix(), where)
    for path in sorted(directory.rglob("*")):
        if path.is_symlink():
            raise RepositoryError(
                Problem(
                    f"{path.relative_to(root).as_posix()} is a symbolic link; the tool never "
                    "reads or writes through one",
                    where,
                    _LINK_FIX,
                )
            )
