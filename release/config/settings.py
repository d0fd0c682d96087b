"""The tables of how a project releases: [version], [changelog], [commits], [commands], [docs]."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from release.config.base import Strict, check_path, check_paths
from release.versionfiles import VersionSource


class VersionSettings(Strict):
    files: list[str] = Field(default_factory=list, description="places that carry the version")
    command: str = Field(
        "", description="run instead of editing files, e.g. npm run version:{bump}"
    )
    scheme: Literal["pep440", "semver"] | None = Field(
        None, description="spelling of tags and files; default semver for npm-only projects"
    )
    major_on_zero: bool = Field(False, description="let a breaking change on 0.x go to 1.0.0")
    source: Literal["tag", "files"] = Field(
        "tag",
        description="what the current version is: the newest release tag on the branch, or the "
        "version files even where no reachable tag has it",
    )
    calver: str = Field(
        "",
        description="CalVer format (YY.MM.MICRO, YYYY.MM.DD, YY.MINOR.MICRO, ...): the next "
        "version follows the release date; empty: SemVer-style bumps",
    )

    calver_start: int = Field(
        0,
        ge=0,
        le=1,
        description="where a new CalVer period starts its first counter: 0 (26.0.0) or 1 "
        "(26.1.0, as structlog and attrs count)",
    )

    @field_validator("calver")
    @classmethod
    def _calver_format(cls, fmt: str) -> str:
        from release.calver import check_format

        return check_format(fmt)

    @field_validator("files")
    @classmethod
    def _sources_parse(cls, files: list[str]) -> list[str]:
        for spec in files:
            check_path(VersionSource.parse(spec).path)
        return files

    @field_validator("command")
    @classmethod
    def _command_placeholders(cls, command: str) -> str:
        try:
            command.format(bump="patch", version="1.2.3")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(
                f"unknown placeholder or stray brace ({exc}): only {{bump}} and {{version}} "
                "are filled in; write a literal brace as {{ or }}"
            ) from None
        return command

    def sources(self) -> list[VersionSource]:
        return [VersionSource.parse(spec) for spec in self.files]


BumpLabel = Literal["major", "minor", "patch", "none"]
FRAGMENT_BUMPS: dict[str, BumpLabel] = {
    "breaking": "major",
    "removal": "major",
    "feature": "minor",
    "deprecation": "minor",
    "bugfix": "patch",
    "security": "patch",
    "perf": "patch",
    "doc": "none",
    "misc": "none",
}


class ChangelogSettings(Strict):
    mode: Literal["generate", "check", "none"] = Field(
        "generate",
        description="generate: write the entry (towncrier fragments, else commits); check: the "
        "changelog is written by hand and must have an entry for the version, or notes under "
        "an Unreleased heading at its top (`Unreleased`, `Dev`, `Next`...) that the release "
        "renames to the version's, in the style of the newest release heading; none",
    )
    file: str = Field("CHANGELOG.md", description="the changelog the entries go into")
    fragments: str = Field("changelog.d", description="towncrier fragments; commits when none")
    # Which fragment types decide which bump; types not listed decide nothing.
    bump: dict[str, BumpLabel] = Field(default_factory=lambda: dict(FRAGMENT_BUMPS))

    @field_validator("file", "fragments")
    @classmethod
    def _inside(cls, path: str) -> str:
        return check_path(path)


class CommitSettings(Strict):
    squash: Literal["release-please", "every-line", "off"] = Field(
        "release-please",
        description="commits inside a squash commit's body: release-please (a blank line then "
        "an unbulleted type(scope): header, or BEGIN_NESTED_COMMIT blocks; bullets never), "
        "every-line (python-semantic-release: any header-like line), off (header and footers)",
    )
    bump: dict[str, BumpLabel] = Field(
        default_factory=dict,
        description="commit type to bump, merged over feat = minor, fix = patch, perf = patch "
        '(e.g. refactor = "patch", perf = "none"); a breaking change is always major',
    )
    scope_bump: dict[str, BumpLabel] = Field(
        default_factory=dict,
        description='commit scope to bump whatever the type (e.g. deps = "patch"); '
        "the stronger of the type's and the scope's level wins",
    )

    @field_validator("bump", "scope_bump")
    @classmethod
    def _names(cls, table: dict[str, BumpLabel]) -> dict[str, BumpLabel]:
        import re

        bad = [k for k in table if not re.fullmatch(r"[A-Za-z0-9_.-]+", k)]
        if bad:
            raise ValueError(
                f"{', '.join(map(repr, bad))}: a commit type or scope is one word "
                "(letters, digits, - _ .), as written before the colon"
            )
        return table


class Commands(Strict):
    test: str = Field("", description="must pass before a release (the tests gate)")
    build: str = Field("", description="default: python -m build / npm pack; writes dist/")
    health: str = Field("", description="after install from each registry; must exit 0")


class DocsSettings(Strict):
    files: list[str] | None = Field(
        None, description="files whose mentions of the version follow releases; default README.md"
    )

    @field_validator("files")
    @classmethod
    def _inside(cls, files: list[str] | None) -> list[str] | None:
        return None if files is None else check_paths(files)
