"""Names that become paths and refs: project and target names; tag names by git's rules."""

from __future__ import annotations

import re

SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
SAFE_NAME_RULE = (
    "use 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit "
    "(it names files and folders: no '/', no '..')"
)


def name_problem(name: str) -> str | None:
    """Why a project or target name cannot name a file (None: it can)."""
    if SAFE_NAME.match(name) and ".." not in name:
        return None
    shown = name if len(name) <= 40 else name[:40] + "..."
    return f"{shown!r} is not a safe name"


# A package of a set is named as its registry names it: npm's scoped names included.
PACKAGE_NAME = re.compile(r"^(@[a-z0-9][a-z0-9._-]{0,49}/)?[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
PACKAGE_NAME_RULE = (
    "use a distribution or npm name: letters, digits, '.', '_' or '-', optionally after an "
    "npm scope ('@scope/')"
)


def package_problem(name: str) -> str | None:
    """Why a package name is not one a registry would take (None: it is)."""
    if PACKAGE_NAME.match(name) and ".." not in name:
        return None
    shown = name if len(name) <= 40 else name[:40] + "..."
    return f"{shown!r} is not a package name"


def slug(name: str) -> str:
    """A package name as a folder name ('@scope/pkg' -> 'scope-pkg')."""
    return name.removeprefix("@").replace("/", "-")


def ref_problem(ref: str) -> str | None:
    """Why git would refuse `ref` as a tag name (git check-ref-format's rules), or None."""
    if not ref:
        return "is empty"
    if ref.startswith("-"):
        return "starts with '-' (git would read it as an option)"
    if ref == "@" or "@{" in ref:
        return "contains '@{' or is '@'"
    if ".." in ref:
        return "contains '..'"
    if any(ord(c) < 0x20 or ord(c) == 0x7F or c in " ~^:?*[\\" for c in ref):
        return "contains a character git does not allow in tag names (space, control, ~^:?*[\\)"
    if ref.startswith("/") or ref.endswith("/") or "//" in ref:
        return "starts or ends with '/' or has '//'"
    if ref.endswith("."):
        return "ends with '.'"
    for part in ref.split("/"):
        if part.startswith("."):
            return "has a part that starts with '.'"
        if part.endswith(".lock"):
            return "has a part that ends with '.lock'"
    return None
