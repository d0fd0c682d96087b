"""Receivers on 127.0.0.1 that record what they get and answer one fixed status (or hang):
for webhooks, and for what a client sends where no published contract can be served."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

HANG_SECONDS = 5.0  # how long the hanging receiver holds a request: far past any timeout used


@dataclass
class Receiver:
    status: int = 200
    hang: bool = False
    received: list[tuple[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    release: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str = "/hook") -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.requests.append((self.command, self.path, headers))
                receiver.received.append((self.path, json.loads(body) if body else None))
                if receiver.hang:
                    receiver.release.wait(HANG_SECONDS)  # bounded: never holds a thread forever
                    return
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_DELETE = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def webhooks() -> Iterator[tuple[Receiver, Receiver, Receiver]]:
    """(records and answers 200, answers 500, hangs)."""
    found = (Receiver().start(), Receiver(status=500).start(), Receiver(hang=True).start())
    try:
        yield found
    finally:
        for receiver in found:
            receiver.stop()
