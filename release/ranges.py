"""Version ranges of both ecosystems: does a range admit a version, and its smallest edit that does.

Python ranges are PEP 440 specifier sets (`packaging`); npm ranges follow npm's own `semver`
(`node-semver`, a port checked against npm's copy in tests/data/npm_semver.json). Pure: text
in, text out; `where` only names the manifest in error messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import nodesemver
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from release.errors import ConfigError, Problem

# npm specs that name no version range: a local folder, and the workspace's own version.
_LOCAL_PREFIXES = ("file:", "link:", "portal:")
_WORKSPACE_ANY = {"*", "^", "~", ""}
# The gap belongs to an operator, so a run of spaces is tried once, not at each of its places.
_NPM_COMPARATOR = re.compile(
    r"(?:(?P<op>\^|~>?|[<>]=?|=)(?P<gap>\s*))?"
    r"(?P<ver>v?(?:[0-9]+|[xX*])(?:\.(?:[0-9]+|[xX*])){0,2}(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)"
)
_PY_CLAUSE = re.compile(
    r"^(?P<lead>\s*)(?P<op>~=|===|==|!=|<=|>=|<|>)(?P<gap>\s*)(?P<ver>\S+?)\s*$"
)
_WRITTEN = re.compile(r"^v?((?:[0-9]+|[xX*])(?:\.(?:[0-9]+|[xX*]))*)(.*)$")
_LONGEST_EDIT = 1000  # a longer range is no one's hand-written range: not edited, reported
_UNEDITABLE_FIX = (
    "edit the range by hand so that it admits the new version, then run the plan again"
)


@dataclass(frozen=True)
class _Written:
    """A version as written in a range: its numeric parts (None for x/*), and what follows."""

    parts: tuple[int | None, ...]
    marks: tuple[str, ...]  # each part as written, so an "x" or "*" stays what it was
    suffix: str  # "-0", "-rc.1", ".*" ... kept when the bound is lifted


def admits_spec(ecosystem: str, spec: str, version: str, where: str) -> bool:
    """True when `spec`, written in a manifest of `ecosystem`, admits `version`."""
    if ecosystem == "python":
        return _python_admits(spec, version, where)
    return _npm_admits(spec, version, where)


def update_spec(ecosystem: str, spec: str, version: str, where: str) -> str:
    """`spec` if it admits `version`, else its smallest edit in the same style that does."""
    if admits_spec(ecosystem, spec, version, where):
        return spec
    if len(spec) > _LONGEST_EDIT:
        raise _cannot(spec[:40] + "...", version, where)
    if ecosystem == "python":
        new = _python_update(spec, version, where)
    else:
        new = _npm_update(spec, version, where)
    try:
        fits = admits_spec(ecosystem, new, version, where)
    except ConfigError:
        fits = False  # an edit this module cannot read back is no edit at all
    if not fits:
        raise _cannot(spec, version, where)
    return new


# ---- Python ---------------------------------------------------------------------------------


def _python_admits(spec: str, version: str, where: str) -> bool:
    text = spec.strip().removeprefix("(").removesuffix(")").strip()
    if not text or text.startswith("@"):
        return True  # no range, or a direct reference (a URL names no version)
    try:
        specifiers = SpecifierSet(text)
    except InvalidSpecifier as exc:
        raise ConfigError(
            Problem(f"{spec!r} is not a PEP 440 version range ({exc})", where, "fix the range")
        ) from exc
    parsed = _python_version(version, where)
    # pip takes a pre-release only when the range names one (or nothing else exists); a
    # dependent's users have the earlier releases, so a bare ">=1.0" does not admit 2.0rc1.
    # packaging 26 answers True for a lone version, hence the explicit flag.
    return specifiers.contains(parsed, prereleases=bool(specifiers.prereleases))


def _python_version(version: str, where: str) -> Version:
    try:
        return Version(version)
    except InvalidVersion as exc:
        raise ConfigError(
            Problem(f"{version!r} is not a PEP 440 version", where, "give a version like 2.0.0")
        ) from exc


def _python_update(spec: str, version: str, where: str) -> str:
    wrapped = spec.strip().startswith("(")
    inner = spec.strip().removeprefix("(").removesuffix(")") if wrapped else spec
    target = _python_version(version, where)
    release = target.release
    clauses = inner.split(",")
    parsed = [_PY_CLAUSE.match(c) for c in clauses]
    if any(m is None for m in parsed):
        raise _cannot(spec, version, where)
    lower = next((_written(m["ver"]) for m in parsed if m and m["op"] in (">=", ">")), None)
    out = []
    for clause, match in zip(clauses, parsed, strict=True):
        assert match is not None
        op, ver = match["op"], match["ver"]
        # A bound that already admits stays, except a lower one: it rises to the new version.
        fits = SpecifierSet(f"{op}{ver}").contains(target, prereleases=True)
        if fits and op not in (">=", ">"):
            out.append(clause)
            continue
        if op == "!=":
            raise _cannot(spec, version, where)
        if op in (">=", ">"):
            new_op, new_ver = ">=", version
        elif op == "<":
            new_op, new_ver = op, _lift(_written(ver), lower, release)
        elif op in ("<=", "==="):
            new_op, new_ver = op, version
        elif op == "==" and ver.endswith(".*"):
            new_op, new_ver = op, _truncate(_written(ver[:-2]), release) + ".*"
        elif op == "==":
            new_op, new_ver = op, version
        else:  # ~=: the same number of parts, the new version's pre-release kept if any
            normal = str(target)
            pre = normal[len(".".join(map(str, release))) :] if target.is_prerelease else ""
            new_op, new_ver = op, _truncate(_written(ver), release) + pre
        out.append(f"{match['lead']}{new_op}{match['gap']}{new_ver}")
    joined = ",".join(out)
    if wrapped:
        lead = spec[: len(spec) - len(spec.lstrip())]
        return f"{lead}({joined})"
    return joined


# ---- npm ------------------------------------------------------------------------------------


def _npm_range(spec: str) -> str | None:
    """The semver range inside an npm spec; None when it always admits the workspace's version."""
    text = spec.strip()
    if text.startswith(_LOCAL_PREFIXES) or text == "latest":
        return None
    if text.startswith("workspace:"):
        rest = text.removeprefix("workspace:")
        return None if rest in _WORKSPACE_ANY else rest
    return text


def _npm_admits(spec: str, version: str, where: str) -> bool:
    range_text = _npm_range(spec)
    _npm_version(version, where)
    if range_text is None:
        return True
    try:
        # Whitespace collapsed as npm's semver does since 7.5.2: the port still has the
        # regex that takes seconds per dozen spaces in a row (CVE-2022-25883).
        parsed = nodesemver.make_range(" ".join(range_text.split()), loose=False)
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            Problem(
                f"{spec!r} is not a version range npm understands ({exc})",
                where,
                "write a semver range such as ^1.2.0, or workspace:^ for the workspace's version",
            )
        ) from exc
    return bool(parsed.test(version))


def _npm_version(version: str, where: str) -> None:
    try:
        nodesemver.make_semver(version, loose=False)
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            Problem(f"{version!r} is not a semver version", where, "give a version like 2.0.0")
        ) from exc


def _npm_update(spec: str, version: str, where: str) -> str:
    range_text = _npm_range(spec)
    if range_text is None:  # always admits: update_spec never gets here
        return spec
    prefix = spec[: spec.index(range_text)]
    semver = nodesemver.make_semver(version, loose=False)
    release = (int(semver.major), int(semver.minor), int(semver.patch))
    full = f"{release[0]}.{release[1]}.{release[2]}" + (
        "-" + ".".join(str(p) for p in semver.prerelease) if semver.prerelease else ""
    )
    # An alternative list: the last (highest) alternative is the one moved forward.
    head, sep, last = range_text.rpartition("||")
    hyphen = re.fullmatch(r"(\s*)(\S+)(\s+-\s+)(\S+)(\s*)", last)
    if hyphen:
        upper = _npm_inclusive(_written(hyphen[4]), release, full)
        edited = f"{hyphen[1]}{full}{hyphen[3]}{upper}{hyphen[5]}"
        return prefix + head + sep + edited
    matches = list(_NPM_COMPARATOR.finditer(last))
    if not matches:
        raise _cannot(spec, version, where)
    lower = next((_written(m["ver"]) for m in matches if m["op"] in (">=", ">")), None)
    pieces, at = [], 0
    for m in matches:
        op, gap, ver = m["op"] or "", m["gap"] or "", m["ver"]
        written = _written(ver.removeprefix("v"))
        keep_v = "v" if ver.startswith("v") else ""
        if op in (">=", ">"):
            new = f">={gap}{full}"
        elif op == "<":
            if nodesemver.make_range(f"<{ver}", loose=False).test(full):
                new = m.group(0)
            else:
                new = f"<{gap}{keep_v}{_lift(written, lower, release)}"
        elif op == "<=":
            new = f"<={gap}{keep_v}{_npm_inclusive(written, release, full)}"
        elif all(part is None for part in written.parts):
            raise _cannot(spec, version, where)  # "*" admits every release, but no pre-release
        else:  # ^ ~ ~> = and bare versions or x-ranges: the same shape at the new version
            new = f"{op}{gap}{keep_v}{_npm_inclusive(written, release, full)}"
        pieces.append(last[at : m.start()] + new)
        at = m.end()
    pieces.append(last[at:])
    return prefix + head + sep + "".join(pieces)


def _npm_inclusive(written: _Written, release: tuple[int, ...], full: str) -> str:
    """The new version at the precision written: "1.2" -> "2.0", "1.x" -> "2.x", "1.2.3" -> full."""
    if len(written.parts) == 3 and None not in written.parts:
        return full
    if full != ".".join(map(str, release)):
        return full  # a pre-release needs every part to be admitted
    return _truncate(written, release)


# ---- shared ---------------------------------------------------------------------------------


def _written(text: str) -> _Written:
    match = _WRITTEN.match(text)
    if match is None:
        return _Written((), (), text)
    marks = tuple(match[1].split("."))
    parts = tuple(None if p in ("x", "X", "*") else int(p) for p in marks)
    return _Written(parts, marks, match[2])


def _truncate(written: _Written, release: tuple[int, ...]) -> str:
    """`release` cut to as many parts as `written` has, an x kept where one was written."""
    padded = (*release, 0, 0, 0)
    return ".".join(
        str(padded[i]) if part is not None else written.marks[i]
        for i, part in enumerate(written.parts)
    )


def _lift(upper: _Written, lower: _Written | None, release: tuple[int, ...]) -> str:
    """A new exclusive upper bound above `release`, cutting at the level the old one did.

    ">=1.2,<2" caps majors (first part where the bounds differ), so for 2.0.0 it becomes "<3";
    a lone "<1.3" caps minors (its last non-zero part), so for 2.0.0 it becomes "<2.1".
    """
    numbers = [p or 0 for p in upper.parts] or [0]
    level = len(numbers) - 1
    if lower is not None:
        low = [*(p or 0 for p in lower.parts), 0, 0, 0]
        level = next((i for i, n in enumerate(numbers) if n != low[i]), level)
    else:
        level = max((i for i, n in enumerate(numbers) if n), default=level)
    padded = (*release, 0, 0, 0)
    new = [*padded[:level], padded[level] + 1] + [0] * (len(numbers) - level - 1)
    return ".".join(map(str, new)) + (upper.suffix if upper.suffix == "-0" else "")


def _cannot(spec: str, version: str, where: str) -> ConfigError:
    return ConfigError(
        Problem(
            f"cannot say how to edit {spec!r} so that it admits {version}", where, _UNEDITABLE_FIX
        )
    )
