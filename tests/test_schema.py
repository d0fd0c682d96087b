"""The shipped JSON Schema is the config model's, accepts every example and rejects a bad one."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import jsonschema
import pytest

from release.cli import main
from release.schema import config_schema

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = json.loads((ROOT / "configs" / "schema.json").read_text())


def test_shipped_schema_is_generated_from_the_model() -> None:
    assert config_schema() == SHIPPED, "run `release config schema > configs/schema.json`"


@pytest.mark.parametrize(
    "path", sorted((ROOT / "configs" / "projects").glob("*.toml")), ids=lambda p: p.name
)
def test_every_example_config_validates(path: Path) -> None:
    assert path.read_text().startswith("#:schema ../schema.json")  # editors find the schema
    jsonschema.validate(tomllib.loads(path.read_text()), SHIPPED)


def test_a_bad_config_is_rejected_by_the_schema_and_the_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = {
        "name": "x",
        "tag_format": "v{version}",
        "targets": [{"name": "t", "kind": "npm", "registri": "http://x/"}],
    }
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SHIPPED)
    path = tmp_path / "bad.toml"
    path.write_text('name = "x"\n[[targets]]\nname = "t"\nkind = "npm"\nregistri = "http://x/"\n')
    assert main(["config", "check", str(path), "--json"]) == 2
    result = json.loads(capsys.readouterr().out)["configs"][0]
    assert result["ok"] is False
    assert any("did you mean 'registry'?" in p["fix"] for p in result["problems"])


def test_configuration_reference_is_generated_from_the_model() -> None:
    from release.schema import reference_markdown

    shipped = (ROOT / "docs" / "configuration.md").read_text()
    assert reference_markdown() == shipped, "run `release config reference > docs/configuration.md`"
    assert "| `token_env` | string | required | the variable holding the token" in shipped


def test_the_schema_asks_a_pypi_target_for_credentials() -> None:
    target = {"name": "p", "kind": "pypi", "url": "https://upload.pypi.org/legacy/"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"name": "x", "targets": [target]}, SHIPPED)
    for given in ({"password_env": "PYPI_TOKEN"}, {"trusted_publishing": True}):
        jsonschema.validate({"name": "x", "targets": [{**target, **given}]}, SHIPPED)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {"name": "x", "targets": [{**target, "trusted_publishing": False}]}, SHIPPED
        )
