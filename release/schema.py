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
