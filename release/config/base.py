"""The strict base of every config table, and the value checks its validators share."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from release.names import SAFE_NAME_RULE, name_problem, ref_problem
from release.paths import relative_problem

_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


class Strict(BaseModel):
    # Unknown keys are errors: a typo must never silently disable a setting. Strict types:
    # `in_all = "no"` is a mistake to report, not a string to read as false.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def check_tag_format(fmt: str, name: str = "name") -> str:
    """A tag format git accepts for every version spelling; {name} stands for a package."""
    if fmt.count("{version}") != 1:
        raise ValueError("must contain {version} exactly once, e.g. 'v{version}'")
    try:
        tags = [fmt.format(version=v, name=name) for v in ("1.2.3", "1.2.3rc1", "1.2.3-rc.1")]
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(
            f"unknown placeholder or stray brace ({exc}): only {{version}} and {{name}} "
            "are filled in"
        ) from None
    for tag in tags:
        problem = ref_problem(tag)
        if problem:
            raise ValueError(
                f"makes tags such as {tag!r} that git refuses: it {problem}; "
                "write it like 'v{version}' or '{name}-v{version}'"
            )
    return fmt


def check_url(url: str) -> str:
    import urllib.parse

    # Echoed: credentials in a URL (user:token@) are masked in every output.
    problem = "is not an http(s) URL; write it like 'https://host/path/'"
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        problem = "contains a space or a control character; percent-encode it (%20)"
    else:
        try:
            parts = urllib.parse.urlsplit(url)
            _ = parts.port  # a port that is not a number raises here
        except ValueError:
            problem = "has an invalid host or port; write it like 'https://host:8080/path/'"
        else:
            if parts.scheme in ("http", "https") and parts.hostname:
                return url
    raise ValueError(f"{url[:200]!r} {problem}")


def check_env_name(name: str | None) -> str | None:
    import re

    if name is not None and not re.match(_ENV_NAME, name):
        # The value is not echoed: people paste the secret itself here.
        raise ValueError(
            "is not an environment variable name (letters, digits, _); "
            "name the variable that holds the secret, never the secret"
        )
    return name


def check_name(name: str) -> str:
    problem = name_problem(name)
    if problem:
        raise ValueError(f"{problem}: {SAFE_NAME_RULE}")
    return name


def check_paths(paths: list[str]) -> list[str]:
    for path in paths:
        check_path(path)
    return paths


def check_path(path: str) -> str:
    problem = relative_problem(path)
    if problem:
        shown = path if len(path) <= 80 else path[:80] + "..."
        raise ValueError(f"{shown!r} {problem}")
    return path
