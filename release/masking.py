"""Masking of secrets in every line the tool prints, logs, journals or reports."""

from __future__ import annotations

import base64
import os
import re
import threading
import urllib.parse
from typing import Any

_KNOWN_SHAPES = re.compile(
    r"(pypi-[A-Za-z0-9_\-]{16,}|npm_[A-Za-z0-9]{20,}|ghp_[A-Za-z0-9]{20,}"
    r"|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_\-]{16,})"
)
# user:password@ in any URL; the user name is kept so the URL stays recognisable.
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.\-]*://)(?P<user>[^/\s:@]+):[^/\s@]+@")
# A lone user name in an http(s) URL is how forges take a token (https://TOKEN@host/):
# it is masked whole, since nothing tells a token from a name.
_URL_USER_ONLY = re.compile(r"(?P<scheme>https?://)[^/\s:@]+@", re.IGNORECASE)

_lock = threading.Lock()
_registered: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret value (read from the environment or a file) so it is masked everywhere."""
    # Whatever its length: a short secret is still a secret. Its encoded forms (in a URL,
    # in a Basic auth header) are secrets too.
    if not value:
        return
    forms = {
        value,
        urllib.parse.quote(value, safe=""),
        urllib.parse.quote_plus(value),
        base64.b64encode(value.encode()).decode().rstrip("="),
    }
    with _lock:
        _registered.update(f for f in forms if f)


def register_env_secrets(names: list[str]) -> None:
    """Register the values of the named environment variables."""
    for name in names:
        register_secret(os.environ.get(name))


def mask(text: str) -> str:
    """Return `text` with every known secret replaced by `***`."""
    if not text:
        return text
    with _lock:
        secrets = sorted(_registered, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, "***")
    text = _URL_CREDENTIALS.sub(r"\g<scheme>\g<user>:***@", text)
    text = _URL_USER_ONLY.sub(r"\g<scheme>***@", text)
    return _KNOWN_SHAPES.sub("***", text)


def mask_data(data: Any) -> Any:
    """`data` (JSON-like) with every string masked: a secret of one character must not be
    able to break the JSON around it, as masking the serialised text would."""
    if isinstance(data, str):
        return mask(data)
    if isinstance(data, dict):
        return {k: mask_data(v) for k, v in data.items()}  # keys are the tool's own names
    if isinstance(data, list | tuple):
        return [mask_data(v) for v in data]
    return data


class MaskingFilter:
    """A logging filter that masks secrets in every record, whoever logs it."""

    def filter(self, record: object) -> bool:
        import logging

        assert isinstance(record, logging.LogRecord)
        record.msg = mask(record.getMessage())
        record.args = ()
        return True
