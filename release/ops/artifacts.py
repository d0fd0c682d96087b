"""Built artifacts and the version they carry: what a build is told, and what it produced.

The release builds from a `git archive` export, which has no `.git`: a dynamic-version
backend (setuptools-scm, hatch-vcs) finds no tag there, so it is told the version instead.
"""

from __future__ import annotations

import json
import tarfile
import zipfile
from email.parser import HeaderParser
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from release.errors import Problem, ReleaseError


def build_env(distribution: str, version: str, tag: str) -> dict[str, str]:
    """The variables a build runs with, so every backend and custom command sees the version.

    >>> sorted(build_env("my.pkg", "1.2.0", "v1.2.0"))  # doctest: +NORMALIZE_WHITESPACE
    ['RELEASE_TAG', 'RELEASE_VERSION', 'SETUPTOOLS_SCM_PRETEND_VERSION',
     'SETUPTOOLS_SCM_PRETEND_VERSION_FOR_MY_PKG']
    """
    env = {"RELEASE_VERSION": version, "RELEASE_TAG": tag}
    if distribution:
        # setuptools-scm (and hatch-vcs, which runs it) read these; the _FOR_ form only
        # reaches this distribution, the plain one reaches setuptools-scm before 6.
        key = str(canonicalize_name(distribution)).replace("-", "_").upper()
        env[f"SETUPTOOLS_SCM_PRETEND_VERSION_FOR_{key}"] = version
        env["SETUPTOOLS_SCM_PRETEND_VERSION"] = version
    return env


def expand(command: str, version: str, tag: str) -> str:
    """A configured command with `{version}` and `{tag}` filled in (other braces untouched).

    >>> expand("make dist V={version} T={tag} X=${HOME}", "1.0", "v1.0")
    'make dist V=1.0 T=v1.0 X=${HOME}'
    """
    return command.replace("{version}", version).replace("{tag}", tag)


def artifact_version(path: Path) -> str | None:
    """The version written inside a wheel, sdist or npm tarball (None: none found)."""
    name = path.name
    if name.endswith(".whl"):
        with zipfile.ZipFile(path) as archive:
            meta = [n for n in archive.namelist() if n.count("/") == 1]
            meta = [n for n in meta if n.endswith(".dist-info/METADATA")]
            return _metadata_version(archive.read(meta[0])) if meta else None
    if name.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            info = [n for n in archive.namelist() if n.count("/") == 1 and n.endswith("PKG-INFO")]
            return _metadata_version(archive.read(info[0])) if info else None
    if name.endswith((".tar.gz", ".tgz")):
        with tarfile.open(path) as archive:
            members = [m for m in archive.getmembers() if m.isfile() and m.name.count("/") == 1]
            for member in members:
                handle = archive.extractfile(member)
                if handle is None:
                    continue
                if member.name.endswith("/PKG-INFO"):
                    return _metadata_version(handle.read())
                if member.name.endswith("/package.json"):
                    version = json.loads(handle.read()).get("version")
                    return str(version) if version is not None else None
    return None


def _metadata_version(raw: bytes) -> str | None:
    return HeaderParser().parsestr(raw.decode("utf-8", errors="replace")).get("Version")


def check_versions(files: list[Path], expected: str, *, pep440: bool) -> None:
    """Every artifact carries the planned version, or the release stops before any push."""
    wrong = []
    for path in files:
        found = artifact_version(path)
        if not _same(found, expected, pep440=pep440):
            wrong.append(f"{path.name} says {found or 'no version'}")
    if wrong:
        raise ReleaseError(
            Problem(
                f"the build did not produce version {expected}: {', '.join(wrong)}",
                "build",
                "make the build read the version from the files the release writes, or from "
                "RELEASE_VERSION / SETUPTOOLS_SCM_PRETEND_VERSION (dynamic versions), or use "
                "{version} in commands.build",
            )
        )


def _same(found: str | None, expected: str, *, pep440: bool) -> bool:
    if found is None:
        return False
    if not pep440:
        return found == expected
    try:
        return Version(found) == Version(expected)
    except InvalidVersion:
        return False
