"""Nox sessions: thin wrappers over the `release` package and the project's checks."""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

import nox

nox.options.reuse_venv = "yes"
nox.options.sessions = ["tests", "lint"]
# uv creates and fills environments in seconds where pip takes a minute; venv where it is missing.
nox.options.default_venv_backend = "uv|venv"

ROOT = Path(__file__).parent
# The release verbs share one environment: the first verb on a fresh machine installs it,
# every other verb (and the demo) reuses it.
SHARED = ROOT / ".nox" / "release"


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


def _uv() -> str | None:
    try:
        from uv import find_uv_bin  # nox[uv], or uv installed beside nox

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


def _shared(session: nox.Session) -> Path:
    """The release verbs' one environment (made with uv when there is one); its bin folder.

    Installed again only when pyproject.toml changes, like `_install`.
    """
    bin_dir = SHARED / "bin"
    stamp = SHARED / ".release-installed"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + b"[sandbox]").hexdigest()
    if stamp.exists() and stamp.read_text() == digest and (bin_dir / "release").exists():
        return bin_dir
    uv = _uv()
    if uv:
        session.run(uv, "venv", "--quiet", "--python", sys.executable, str(SHARED), external=True)
        session.run(
            *(uv, "pip", "install", "--quiet", "--python", str(bin_dir / "python")),
            *("-e", ".[sandbox]"),
            external=True,
        )
    else:
        session.run(sys.executable, "-m", "venv", str(SHARED), external=True)
        session.run(
            str(bin_dir / "python"), "-m", "pip", "install", "-q", "-e", ".[sandbox]", external=True
        )
    stamp.write_text(digest)
    return bin_dir


def _release(session: nox.Session, verb: str) -> None:
    session.run(str(_shared(session) / "release"), verb, *session.posargs, external=True)


@nox.session(venv_backend="none")
def plan(session: nox.Session) -> None:
    """Show exactly what a push would do (offline, changes nothing)."""
    _release(session, "plan")


@nox.session(venv_backend="none")
def push(session: nox.Session) -> None:
    """Release: validate, bump, changelog, commit and tag, publish, verify, report."""
    _release(session, "push")


@nox.session(venv_backend="none")
def rollback(session: nox.Session) -> None:
    """Undo the last release (before or after it left the machine), after checking the world."""
    _release(session, "rollback")


@nox.session(venv_backend="none")
def status(session: nox.Session) -> None:
    """What is released where: version files, tags local and remote, each registry, drift."""
    _release(session, "status")


@nox.session(venv_backend="none")
def journal(session: nox.Session) -> None:
    """The journaled releases of a project and their state."""
    _release(session, "journal")


@nox.session(venv_backend="none")
def gates(session: nox.Session) -> None:
    """Run a project's release gates alone and print their results."""
    _release(session, "gates")


@nox.session(venv_backend="none")
def demo(session: nox.Session) -> None:
    """The main job on the bundled examples: a fresh sandbox (a local index, npm registry and
    git remote), the plans, then the real releases of all four to it (one a monorepo)."""
    bin_dir = _shared(session)
    session.run(str(bin_dir / "python"), "scripts/sandbox.py", "up", "--reset", external=True)
    # --all: the bundled examples (a Python, an npm and a dual project); this project's own
    # config says in_all = false, so a real PyPI release is never part of the batch.
    session.run(str(bin_dir / "release"), "plan", "--all", external=True)
    session.run(
        *(str(bin_dir / "release"), "push", "--all"),
        *("--env-file", ".sandbox/credentials.env", *session.posargs),
        external=True,
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
        "ci-templates/github/release-drift.yml",
    )
    session.run(
        "check-jsonschema",
        "--builtin-schema",
        "vendor.gitlab-ci",
        "ci-templates/gitlab/release.gitlab-ci.yml",
    )


@nox.session
def bench(session: nox.Session) -> None:
    """The benchmarks: `nox -s bench -- NAME [options]` runs benchmarks/NAME.py (history, ab,
    push, status, monorepo, goals); without a name, goals: every speed goal beside its
    figure, in one run (history cold beside python-semantic-release, the push's steps, the
    plan's imports)."""
    _install(session, "test", "sandbox")
    _install_verdaccio(session)
    args = list(session.posargs)
    name = args.pop(0) if args and not args[0].startswith("-") else "goals"
    options = args
    script = ROOT / "benchmarks" / f"{name}.py"
    if not script.is_file():
        session.error(f"no benchmark {name!r}: use goals, history, push, status, monorepo or ab")
    session.run("python", str(script), *options)
