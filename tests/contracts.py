"""GitHub's published API contract on 127.0.0.1: its OpenAPI description served by Prism.

Prism answers from the description's own examples and rejects every request that violates
it (422 with an `sl-violations` header). A small forwarding proxy in front records each
exchange and can ask Prism for a documented status (`Prefer: code=NNN`) per route, so a
test can make the create answer 422 while the read by tag answers 200.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from services import (
    HOST,
    REPO_ROOT,
    START_TIMEOUT,
    ServiceError,
    _log_tail,
    _port_accepts,
    _stop_process_group,
    free_port,
)

CONTRACTS = REPO_ROOT / "contracts" / "node_modules"
PRISM_BIN = CONTRACTS / "@stoplight" / "prism-cli" / "dist" / "index.js"
GITHUB_SPEC = CONTRACTS / "@octokit" / "openapi" / "generated" / "api.github.com.json"
CONTRACTS_INSTALL = "npm ci --prefix contracts"

# The operations the tool calls; the rest of the description is left out so Prism starts in
# seconds rather than tens of seconds. Every schema these reach is kept as published.
GITHUB_PATHS = (
    "/repos/{owner}/{repo}",
    "/repos/{owner}/{repo}/releases",
    "/repos/{owner}/{repo}/releases/{release_id}",
    "/repos/{owner}/{repo}/releases/{release_id}/assets",
    "/repos/{owner}/{repo}/releases/tags/{tag}",
)


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def github_contract(dest: Path) -> Path:
    """The published description, narrowed to the release operations and what they use."""
    spec = json.loads(GITHUB_SPEC.read_text("utf-8"))
    paths = {p: spec["paths"][p] for p in GITHUB_PATHS}
    components: dict[str, dict[str, Any]] = {}
    todo = list(_refs(paths))
    seen: set[str] = set()
    while todo:  # bounded: each reference is followed once, and there are finitely many
        ref = todo.pop()
        if ref in seen or not ref.startswith("#/components/"):
            continue
        seen.add(ref)
        _, _, section, name = ref.split("/", 3)
        value = spec["components"][section][name]
        components.setdefault(section, {})[name] = value
        todo.extend(_refs(value))
    narrowed = {**spec, "paths": paths, "components": components}
    for extra in ("webhooks", "x-webhooks"):
        narrowed.pop(extra, None)
    dest.write_text(json.dumps(narrowed), "utf-8")
    return dest


class Prism:
    """`prism mock` of one description on a free loopback port."""

    def __init__(self, spec: Path, log_path: Path) -> None:
        self.spec = spec
        self.log_path = log_path
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = START_TIMEOUT * 3) -> Prism:
        if not PRISM_BIN.is_file():
            raise ServiceError(f"Prism is not installed: run `{CONTRACTS_INSTALL}`")
        with self.log_path.open("wb") as log:
            self._proc = subprocess.Popen(
                ["node", str(PRISM_BIN), "mock", "-h", HOST, "-p", str(self.port), str(self.spec)],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:  # bounded wait for the port
            if self._proc.poll() is not None:
                raise ServiceError(f"Prism exited:\n{_log_tail(self.log_path)}")
            if _port_accepts(self.port):
                return self
            time.sleep(0.1)
        self.stop()
        raise ServiceError(f"Prism did not start in {timeout} s:\n{_log_tail(self.log_path)}")

    def stop(self) -> None:
        if self._proc is not None:
            _stop_process_group(self._proc)
            self._proc = None


@dataclass
class Exchange:
    method: str
    path: str
    status: int
    violations: list[dict[str, Any]]
    headers: dict[str, str]
    body: bytes


@dataclass
class ContractProxy:
    """Forwards to Prism, records every exchange, and asks for a status per route."""

    upstream: str
    exchanges: list[Exchange] = field(default_factory=list)
    # (method, path regex) -> the documented status Prism is asked for
    prefer: dict[tuple[str, str], int] = field(default_factory=dict)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://{HOST}:{self.server.server_address[1]}"

    def reset(self) -> None:
        self.exchanges.clear()
        self.prefer.clear()

    def violations(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.violations]

    def calls(self) -> list[str]:
        return [f"{e.method} {e.path.split('?')[0]} {e.status}" for e in self.exchanges]

    def start(self) -> ContractProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() not in ("host", "prefer")
                }
                for (method, pattern), code in proxy.prefer.items():
                    if method == self.command and re.fullmatch(pattern, self.path.split("?")[0]):
                        headers["Prefer"] = f"code={code}"
                request = urllib.request.Request(
                    proxy.upstream + self.path, data=body, headers=headers, method=self.command
                )
                try:
                    with urllib.request.urlopen(request, timeout=30) as answer:
                        status, data, got = answer.status, answer.read(), answer.headers
                except urllib.error.HTTPError as exc:
                    status, data, got = exc.code, exc.read(), exc.headers
                violations = json.loads(got.get("sl-violations") or "[]")
                proxy.exchanges.append(
                    Exchange(
                        self.command, self.path, status, violations, dict(headers), body or b""
                    )
                )
                self.send_response(status)
                self.send_header("Content-Type", got.get("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = do_PATCH = _forward

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture(scope="session")
def github_prism(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prism]:
    """Prism serving GitHub's release operations for the whole session."""
    folder = tmp_path_factory.mktemp("prism-github")
    prism = Prism(github_contract(folder / "github.json"), folder / "prism.log")
    prism.start()
    try:
        yield prism
    finally:
        prism.stop()


@pytest.fixture
def github_api(github_prism: Prism) -> Iterator[ContractProxy]:
    """The contract behind a recording proxy; a test's exchanges and routes are its own."""
    proxy = ContractProxy(github_prism.url).start()
    try:
        yield proxy
    finally:
        proxy.stop()
