"""Nox sessions: thin wrappers over the `release` package and the project's checks."""

from __future__ import annotations

import hashlib
from pathlib import Path

import nox

nox.options.reuse_venv = "yes"
nox.options.sessions = ["tests", "lint"]
nox.options.default_venv_backend = "venv"

ROOT = Path(__file__).parent


def _install(session: nox.Session, *extras: str) -> None:
    """Install the package (editable) once per environment; again only when pyproject changes.

    A reused environment then starts its work in well under a second.
    """
    spec = f".[{','.join(extras)}]" if extras else "."
    stamp = Path(session.virtualenv.location) / ".release-installed"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + spec.encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    session.install("-e", spec)
    stamp.write_text(digest)


@nox.session
def plan(session: nox.Session) -> None:
    """Show exactly what a push would do (offline, changes nothing)."""
    _install(session)
    session.run("release", "plan", *session.posargs)


@nox.session
def push(session: nox.Session) -> None:
    """Release: validate, bump, changelog, commit and tag, publish, verify, report."""
    _install(session)
    session.run("release", "push", *session.posargs)


@nox.session
def rollback(session: nox.Session) -> None:
    """Undo the last release (before or after it left the machine), after checking the world."""
    _install(session)
    session.run("release", "rollback", *session.posargs)


@nox.session
def status(session: nox.Session) -> None:
    """What is released where: version files, tags local and remote, each registry, drift."""
    _install(session)
    session.run("release", "status", *session.posargs)


@nox.session
def journal(session: nox.Session) -> None:
    """The journaled releases of a project and their state."""
    _install(session)
    session.run("release", "journal", *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """The main job on the bundled examples: a fresh sandbox (a local index, npm registry and
    git remote), the plans, then the real releases of all three to it."""
    _install(session, "sandbox")
    session.run("python", "scripts/sandbox.py", "up", "--reset")
    # --all: the bundled examples (a Python, an npm and a dual project); this project's own
    # config says in_all = false, so a real PyPI release is never part of the batch.
    session.run("release", "plan", "--all")
    session.run(
        "release", "push", "--all", "--env-file", ".sandbox/credentials.env", *session.posargs
    )


def _install_verdaccio(session: nox.Session) -> None:
    if not (ROOT / "registry" / "node_modules" / "verdaccio").is_dir():
        # The real npm registry, pinned in registry/package-lock.json.
        session.run("npm", "ci", "--prefix", "registry", "--no-audit", "--no-fund", external=True)


def _install_contracts(session: nox.Session) -> None:
    if not (ROOT / "contracts" / "node_modules" / "@stoplight" / "prism-cli").is_dir():
        # GitHub's OpenAPI description and Prism, pinned in contracts/package-lock.json.
        session.run("npm", "ci", "--prefix", "contracts", "--no-audit", "--no-fund", external=True)


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite, against real git repositories, local services and published API
    contracts."""
    _install(session, "test")
    _install_verdaccio(session)
    _install_contracts(session)
    # Two workers: most of the time is spent waiting on builds, registries and git.
    session.run("pytest", "-n", "2", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint and format check) and mypy --strict on the package."""
    _install(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy", "release")
    session.run(
        "check-jsonschema",
        "--builtin-schema",
        "vendor.github-workflows",
        "ci-templates/github/release.yml",
    )
    session.run(
        "check-jsonschema",
        "--builtin-schema",
        "vendor.gitlab-ci",
        "ci-templates/gitlab/release.gitlab-ci.yml",
    )


@nox.session
def bench(session: nox.Session) -> None:
    """The benchmarks: `nox -s bench -- NAME [options]` runs benchmarks/NAME.py (history,
    push, status); without a name, history (long histories, beside python-semantic-release)."""
    _install(session, "test", "sandbox")
    _install_verdaccio(session)
    args = list(session.posargs)
    name = args.pop(0) if args and not args[0].startswith("-") else "history"
    options = args
    script = ROOT / "benchmarks" / f"{name}.py"
    if not script.is_file():
        session.error(f"no benchmark {name!r}: use history, push or status")
    session.run("python", str(script), *options)
