"""Hostile HTTP servers on 127.0.0.1: a redirect to another port, HTML to everything, 500, a hang.

Each records the requests it saw (method, path, Authorization header) so a test can check
where credentials went. Threads in this process; bounded: a hang waits at most HANG_SECONDS.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self

HOST = "127.0.0.1"
HANG_SECONDS = 20.0
MODES = ("redirect", "html", "500", "hang")


@dataclass
class Seen:
    method: str
    path: str
    authorization: str | None


@dataclass
class Hostile:
    """One server answering every request in one bad way (`mode`)."""

    mode: str
    redirect_to: str = ""  # for "redirect": the other origin it sends clients to
    seen: list[Seen] = field(default_factory=list)
    # "flaky": relays `upstream` (a real index's listing) until it lists `gone_when`,
    # then answers 500 for good: an index that goes away right after the upload.
    upstream: str = ""
    gone_when: str = ""

    def __post_init__(self) -> None:
        self._release = threading.Event()
        self._gone = False
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet test output
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                server.seen.append(Seen(self.command, self.path, self.headers.get("Authorization")))
                server._respond(self)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

        self._httpd = ThreadingHTTPServer((HOST, 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self._httpd.server_address[1]}/"

    def _respond(self, h: BaseHTTPRequestHandler) -> None:
        mode = self.mode
        if mode == "flaky":
            if not self._gone:
                status, body = _fetch(self.upstream.rstrip("/") + h.path)
                self._gone = self.gone_when in body.decode("utf-8", "replace")
                if not self._gone:
                    _send(h, status, body)
                    return
            mode = "500"
        if mode == "hang":
            self._release.wait(HANG_SECONDS)
            return
        if mode == "redirect":
            h.send_response(302)
            h.send_header("Location", self.redirect_to.rstrip("/") + h.path)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        status = {"html": 200, "500": 500}[mode]
        _send(h, status, b"<!DOCTYPE html><html><body><h1>Welcome \xff\xfe</h1></body></html>")

    def with_credentials(self) -> list[Seen]:
        return [s for s in self.seen if s.authorization]

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._release.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def _send(h: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
    h.send_response(status)
    h.send_header("Content-Type", "text/html")
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


def _fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
