"""Dependency lists in pyproject.toml and package.json: read them, and edit one entry in place.

Pure text in, text out. A pyproject.toml is edited with tomlkit and a package.json by replacing
one string's bytes, so comments, indentation, key order and line endings stay as they were.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import tomlkit
import tomlkit.exceptions
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from tomlkit.items import Array, String, StringType

from release.errors import ConfigError, Problem

NPM_FIELDS = ("dependencies", "peerDependencies", "optionalDependencies", "devDependencies")
# Fields whose ranges bind only the repository's own development, never the package's users.
DEV_FIELDS = ("devDependencies", "dependency-groups.")
OPTIONAL_FIELDS = ("optionalDependencies", "project.optional-dependencies.")

# name, extras, then the range as written, then a marker or a direct reference (`@ url`).
# Greedy and anchored, so it matches in one pass whatever the input (no backtracking).
_REQUIREMENT = re.compile(
    r"^(?P<head>\s*[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?\s*(?:\[[^\]]*\])?\s*)"
    r"(?P<spec>[^;@]*)(?P<tail>(?:[;@].*)?)$",
    re.DOTALL,
)
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_SPACE = re.compile(r"[ \t\r\n]*")


@dataclass(frozen=True)
class Entry:
    """One dependency as a manifest writes it."""

    field: str  # "project.dependencies", "devDependencies", ...
    name: str  # as written (match Python names through canonicalize_name)
    spec: str  # the range as written, "" for none


def python_entries(text: str, where: str) -> list[Entry]:
    """Every requirement in project.dependencies, optional-dependencies and dependency-groups."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            Problem(f"is not valid TOML ({exc})", where, "fix the syntax at the place named")
        ) from exc
    entries = []
    for field, raw in _requirement_strings(data, where):
        name, spec = _split(raw, field, where)
        entries.append(Entry(field, name, spec))
    return entries


def _requirement_strings(data: dict[str, Any], where: str) -> Iterator[tuple[str, str]]:
    project = data.get("project", {})
    groups: list[tuple[str, Any]] = []
    if isinstance(project, dict):
        groups.append(("project.dependencies", project.get("dependencies", [])))
        optional = project.get("optional-dependencies", {})
        if isinstance(optional, dict):
            groups += [(f"project.optional-dependencies.{k}", v) for k, v in optional.items()]
    dependency_groups = data.get("dependency-groups", {})
    if isinstance(dependency_groups, dict):
        groups += [(f"dependency-groups.{k}", v) for k, v in dependency_groups.items()]
    for field, values in groups:
        if not isinstance(values, list):
            raise ConfigError(
                Problem(
                    f"{field} is not a list", where, "write it as a list of requirement strings"
                )
            )
        for value in values:
            # Why tables are skipped: a dependency group may hold {include-group = "..."}.
            if isinstance(value, str):
                yield field, value


def _split(raw: str, field: str, where: str) -> tuple[str, str]:
    try:
        requirement = Requirement(raw)
    except InvalidRequirement as exc:
        raise ConfigError(
            Problem(
                f"{raw!r} in {field} is not a valid requirement ({exc})",
                where,
                "write it as PEP 508 says, e.g. 'shop-core>=1.2,<2'",
            )
        ) from exc
    parts = _parts(raw)
    spec = parts[1] if parts and not requirement.url else ""
    return requirement.name, spec


def _parts(raw: str) -> tuple[str, str, str] | None:
    """(head, range, tail) of a requirement string; the three joined give it back."""
    match = _REQUIREMENT.match(raw)
    if match is None:
        return None
    spec = match["spec"].rstrip()
    return match["head"], spec, match["spec"][len(spec) :] + match["tail"]


def rewrite_python(text: str, field: str, name: str, spec: str, new_spec: str, where: str) -> str:
    """`text` with the requirement on `name` whose range is `spec` given `new_spec` instead."""
    try:
        doc = tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        raise ConfigError(
            Problem(f"is not valid TOML ({exc})", where, "fix the syntax at the place named")
        ) from exc
    node: Any = doc
    keys: list[str] = []
    if field == "project.dependencies":
        keys = ["project", "dependencies"]
    elif field.startswith("project.optional-dependencies."):
        keys = ["project", "optional-dependencies", field.split(".", 2)[2]]
    elif field.startswith("dependency-groups."):
        keys = ["dependency-groups", field.split(".", 1)[1]]
    for key in keys:
        node = node.get(key) if hasattr(node, "get") else None
    if isinstance(node, Array):
        for index, item in enumerate(node):
            if not isinstance(item, String):
                continue
            found, written = _split(str(item), field, where)
            if canonicalize_name(found) != canonicalize_name(name) or written != spec:
                continue
            parts = _parts(str(item))
            if parts is None:  # packaging read a name this pattern does not: leave it be
                break
            new = parts[0] + new_spec + parts[2]
            node[index] = tomlkit.string(
                new,
                literal=item.type in (StringType.SLL, StringType.MLL),
                multiline=item.type in (StringType.MLB, StringType.MLL),
            )
            return tomlkit.dumps(doc)
    raise _missing(name, spec, field, where)


