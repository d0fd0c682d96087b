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
