"""CI systems: recognise the one we run in and hand it the report the way it shows them."""

from __future__ import annotations

import os
from pathlib import Path


def ci_system() -> str | None:
    if os.environ.get("GITHUB_ACTIONS") == "true":
        return "github"
    if os.environ.get("GITLAB_CI") == "true":
        return "gitlab"
    if os.environ.get("CI", "").lower() in ("1", "true"):
        return "generic"
    return None


def oidc_available(audience: str) -> bool:
    """Whether this CI job can hand out an OIDC identity token for `audience`.

    GitHub issues one to jobs with `permissions: id-token: write`; GitLab puts one in
    `<AUDIENCE>_ID_TOKEN` when the job declares it under `id_tokens` (PYPI_ID_TOKEN for
    PyPI, SIGSTORE_ID_TOKEN for npm provenance), which is where twine and npm look.
    """
    system = ci_system()
    if system == "github":
        needed = ("ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN")
        return all(os.environ.get(name) for name in needed)
    if system == "gitlab":
        return bool(os.environ.get(f"{audience.upper()}_ID_TOKEN"))
    return False


def publish_summary(markdown: str) -> Path | None:
    """GitHub: appended to the job summary. GitLab: release-report.md for the job's artifacts."""
    system = ci_system()
    if system == "github" and os.environ.get("GITHUB_STEP_SUMMARY"):
        path = Path(os.environ["GITHUB_STEP_SUMMARY"])
        with path.open("a", encoding="utf-8") as handle:
            handle.write(markdown + "\n")
        return path
    if system == "gitlab" and os.environ.get("CI_PROJECT_DIR"):
        path = Path(os.environ["CI_PROJECT_DIR"]) / "release-report.md"
        with path.open("a", encoding="utf-8") as handle:
            handle.write(markdown + "\n")
        return path
    return None