def npm_entries(text: str, where: str) -> list[Entry]:
    """Every entry of package.json's four dependency fields, in field then file order."""
    data = _load_json(text, where)
    entries = []
    for field in NPM_FIELDS:
        values = data.get(field, {})
        if not isinstance(values, dict):
            raise ConfigError(
                Problem(f"{field} is not an object", where, 'write it as {"name": "^1.2.0"}')
            )
        for name, spec in values.items():
            if not isinstance(spec, str):
                raise ConfigError(
                    Problem(
                        f"{field}.{name} is {json.dumps(spec)}, not a string",
                        where,
                        'write the range as a string, e.g. "^1.2.0"',
                    )
                )
            entries.append(Entry(field, name, spec))
    return entries


def _load_json(text: str, where: str) -> dict[str, Any]:
    try:
        data = json.loads(text.removeprefix("\ufeff"))
    except (ValueError, RecursionError) as exc:
        raise ConfigError(
            Problem(f"is not valid JSON ({exc})", where, "fix the syntax at the place named")
        ) from exc
    if not isinstance(data, dict):
        raise ConfigError(Problem("is not a JSON object", where, "a package.json is one {...}"))
    return data


def rewrite_npm(text: str, field: str, name: str, spec: str, new_spec: str, where: str) -> str:
    """`text` with `field`.`name` (now `spec`) set to `new_spec`; every other byte kept."""
    _load_json(text, where)
    span = _json_spans(text).get((field, name))
    if span is None or json.loads(text[span[0] : span[1]]) != spec:
        raise _missing(name, spec, field, where)
    encoded = json.dumps(new_spec, ensure_ascii=False)
    return text[: span[0]] + encoded + text[span[1] :]


def _json_spans(text: str) -> dict[tuple[str, str], tuple[int, int]]:
    """Where each string two levels down sits: (field, key) -> (start, end) of its quotes.

    Only called on text json.loads accepted; a repeated key keeps its last place, as loads does.
    """
    spans: dict[tuple[str, str], tuple[int, int]] = {}
    start = 1 if text.startswith("\ufeff") else 0
    top = _space(text, start)
    if text[top] != "{":
        return spans
    for field, at in _members(text, top):
        if text[at] != "{":
            continue
        for key, value_at in _members(text, at):
            if text[value_at] == '"':
                spans[(field, key)] = (value_at, _skip(text, value_at))
    return spans


def _members(text: str, at: int) -> Iterator[tuple[str, int]]:
    """The keys of the object at `at` and where each value starts."""
    i = _space(text, at + 1)
    while text[i] != "}":
        key = _JSON_STRING.match(text, i)
        assert key is not None
        i = _space(text, key.end()) + 1  # past the colon
        value_at = _space(text, i)
        yield json.loads(key.group()), value_at
        i = _space(text, _skip(text, value_at))
        if text[i] == ",":
            i = _space(text, i + 1)


def _skip(text: str, at: int) -> int:
    """The end of the JSON value at `at`; a loop, not recursion, so any depth is fine."""
    depth, i = 0, at
    while True:
        char = text[i]
        if char == '"':
            string = _JSON_STRING.match(text, i)
            assert string is not None
            i = string.end()
        elif char in "{[":
            depth, i = depth + 1, i + 1
        elif char in "}]":
            depth, i = depth - 1, i + 1
        elif depth == 0:
            literal = re.compile(r"[^,}\]\s]+").match(text, i)
            assert literal is not None
            return literal.end()
        else:
            i += 1
        if depth == 0:
            return i


def _space(text: str, at: int) -> int:
    match = _JSON_SPACE.match(text, at)
    assert match is not None
    return match.end()


def _missing(name: str, spec: str, field: str, where: str) -> ConfigError:
    return ConfigError(
        Problem(
            f"no entry {name} {spec!r} in {field} (the file changed since it was read?)",
            where,
            "run the plan again on the file as it is now",
        )
    )
