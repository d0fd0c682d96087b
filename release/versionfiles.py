"""Version sources: read and rewrite the version in TOML, JSON, Python, whole-file and regex forms.

Every function here is pure (text in, text out) so the plan can hold each file's
new text before anything is written; edits keep the rest of the file as it was.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from enum import Enum
from typing import Any

from release.errors import Problem, VersionError
from release.warmup import settle


class SourceKind(Enum):
    TOML = "toml"
    JSON = "json"
    PYTHON = "python"
    WHOLE_FILE = "file"
    REGEX = "regex"


_DOTTED_KEY = re.compile(r"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class VersionSource:
    """One place that carries the version, as written in the config (`path[:key-or-regex]`)."""

    spec: str
    path: str
    kind: SourceKind
    key: str = ""

    @classmethod
    def parse(cls, spec: str) -> VersionSource:
        """Parse a config entry; raise ValueError with a fix when it cannot be understood."""
        path, sep, key = spec.partition(":")
        if not path:
            raise ValueError(f"{spec!r} has no file path; write it as 'path' or 'path:key'")
        if not sep:
            return cls(spec, path, SourceKind.WHOLE_FILE)
        if not key:
            raise ValueError(f"{spec!r} ends with ':'; name the key after it or drop the ':'")
        suffix = path.rsplit(".", 1)[-1].lower()
        if suffix == "toml" and _DOTTED_KEY.match(key):
            return cls(spec, path, SourceKind.TOML, key)
        if suffix == "json" and _DOTTED_KEY.match(key):
            return cls(spec, path, SourceKind.JSON, key)
        if suffix == "py" and _IDENTIFIER.match(key):
            return cls(spec, path, SourceKind.PYTHON, key)
        try:
            pattern = re.compile(key, re.MULTILINE)
        except re.error as exc:
            raise ValueError(f"{spec!r}: the part after ':' is not a valid regex ({exc})") from exc
        if "version" not in pattern.groupindex and pattern.groups != 1:
            raise ValueError(
                f"{spec!r}: a regex source needs a group named 'version' or exactly one group"
            )
        return cls(spec, path, SourceKind.REGEX, key)

    def read(self, text: str) -> str:
        """The version string this source holds in `text`."""
        return _READERS[self.kind](self, text)

    def write(self, text: str, new_version: str) -> str:
        """`text` with this source's version replaced by `new_version`, all else kept."""
        return _WRITERS[self.kind](self, text, new_version)

    def _fail(self, what: str, fix: str) -> VersionError:
        return VersionError(Problem(what, self.spec, fix))


def _toml_lookup(src: VersionSource, doc: Any) -> tuple[Any, str]:
    *parents, last = src.key.split(".")
    node = doc
    for part in parents:
        if not hasattr(node, "get") or part not in node:
            raise src._fail(
                f"no table [{part}] on the way to key {src.key!r}",
                "fix the key path in [version].files",
            )
        node = node[part]
    if not hasattr(node, "get") or last not in node:
        raise src._fail(f"key {src.key!r} not found", "fix the key path in [version].files")
    return node, last


def _parse_toml(src: VersionSource, text: str) -> Any:
    # Loaded on first use: only a release writes a TOML version file (a push loads it
    # while it waits on git, before its plan).
    settle("tomlkit")
    import tomlkit
    import tomlkit.exceptions

    try:
        return tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        raise src._fail(f"the file is not valid TOML ({exc})", "fix the file's syntax") from exc


def _read_toml(src: VersionSource, text: str) -> str:
    # Reading needs no round trip: the standard library's parser, a tenth of tomlkit's import.
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise src._fail(f"the file is not valid TOML ({exc})", "fix the file's syntax") from exc
    node, last = _toml_lookup(src, doc)
    value = node[last]
    if not isinstance(value, str):
        raise src._fail(f"key {src.key!r} is not a string", "the version must be a quoted string")
    return str(value)


def _write_toml(src: VersionSource, text: str, new_version: str) -> str:
    doc = _parse_toml(src, text)
    node, last = _toml_lookup(src, doc)
    node[last] = new_version
    return str(doc.as_string())


def _json_indent(text: str) -> str | int:
    match = re.search(r"^[{\[][^\n]*\n([ \t]+)\S", text, re.MULTILINE)
    return match.group(1) if match else 2


