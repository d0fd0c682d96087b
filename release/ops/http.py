"""HTTP to registries: one small client with a timeout, errors that say how to fix them."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping

from release.errors import Problem, ReleaseError
from release.masking import mask

HTTP_TIMEOUT = 15.0


class RegistryError(ReleaseError):
    """A registry could not be reached or answered something unexpected."""

    exit_code = 1


def request(
    url: str, *, data: bytes | None = None, headers: Mapping[str, str] | None = None
) -> tuple[int, bytes]:
    """(status, body) of one request; an HTTP error status is an answer, not an exception."""
    # URLs come from validated configs: http(s) only.
    req = urllib.request.Request(url, data=data, headers=dict(headers or {}))  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT) as response:  # noqa: S310
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
