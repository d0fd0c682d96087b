"""Notifications: after the report is written, each `[[notify]]` webhook hears the outcome.

A webhook that fails is reported; it never changes the release's outcome or exit code.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from release.config import LoadedConfig
from release.errors import ReleaseError
from release.forgeconfig import Notify
from release.masking import mask, register_secret
from release.ops.http import request
from release.progress import Progress
from release.report import Report


@dataclass(frozen=True)
class Sent:
    webhook: str  # the shown (masked) form, never the URL
    status: str  # "sent", "skipped" or "failed: ..."


def _url(entry: Notify) -> str | None:
    url = os.environ.get(entry.url_env, "") if entry.url_env else entry.url
    if url:
        # The path and query of a webhook are its credentials (Slack, Teams, Discord).
        register_secret(url)
        secret_part = url.split("://", 1)[-1].partition("/")[2]
        if len(secret_part) >= 12:  # shorter ones are words ("hook"), not credentials
            register_secret(secret_part)
    return url or None


def payload(entry: Notify, report: Report) -> bytes:
    """The JSON report, or for Slack a `text` message with the outcome and what to do."""
    if entry.format == "json":
        return json.dumps(report.to_dict()).encode()
    lines = [
        f"*{report.project} {report.version or ''}*: {report.outcome.value}".replace("  ", " "),
        report.summary,
    ]
    if report.next_actor != "none":
        lines.append(f"Next: {report.next_actor}: {report.operator_action}")
    return json.dumps({"text": mask("\n".join(lines))}).encode()


def notify(loaded: LoadedConfig, report: Report, progress: Progress) -> list[Sent]:
    """Tell every webhook that asked for this outcome; failures are warnings, never errors."""
    sent = []
    for entry in loaded.config.notify:
        if report.outcome.value not in entry.on:
            continue
        url = _url(entry)
        if url is None:
            status = f"failed: {entry.url_env} is not set"
        else:
            try:
                code, _ = request(
                    url,
                    data=payload(entry, report),
                    headers={"Content-Type": "application/json", "User-Agent": "release-push"},
                    method="POST",
                    timeout=entry.timeout,
                )
                status = "sent" if 200 <= code < 300 else f"failed: the webhook answered {code}"
            except ReleaseError as exc:
                status = "failed: " + (exc.problems[0].what if exc.problems else "unreachable")
        status = mask(status)
        if status != "sent":
            progress.warn(f"notification {entry.shown}: {status}")
        sent.append(Sent(entry.shown, status))
    report.notifications = [{"webhook": s.webhook, "status": s.status} for s in sent]
    return sent
