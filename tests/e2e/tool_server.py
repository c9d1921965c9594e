"""An HTTP tool endpoint with an observable, idempotent side effect, for the end-to-end tests.

`POST /effect` (any POST path works; the path is logged) applies a side effect at most once
per `Idempotency-Key`: the first successful request for a key applies it (a new effect id)
and stores the result; a repeat with the same key returns the stored result and applies
nothing. A request without the header gets 400.

The effect is applied when the request arrives, before the optional delay, so a client killed
mid-call leaves an applied effect behind: exactly the case a resumed session must not repeat.

Everything is logged (key, session = the key up to its last ':', arrival and end time, status,
whether an effect was applied, headers, body). The server counts requests in flight and keeps
the maximum overlap. Faults: the first `fail_first` tries of every key get 503 (no effect).

Run by hand: `python3 tool_server.py [--port N] [--delay S]` prints the base URL.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


@dataclass
class ToolRequest:
    key: str | None
    session: str | None
    path: str
    arrived_ms: int
    body: Any
    headers: dict
    ended_ms: int = 0
    status: int = 0
    applied: bool = False   # this request applied a new effect
    effect_id: int = 0      # the effect its answer reports (new or stored)
    fields: dict = field(default_factory=dict)


class _QuietServer(ThreadingHTTPServer):
    """Stays quiet when a client is killed mid-connection (the tests do that on purpose)."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class ToolServer:
    """The tool server. `start()` binds 127.0.0.1 on a free port; `stop()` shuts it down."""

    def __init__(self, delay: float | Callable[[ToolRequest], float] = 0.0,
                 fail_first: int | Callable[[str], int] = 0, port: int = 0):
        self.bind_port = port
        self.delay = delay            # seconds per request, or a function of the request
        self.fail_first = fail_first  # 503 for the first tries of every key (a number, or one per key)
        self.log: list[ToolRequest] = []
        self.results: dict[str, dict] = {}   # key -> stored result of its effect
        self.effects: list[tuple[str, int]] = []  # (key, arrived_ms), one per applied effect
        self.in_flight = 0
        self.max_in_flight = 0
        self._tries: dict[str, int] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> "ToolServer":
        owner = self

        class Handler(_Handler):
            tools = owner

        self._server = _QuietServer(("127.0.0.1", self.bind_port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), name="tool-server", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def snapshot(self) -> list[ToolRequest]:
        with self._lock:
            return list(self.log)

    def keys_seen(self) -> set[str]:
        with self._lock:
            return {r.key for r in self.log if r.key}

    def effect_keys(self) -> list[str]:
        with self._lock:
            return [k for k, _ in self.effects]

    # -- used by the handler ---------------------------------------------------------------
    def _begin(self, req: ToolRequest) -> None:
        with self._lock:
            self.log.append(req)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _end(self, req: ToolRequest) -> None:
        with self._lock:
            self.in_flight -= 1
            req.ended_ms = int(time.time() * 1000)

    def _apply(self, req: ToolRequest) -> tuple[int, dict]:
        """(status, answer) for a request with a key; applies the effect at most once per key."""
        assert req.key is not None
        with self._lock:
            tries = self._tries.get(req.key, 0) + 1
            self._tries[req.key] = tries
            fail_first = self.fail_first(req.key) if callable(self.fail_first) else self.fail_first
            if tries <= fail_first:
                return 503, {"error": f"injected 503 (try {tries} of key {req.key})"}
            stored = self.results.get(req.key)
            if stored is None:
                stored = {"effect": len(self.effects) + 1, "key": req.key,
                          "n": req.body.get("n") if isinstance(req.body, dict) else None}
                self.results[req.key] = stored
                self.effects.append((req.key, req.arrived_ms))
                req.applied = True
            req.effect_id = stored["effect"]
            return 200, stored


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    tools: ToolServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
        pass

    def _send_json(self, status: int, doc: dict) -> None:
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802
        server = self.tools
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = raw.decode(errors="replace")
        key = self.headers.get("Idempotency-Key")
        session = key.rsplit(":", 1)[0] if key and ":" in key else None
        req = ToolRequest(key, session, self.path, int(time.time() * 1000), body,
                          {k: v for k, v in self.headers.items()})
        server._begin(req)
        try:
            if len(raw) < length:  # the client died while sending: like a real server, apply nothing
                req.status = 499
                self.close_connection = True
                return
            if not key:
                status, answer = 400, {"error": "missing Idempotency-Key header"}
            else:
                status, answer = server._apply(req)
            delay = server.delay(req) if callable(server.delay) else server.delay
            if delay:
                time.sleep(delay)  # after the effect: a kill now leaves it applied
            req.status = status
            self._send_json(status, answer)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away; the effect (if any) stays applied
        finally:
            server._end(req)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--fail-first", type=int, default=0)
    args = parser.parse_args()
    server = ToolServer(delay=args.delay, fail_first=args.fail_first, port=args.port).start()
    print(server.base_url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
