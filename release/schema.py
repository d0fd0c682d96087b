"""The JSON Schema of project configs, generated from the config model (configs/schema.json)."""

from __future__ import annotations

import json
from typing import Any

from release.config import ProjectConfig


def config_schema() -> dict[str, Any]:
    schema = ProjectConfig.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://release-push.invalid/configs/schema.json",
        "title": "release-push project config",
        "description": "configs/projects/NAME.toml: one managed project. Generated from "
        "release.config.ProjectConfig by `release config schema`; do not edit by hand.",
        **{k: v for k, v in schema.items() if k != "title"},
    }


def schema_text() -> str:
    return json.dumps(config_schema(), indent=2, sort_keys=True) + "\n"


def reference_markdown() -> str:
    """The configuration reference, generated from the JSON Schema (docs/configuration.md)."""
    schema = config_schema()
    defs = schema.get("$defs", {})
    lines = [
        "# Configuration reference",
        "",
        "Generated from the config model by `release config reference`; do not edit by hand.",
        "`configs/projects/NAME.toml`, one file per project; paths are relative to the file.",
        "Unknown keys are errors.",
        "",
    ]
    _section(lines, "top level", schema, defs)
    for name, sub in sorted(defs.items()):
        _section(lines, f"[{_table_name(name)}]", sub, defs)
    return "\n".join(lines).rstrip() + "\n"


_TABLES = {
    "VersionSettings": "version",
    "ChangelogSettings": "changelog",
    "CommitSettings": "commits",
    "Commands": "commands",
    "DocsSettings": "docs",
    "Gates": "gates",
    "Gate": "gates.tests / gates.build / gates.changelog / gates.fragments / gates.versions",
    "BranchGate": "gates.branch",
    "SecretsGate": "gates.secrets",
    "CredentialFilesGate": "gates.credential_files",
    "CustomGate": "[gates.custom]",
    "PypiTarget": '[targets] kind = "pypi"',
    "NpmTarget": '[targets] kind = "npm"',
    "GithubTarget": '[targets] kind = "github"',
    "GitlabTarget": '[targets] kind = "gitlab"',
    "Notify": "[notify]",
}


def _table_name(name: str) -> str:
    return _TABLES.get(name, name)


def _type(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        return "table"
    if "const" in prop:
        return json.dumps(prop["const"])
    if "enum" in prop:
        return " | ".join(json.dumps(v) for v in prop["enum"])
    if "anyOf" in prop:
        return " or ".join(_type(p) for p in prop["anyOf"] if p.get("type") != "null")
    if prop.get("type") == "array":
        items = prop.get("items", {})
        if "oneOf" in items:
            return "list of targets (tables, by `kind`)"
        return f"list of {_type(items)}"
    if "additionalProperties" in prop and prop.get("type") == "object":
        return f"table of {_type(prop['additionalProperties'])}"
    return str(prop.get("type", "any"))


def _section(lines: list[str], title: str, schema: dict[str, Any], defs: dict[str, Any]) -> None:
    props = schema.get("properties", {})
    if not props:
        return
    required = set(schema.get("required", []))
    lines += [f"## {title}", "", "| key | type | default | meaning |", "| --- | --- | --- | --- |"]
    for key, prop in props.items():
        if key in required:
            default = "required"
        elif "$ref" in prop or "default" not in prop or isinstance(prop["default"], dict):
            default = "-"
        else:
            default = f"`{json.dumps(prop['default'])}`"
        meaning = prop.get("description", "").replace("|", "\\|")
        kind = _type(prop).replace("|", "\\|")
        lines.append(f"| `{key}` | {kind} | {default} | {meaning} |")
    lines.append("")
