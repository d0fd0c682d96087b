"""HTTP to registries: one small client with a timeout, errors that say how to fix them."""

from __future__ import annotations

import os
import time
import urllib.parse
from collections.abc import Callable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from release.errors import Problem, ReleaseError
from release.masking import mask

if TYPE_CHECKING:
    import urllib.request

# Seconds one request may take; RELEASE_HTTP_TIMEOUT shortens it (a registry that hangs).
HTTP_TIMEOUT_ENV = "RELEASE_HTTP_TIMEOUT"
HTTP_TIMEOUT = 15.0


def _timeout() -> float:
    try:
        return max(0.1, float(os.environ.get(HTTP_TIMEOUT_ENV, HTTP_TIMEOUT)))
    except ValueError:
        return HTTP_TIMEOUT


class RegistryError(ReleaseError):
    """A registry could not be reached or answered something unexpected."""

    exit_code = 1


class RegistryUnavailable(RegistryError):
    """The registry did not answer, or answered a server error: a retry may succeed."""

    resumable = True


class NotARegistry(RegistryError):
    """The configured URL answers, but not as a registry of its kind does, or sends us to
    another origin: bad input (the URL), found before anything changed."""

    exit_code = 2


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port): where credentials may go; the configured URL's alone."""
    parts = urllib.parse.urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


@cache
def _opener() -> urllib.request.OpenerDirector:
    # Loaded with the first request: urllib.request brings http.client, ssl and email, and
    # most of a push's start has no use for them.
    import urllib.request

    class SameOriginOnly(urllib.request.HTTPRedirectHandler):
        # urllib forwards every header, Authorization included, to wherever a redirect
        # points: a redirect to another origin is refused, never followed with credentials.
        def redirect_request(
            self,
            req: urllib.request.Request,
            fp: Any,
            code: int,
            msg: str,
            headers: Any,
            newurl: str,
        ) -> urllib.request.Request | None:
            if origin(newurl) != origin(req.full_url):
                raise NotARegistry(
                    Problem(
                        f"{mask(req.full_url)} redirects (HTTP {code}) to another origin, "
                        f"{mask(newurl)}; credentials are never sent there",
                        "registry",
                        "set the target's URL to where the registry really is (the "
                        "redirect's origin, if you trust it)",
                    )
                )
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    return urllib.request.build_opener(SameOriginOnly())


def request(
    url: str,
    *,
    data: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    method: str | None = None,
    timeout: float = HTTP_TIMEOUT,
) -> tuple[int, bytes]:
    """(status, body) of one request; an HTTP error status is an answer, not an exception."""
    import http.client
    import urllib.error
    import urllib.request

    # URLs come from validated configs: http(s) only.
    req = urllib.request.Request(  # noqa: S310
        url, data=data, headers=dict(headers or {}), method=method
    )
    try:
        with _opener().open(req, timeout=min(timeout, _timeout())) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        raise RegistryUnavailable(
            Problem(
                f"cannot reach {mask(url)}: {reason}",
                "registry",
                "check that the registry is up and the URL in the config is right",
            )
        ) from exc


def wait_for(
    ready: Callable[[], bool],
    *,
    timeout: float,
    gave_up: Callable[[int], Problem],
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[int, float]:
    """Ask `ready` until it says yes; return (attempts, seconds). Registries are eventually
    consistent, so the pauses grow (0.25 s, x1.6, at most 5 s), and `timeout` bounds the
    whole wait: past it, RegistryError with the problem `gave_up(attempts)` describes."""
    start = time.monotonic()
    delay, attempts = 0.25, 0
    while True:
        attempts += 1
        if ready():
            return attempts, time.monotonic() - start
        if time.monotonic() - start + delay > timeout:
            raise RegistryError(gave_up(attempts))
        sleep(delay)
        delay = min(delay * 1.6, 5.0)
