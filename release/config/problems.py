"""A ValidationError as Problems: each key, what is wrong, how to fix it (did you mean ...)."""

from __future__ import annotations

import difflib
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from release.config.project import ProjectConfig
from release.config.targets import NO_CREDENTIALS, NpmTarget, PypiTarget
from release.errors import Problem
from release.forgeconfig import FORGE_KINDS, GithubTarget, GitlabTarget


def validation_problems(exc: ValidationError, where: str, data: dict[str, Any]) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p in _KINDS)]
        key = _dotted(loc, data)
        kind = err["type"]
        if kind == "extra_forbidden":
            allowed = _allowed_keys(loc[:-1], data)
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            fix = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(allowed)}"
            problems.append(Problem(f"unknown key {key!r}", where, fix))
        elif kind == "missing":
            problems.append(Problem(f"missing required key {key!r}", where, f"add {key} = ..."))
        elif kind in {"union_tag_invalid", "union_tag_not_found"}:
            problems.append(
                Problem(
                    f"{key}: unknown or missing target kind",
                    where,
                    'set kind = "pypi", "npm", "github" or "gitlab"',
                )
            )
        else:
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(Problem(f"{key}: {msg}", where, _fix_for(kind, err, key)))
    # pydantic skips a model's own checks when one of its fields is invalid; this one is
    # said anyway, so a bad url does not hide that the target has no credentials.
    for key in _pypi_targets_without_credentials(data):
        if not any(p.what.startswith(f"{key}: no credentials") for p in problems):
            problems.append(
                Problem(
                    f"{key}: {NO_CREDENTIALS}",
                    where,
                    f'add password_env = "NAME" to {key}',
                )
            )
    return problems


def _pypi_targets_without_credentials(data: dict[str, Any]) -> list[str]:
    targets = data.get("targets")
    if not isinstance(targets, list):
        return []
    return [
        f"targets[{i}]"
        for i, t in enumerate(targets)
        if isinstance(t, dict)
        and t.get("kind") == "pypi"
        and not (t.get("password_env") or t.get("trusted_publishing"))
    ]


_TYPE_FIXES = {
    "string_type": 'write a quoted string, e.g. key = "value"',
    "bool_type": "write true or false",
    "bool_parsing": "write true or false",
    "list_type": 'write a list, e.g. key = ["a", "b"]',
    "dict_type": "write a table, e.g. [section]",
    "model_type": "write a table, e.g. [section]",
    "int_type": "write a whole number",
}


def _fix_for(kind: str, err: Any, key: str = "") -> str:
    if kind in _TYPE_FIXES:
        return _TYPE_FIXES[kind]
    ctx = err.get("ctx", {}) if isinstance(err, dict) else {}
    expected = ctx.get("expected")
    if expected:
        return f"expected {expected}"
    for bound, word in (("gt", "greater than"), ("ge", "at least"), ("lt", "less than")):
        if bound in ctx:
            return f"set {key} to a number {word} {ctx[bound]}"
    if "le" in ctx:
        return f"set {key} to a number at most {ctx['le']}"
    if "min_length" in ctx:
        return f"set {key} to a non-empty value"
    if kind == "value_error":
        return f"change {key} as the message says (`release config reference` lists every key)"
    return f"change {key}: `release config reference` shows its type and an example"


def _dotted(loc: list[Any], data: dict[str, Any]) -> str:
    parts: list[str] = []
    for p in loc:
        parts.append(f"[{p}]" if isinstance(p, int) else ("." if parts else "") + str(p))
    return "".join(parts)


def _allowed_keys(loc: list[Any], data: dict[str, Any]) -> list[str]:
    """The keys the model accepts at `loc`, for a "did you mean" on an unknown one."""
    model: Any = ProjectConfig
    node: Any = data
    for part in loc:
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and part < len(node) else {}
            if model is _TARGET:
                kind = node.get("kind") if isinstance(node, dict) else None
                model = _BY_KIND.get(str(kind), PypiTarget)
            continue
        fields = getattr(model, "model_fields", {})
        if part not in fields:
            return []
        node = node.get(part, {}) if isinstance(node, dict) else {}
        model = _model_of(fields[part].annotation)
    return list(getattr(model, "model_fields", {}))


_TARGET = object()  # the targets union: which model depends on each item's kind
_BY_KIND: dict[str, type[BaseModel]] = {
    "pypi": PypiTarget,
    "npm": NpmTarget,
    "github": GithubTarget,
    "gitlab": GitlabTarget,
}
_KINDS = ("pypi", "npm", *FORGE_KINDS)


def _model_of(annotation: Any) -> Any:
    """The BaseModel class inside an annotation (list[X], X | None), or the targets marker."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    args = get_args(annotation)
    if NpmTarget in args or PypiTarget in args:
        return _TARGET
    for arg in args:
        found = _model_of(arg)
        if found is not None:
            return found
    return None
