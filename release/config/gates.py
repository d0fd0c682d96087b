"""The [gates] table: the release policy checked in phase 1, built-in gates and custom ones."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from release.config.base import Strict, check_path, check_paths


class Gate(Strict):
    enabled: bool = True
    skippable: bool = Field(
        True,
        description="may be skipped with --skip-gate NAME --reason (the reason goes in the "
        "report); false forbids skipping",
    )


class BranchGate(Gate):
    allowed: list[str] = Field(
        default_factory=list, description="branch patterns that may release; default [branch]"
    )


class SecretsGate(Gate):
    allowlist: str = Field(
        ".secrets.baseline", description="detect-secrets baseline of known false positives"
    )
    exclude: list[str] = Field(
        default_factory=list,
        description="paths the scan leaves out, as git glob patterns from the project's "
        'folder, e.g. ["tests/**"] (detect-secrets\' --exclude-files): for test fixtures '
        "full of made-up secrets",
    )

    @field_validator("allowlist")
    @classmethod
    def _inside(cls, path: str) -> str:
        return check_path(path)

    @field_validator("exclude")
    @classmethod
    def _patterns_inside(cls, patterns: list[str]) -> list[str]:
        return check_paths(patterns)


class CredentialFilesGate(Gate):
    files: list[str] = Field(
        default_factory=lambda: [".pypirc", ".npmrc", ".env"],
        description="files that may hold credentials: a tracked one must hold none written "
        "out (a ${VAR} reference is fine), a local one must be mode 0600",
    )

    @field_validator("files")
    @classmethod
    def _inside(cls, files: list[str]) -> list[str]:
        return check_paths(files)


class CustomGate(Strict):
    name: str = Field(min_length=1)
    command: str = Field(min_length=1, description="must exit 0; run in the project's directory")
    why: str = ""
    skippable: bool = Field(
        True, description="may be skipped with --skip-gate NAME --reason; false forbids it"
    )


class Gates(Strict):
    """The release policy checked in phase 1, before anything changes."""

    tests: Gate = Gate()
    build: Gate = Gate()
    branch: BranchGate = BranchGate()
    secrets: SecretsGate = SecretsGate()
    changelog: Gate = Gate(enabled=False)
    fragments: Gate = Gate()
    versions: Gate = Gate()
    credential_files: CredentialFilesGate = CredentialFilesGate()
    custom: list[CustomGate] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_names(self) -> Gates:
        builtin = set(type(self).model_fields) - {"custom"}
        names = [g.name for g in self.custom]
        clash = sorted({n for n in names if names.count(n) > 1 or n in builtin})
        if clash:
            raise ValueError(
                f"custom gate names must be unique and not built-in: {', '.join(clash)}"
            )
        return self
