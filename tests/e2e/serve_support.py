"""Helpers for the `agentrt serve` end-to-end tests: a config file, a serve process whose
listening port is read from its first stdout line, and a tiny JSON client (stdlib only)."""

from __future__ import annotations

import json
import signal
import sqlite3
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