def _load_json(src: VersionSource, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise src._fail(f"the file is not valid JSON ({exc})", "fix the file's syntax") from exc


def _json_lookup(src: VersionSource, data: Any) -> tuple[dict[str, Any], str]:
    *parents, last = src.key.split(".")
    node = data
    for part in parents:
        if not isinstance(node, dict) or part not in node:
            raise src._fail(f"no object {part!r} on the way to {src.key!r}", "fix the key path")
        node = node[part]
    if not isinstance(node, dict) or last not in node:
        raise src._fail(f"key {src.key!r} not found", "fix the key path in [version].files")
    return node, last


def _read_json(src: VersionSource, text: str) -> str:
    node, last = _json_lookup(src, _load_json(src, text))
    if not isinstance(node[last], str):
        raise src._fail(f"key {src.key!r} is not a string", "the version must be a JSON string")
    return str(node[last])


def _write_json(src: VersionSource, text: str, new_version: str) -> str:
    # Rewritten the way npm itself writes package.json: same indentation, key order kept.
    data = _load_json(src, text)
    node, last = _json_lookup(src, data)
    node[last] = new_version
    out = json.dumps(data, indent=_json_indent(text), ensure_ascii=False)
    return out + "\n" if text.endswith("\n") else out


def _python_pattern(src: VersionSource) -> re.Pattern[str]:
    return re.compile(
        rf"^(?P<lead>[ \t]*{re.escape(src.key)}[ \t]*(?::[ \t]*str[ \t]*)?=[ \t]*)"
        r"(?P<q>['\"])(?P<version>[^'\"\n]*)(?P=q)",
        re.MULTILINE,
    )


def _single_match(src: VersionSource, pattern: re.Pattern[str], text: str) -> re.Match[str]:
    matches = list(pattern.finditer(text))
    if not matches:
        raise src._fail(
            "the version was not found in the file",
            "check the file and the key or regex in [version].files",
        )
    if len(matches) > 1:
        raise src._fail(
            f"the version pattern matches {len(matches)} places",
            "make the key or regex specific enough to match once",
        )
    return matches[0]


def _regex(src: VersionSource) -> tuple[re.Pattern[str], str | int]:
    pattern = re.compile(src.key, re.MULTILINE)
    return pattern, "version" if "version" in pattern.groupindex else 1


def _read_python(src: VersionSource, text: str) -> str:
    return _single_match(src, _python_pattern(src), text).group("version")


def _write_python(src: VersionSource, text: str, new_version: str) -> str:
    m = _single_match(src, _python_pattern(src), text)
    return text[: m.start("version")] + new_version + text[m.end("version") :]


def _read_regex(src: VersionSource, text: str) -> str:
    pattern, group = _regex(src)
    return _single_match(src, pattern, text).group(group)


def _write_regex(src: VersionSource, text: str, new_version: str) -> str:
    pattern, group = _regex(src)
    m = _single_match(src, pattern, text)
    return text[: m.start(group)] + new_version + text[m.end(group) :]


def _read_whole(src: VersionSource, text: str) -> str:
    value = text.strip()
    if not value or "\n" in value:
        raise src._fail("a VERSION-style file must hold the version alone", "leave one line in it")
    return value


def _write_whole(src: VersionSource, text: str, new_version: str) -> str:
    return text.replace(text.strip(), new_version, 1) if text.strip() else new_version + "\n"


_READERS = {
    SourceKind.TOML: _read_toml,
    SourceKind.JSON: _read_json,
    SourceKind.PYTHON: _read_python,
    SourceKind.WHOLE_FILE: _read_whole,
    SourceKind.REGEX: _read_regex,
}
_WRITERS = {
    SourceKind.TOML: _write_toml,
    SourceKind.JSON: _write_json,
    SourceKind.PYTHON: _write_python,
    SourceKind.WHOLE_FILE: _write_whole,
    SourceKind.REGEX: _write_regex,
}


def write_npm_lockfile(text: str, new_version: str) -> str:
    """package-lock.json kept consistent with package.json: the root package's two version keys."""
    data = json.loads(text)
    if "version" in data:
        data["version"] = new_version
    root = data.get("packages", {}).get("")
    if isinstance(root, dict) and "version" in root:
        root["version"] = new_version
    out = json.dumps(data, indent=_json_indent(text), ensure_ascii=False)
    return out + "\n" if text.endswith("\n") else out
