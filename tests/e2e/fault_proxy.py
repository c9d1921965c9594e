"""An HTTP proxy that injects AWS faults between agentrt and a local AWS server (DynamoDB Local,
fauxqs): it forwards each request (POST, AWS JSON 1.0), or, by mode,
  - "throttle": answers 400 ThrottlingException (to a share `ratio` of the requests),
  - "refuse":   drops the connection without an answer (a reset: the server is gone).
Counts what it did. `start()` binds 127.0.0.1 on a free port; `stop()` shuts it down."""

from __future__ import annotations

import http.client
import json
import random
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

# The error types AWS answers when it throttles (the client retries both, then gives up).
THROTTLING = {"dynamodb": "com.amazonaws.dynamodb.v20120810#ThrottlingException", "sqs": "ThrottlingException"}


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address) -> None:  # dropped connections are the point
        pass


class FaultProxy:
    def __init__(self, upstream: str, throttling_type: str = THROTTLING["dynamodb"]):
        parsed = urlparse(upstream)
        self.upstream = (parsed.hostname or "127.0.0.1", parsed.port or 80)
        self.throttling_type = throttling_type
        self.mode = "pass"
        self.ratio = 1.0
        self.rng = random.Random(7)
        self.counts = {"forwarded": 0, "throttled": 0, "refused": 0}
        self.lock = threading.Lock()
        self.server: _QuietServer | None = None

    def start(self) -> "FaultProxy":
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.set("pass")
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def set(self, mode: str, ratio: float = 1.0) -> None:
        assert mode in ("pass", "throttle", "refuse"), mode
        with self.lock:
            self.mode, self.ratio = mode, ratio

    def decide(self) -> str:
        with self.lock:
            if self.mode == "throttle" and self.rng.random() >= self.ratio:
                return "pass"
            return self.mode

    def count(self, what: str) -> None:
        with self.lock:
            self.counts[what] += 1


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as libcurl expects
    owner: FaultProxy

    def log_message(self, format, *args) -> None:  # noqa: A002 - keep test output quiet
        pass

    def _drop(self) -> None:
        """Closes the connection with a reset, no answer."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        mode = self.owner.decide()
        if mode == "refuse":
            self.owner.count("refused")
            self._drop()
            return
        if mode == "throttle":
            self.owner.count("throttled")
            self._answer(400, json.dumps({"__type": self.owner.throttling_type,
                                          "message": "Rate of requests exceeds the allowed throughput."}).encode(),
                         {"Content-Type": "application/x-amz-json-1.0"})
            return
        self.owner.count("forwarded")
        upstream = http.client.HTTPConnection(*self.owner.upstream, timeout=60)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
            upstream.request("POST", self.path, body=body, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
            kept = {k: v for k, v in answer.getheaders()
                    if k.lower() not in ("connection", "keep-alive", "transfer-encoding", "content-length")}
            self._answer(answer.status, data, kept)
        except OSError:
            self._drop()
        finally:
            upstream.close()

    def _answer(self, status: int, body: bytes, headers: dict) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
