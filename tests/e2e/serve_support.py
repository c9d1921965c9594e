"""Helpers for the `agentrt serve` end-to-end tests: a config file, a serve process whose
listening port is read from its first stdout line, and a tiny JSON client (stdlib only)."""

from __future__ import annotations

import http.client
import json
import signal
import socket
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from e2e_support import Proc, RunResult, to_yaml

TOKENS = {"acme": "acme-token-0123456789abcdef", "globex": "globex-token-0123456789abcdef"}


def token_env() -> dict:
    return {"ACME_TOKEN": TOKENS["acme"], "GLOBEX_TOKEN": TOKENS["globex"]}


def write_serve_config(folder: Path, *, db: str, bots: dict[str, str], ttl: str = "2s", heartbeat: str = "500ms",
                       poll: str = "100ms", max_active: int = 64, grace: str = "10s", extra: dict | None = None) -> str:
    doc = {"listen": "127.0.0.1:0", "db": db,
           "lease": {"ttl": ttl, "heartbeat": heartbeat},
           "dispatch": {"max_active_sessions": max_active, "poll_interval": poll},
           "shutdown": {"grace": grace},
           "bots": bots,
           "orgs": {"acme": {"token_env": "ACME_TOKEN"}, "globex": {"token_env": "GLOBEX_TOKEN"}}}
    doc.update(extra or {})
    path = folder / "serve.yaml"
    path.write_text(to_yaml(doc) + "\n")
    return str(path)


class ServeProc:
    """One `agentrt serve` process; `port` is known once it printed its listening line."""

    def __init__(self, proc: Proc):
        self.proc = proc
        line = proc.wait_for_line(lambda ln: ln.get("kind") == "listening", timeout=30)
        if line is None:
            raise AssertionError("serve did not start\n" + proc.finish(5).describe())
        self.port: int = line["port"]
        self.worker: str = line["worker"]

    @property
    def pid(self) -> int:
        return self.proc.popen.pid

    def alive(self) -> bool:
        return self.proc.popen.poll() is None

    def request(self, method: str, path: str, *, org: str | None = "acme", body=None,
                timeout: float = 30) -> tuple[int, dict]:
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method)
        if org is not None:
            req.add_header("Authorization", f"Bearer {TOKENS.get(org, org)}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return resp.status, json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def terminate(self) -> None:
        if self.alive():
            self.proc.popen.send_signal(signal.SIGTERM)

    def stop(self, timeout: float = 30) -> RunResult:
        self.terminate()
        return self.proc.finish(timeout)


def lease_of(db: str, session: str) -> tuple[str, int, int]:
    """(owner, epoch, expires_ms) of a session's lease, read-only."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        row = con.execute("SELECT COALESCE(lease_owner, ''), epoch, lease_expires_ms FROM sessions WHERE id = ?",
                          (session,)).fetchone()
    finally:
        con.close()
    return (row[0], row[1], row[2]) if row else ("", 0, 0)


def wait_until(predicate, timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


# What each history event type looks like in the output stream (core/stream/output_event.cpp);
# types not listed have no output event.
OUTPUT_KIND = {"MessageReceived": "message", "ToolRequested": "tool_started", "ToolCompleted": "tool_finished",
               "ToolFailed": "tool_finished", "InputRequested": "waiting", "TimerStarted": "status",
               "TimerFired": "status", "OutputEmitted": "output", "TurnCompleted": "turn_completed",
               "SessionCompleted": "status", "SessionFailed": "status", "SessionCancelled": "status",
               "SessionRetried": "status", "SessionReset": "reset"}


def expected_stream(history: list[dict], after: int = 0) -> list[tuple[int, str]]:
    """The (seq, kind) of every durable output event a client resuming after `after` must get."""
    return [(e["seq"], OUTPUT_KIND[e["type"]]) for e in history if e["seq"] > after and e["type"] in OUTPUT_KIND]


class SseStream:
    """GET /v1/sessions/{id}/events read by a background thread: `events` fills with dicts
    {event, id, data} as frames arrive; `closed` is set when the server ends the stream."""

    def __init__(self, port: int, session: str, *, org: str = "acme", last_event_id: str | None = None,
                 from_seq: int | None = None, timeout: float = 60):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        headers = {"Authorization": f"Bearer {TOKENS.get(org, org)}", "Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        path = f"/v1/sessions/{session}/events" + (f"?from_seq={from_seq}" if from_seq is not None else "")
        self.conn.request("GET", path, headers=headers)
        self.response = self.conn.getresponse()
        self.status = self.response.status
        self.headers = dict(self.response.getheaders())
        self.events: list[dict] = []
        self.closed = threading.Event()
        self.body = b""
        if self.status == 200:
            self.thread = threading.Thread(target=self._read, daemon=True)
            self.thread.start()
        else:
            self.body = self.response.read()
            self.closed.set()

    def error(self) -> dict:
        return json.loads(self.body or b"{}").get("error", {})

    def _read(self) -> None:
        frame: dict = {}
        try:
            while True:
                line = self.response.readline()
                if not line:
                    break
                text = line.decode().rstrip("\n")
                if text == "":
                    if "data" in frame:
                        frame["data"] = json.loads(frame["data"])
                        self.events.append(frame)
                    frame = {}
                elif not text.startswith(":"):
                    name, _, value = text.partition(": ")
                    frame[name] = value
        except (OSError, http.client.HTTPException, ValueError):
            pass
        finally:
            self.closed.set()

    def durable(self) -> list[tuple[int, str]]:
        return [(e["data"]["seq"], e["event"]) for e in list(self.events) if e["event"] not in ("token", "error")]

    def wait_for(self, predicate, timeout: float) -> bool:
        return wait_until(lambda: any(predicate(e) for e in list(self.events)) or self.closed.is_set(), timeout) and \
            any(predicate(e) for e in list(self.events))

    def close(self) -> None:
        try:
            self.conn.sock and self.conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.conn.close()
