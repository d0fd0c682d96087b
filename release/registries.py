"""The credentials of every target, read from the variables its config names: for the push,
its recovery from the world, and `release status`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from release.config import LoadedConfig
from release.config.targets import PypiTarget
from release.errors import Problem
from release.ops.ci import oidc_available
from release.ops.npm import NpmRegistry
from release.ops.pypi import Index, default_simple_url


@dataclass
class Registries:
    """Every target with its credentials, read from the variables the config names."""

    indexes: dict[str, Index] = field(default_factory=dict)
    npm: dict[str, NpmRegistry] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def registries_from_env(loaded: LoadedConfig) -> Registries:
    found = Registries()
    for target in loaded.config.registries:
        if isinstance(target, PypiTarget):
            trusted = target.trusted_publishing and oidc_available("pypi")
            names = [] if trusted else [n for n in (target.username_env, target.password_env) if n]
            if target.trusted_publishing and not trusted and not target.password_env:
                found.problems.append(
                    Problem(
                        f"target {target.name!r} publishes through trusted publishing, but "
                        "this job has no OIDC identity",
                        f"targets.{target.name}.trusted_publishing",
                        "run it in GitHub Actions with `permissions: id-token: write` (or GitLab "
                        "with `id_tokens: PYPI_ID_TOKEN: {aud: pypi}`), or also set password_env",
                    )
                )
        else:
            trusted, names = False, [target.token_env]
        missing = [n for n in names if not os.environ.get(n)]
        if missing:
            found.problems.append(
                Problem(
                    f"credentials for target {target.name!r} are missing: "
                    f"{', '.join(missing)} not set",
                    f"targets.{target.name}",
                    f"export {' and '.join(missing)} (in CI: from its secret store)",
                )
            )
        if isinstance(target, PypiTarget):
            username = (
                os.environ.get(target.username_env, "") if target.username_env else "__token__"
            )
            found.indexes[target.name] = Index(
                name=target.name,
                upload_url=target.url,
                simple_url=target.simple_url or default_simple_url(target.url),
                username="__token__" if trusted else username,
                password="" if trusted else os.environ.get(target.password_env or "", ""),
                trusted=trusted,
            )
        else:
            found.npm[target.name] = NpmRegistry(
                target.name, target.registry, os.environ.get(target.token_env, "")
            )
    return found
