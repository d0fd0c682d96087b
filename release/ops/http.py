"""HTTP to registries: one small client with a timeout, errors that say how to fix them."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping

from release.errors import Problem, ReleaseError
from release.masking import mask

HTTP_TIMEOUT = 15.0


class RegistryError(ReleaseError):
    """A registry could not be reached or answered something unexpected."""

    exit_code = 1


def request(
    url: str,
    *,
    data: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    method: str | None = None,
    timeout: float = HTTP_TIMEOUT,
) -> tuple[int, bytes]:
    """(status, body) of one request; an HTTP error status is an answer, not an exception."""
    # URLs come from validated configs: http(s) only.
    req = urllib.request.Request(  # noqa: S310
        url, data=data, headers=dict(headers or {}), method=method
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        raise RegistryError(
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
