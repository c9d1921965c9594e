"""Helpers for the `agentrt serve` end-to-end tests: a config file, a serve process whose
listening port is read from its first stdout line, and a tiny JSON client (stdlib only)."""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import socket
import sqlite3
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from dataclasses import dataclass, field

from e2e_support import Proc, RunResult, effects_turn_problems, read_history, to_yaml, tool_effect_problems

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


# -- chaos: workers killed and stopped while sessions run (SQLite and DynamoDB + SQS) ----------

class SqliteSessions:
    """A session's history, lease and completion read from the SQLite file (the shape that
    aws_support.DynamoDbSessions gives for a DynamoDB table)."""

    def __init__(self, db: str):
        self.db = db

    def history(self, session: str) -> list[dict]:
        return read_history(self.db, session)

    def lease(self, session: str) -> tuple[str, int, int]:
        return lease_of(self.db, session)

    def completed(self, sessions: list[str]) -> set[str]:
        """The sessions whose last event is TurnCompleted."""
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10)
        try:
            rows = con.execute("SELECT s.id FROM sessions s JOIN events e ON e.session_id = s.id "
                               "AND e.seq = s.last_seq WHERE e.type = 'TurnCompleted'").fetchall()
        finally:
            con.close()
        return {r[0] for r in rows} & set(sessions)


@dataclass
class ChaosPlan:
    """Sessions arrive evenly over create_s; a random worker is killed (-9) every 1.5-3 s
    during chaos_s and a new one started; every session must be done by deadline_s.
    `message_after_create`: the session is created without a message and its message sent by
    POST .../messages (through SQS when the inbox is SQS), else it comes with the create."""
    sessions: int
    workers: int = 3
    create_s: float = 20.0
    chaos_s: float = 25.0
    deadline_s: float = 150.0
    min_kills: int = 5
    message_after_create: bool = False


def chaos_plan_of(i: int) -> tuple[int, int, str]:
    """(calls, calls per reply, tag) of chaos session i."""
    return 2 + i % 3, 1 + i % 2, f"#c{i:03d}#"


@dataclass
class ChaosOutcome:
    sessions: dict[str, int] = field(default_factory=dict)  # id -> calls
    kills: int = 0
    taken_over: int = 0  # sessions whose lease epoch reached 2: another worker finished their turn
    killed: set[str] = field(default_factory=set)  # ids of the workers killed with -9
    missing: set[str] = field(default_factory=set)
    elapsed_s: float = 0.0
    seed: int = 0


def chaos_seed() -> int:
    seed = int(os.environ.get("AGENTRT_E2E_SEED") or time.time_ns() % 1_000_000)
    print(f"\n[chaos] seed {seed} (reproduce with AGENTRT_E2E_SEED={seed})", file=sys.stderr, flush=True)
    return seed


def run_chaos(case, plan: ChaosPlan, store, start_worker) -> ChaosOutcome:
    """Runs the plan on `plan.workers` workers from `start_worker()` (ServeProc, the bot
    "effects"), kills and restarts them, then stops them all with SIGTERM (each must exit 0).
    Requests and kills come from this one thread, so no API request is ever cut by a kill."""
    out = ChaosOutcome(seed=chaos_seed())
    rng = random.Random(out.seed)
    workers = [start_worker() for _ in range(plan.workers)]
    t0 = time.monotonic()
    next_kill = t0 + rng.uniform(1.0, 2.5)
    next_check = t0
    created = 0
    while time.monotonic() - t0 < plan.deadline_s:
        now = time.monotonic()
        due = min(plan.sessions, int((now - t0) / plan.create_s * plan.sessions) + 1)
        while created < due:
            n, par, tag = chaos_plan_of(created)
            session = create_effects_session(case, workers[created % plan.workers], f"effects {n} par {par} {tag}",
                                             f"m{created}", plan.message_after_create)
            out.sessions[session] = n
            created += 1
        if created == plan.sessions and now >= next_check:
            next_check = now + 0.5  # DynamoDB Local is slow: not every tick
            if set(out.sessions) <= store.completed(list(out.sessions)):
                break
        if now - t0 < plan.chaos_s and now >= next_kill:
            victim = rng.randrange(plan.workers)
            out.killed.add(workers[victim].worker)
            workers[victim].proc.kill9()
            workers[victim].proc.finish(10)
            out.kills += 1
            workers[victim] = start_worker()
            next_kill = now + rng.uniform(1.5, 3.0)
        time.sleep(0.1)
    out.elapsed_s = time.monotonic() - t0
    out.missing = set(out.sessions) - store.completed(list(out.sessions))
    # Each new owner raises the epoch: a session with epoch >= 2 was taken over mid-turn.
    out.taken_over = sum(1 for session in out.sessions if store.lease(session)[1] >= 2)
    print(f"[chaos] {plan.sessions} sessions on {plan.workers} workers, {out.kills} kills, {out.elapsed_s:.1f}s; "
          f"{out.taken_over} taken over mid-turn, {len(out.missing)} not completed", file=sys.stderr, flush=True)
    results = [w.stop(60) for w in workers]
    for r in results:
        case.assertEqual(r.code, 0, r.describe()[-3000:])
    case.assertGreaterEqual(out.kills, plan.min_kills, "the chaos window killed workers often enough")
    case.assertEqual(out.missing, set(), f"sessions not completed after {plan.deadline_s}s")
    return out


def create_effects_session(case, worker: ServeProc, text: str, message_id: str, message_after_create: bool) -> str:
    """A session of the bot "effects" with one message: in the create request, or sent after it
    by POST .../messages (through SQS when the inbox is SQS)."""
    message = {"text": text, "message_id": message_id}
    body = {"bot": "effects"} if message_after_create else {"bot": "effects", "message": message}
    try:
        status, answer = worker.request("POST", "/v1/sessions", body=body)
        case.assertEqual(status, 201, answer)
        session = answer["session"]["id"]
        if message_after_create:
            status, answer = worker.request("POST", f"/v1/sessions/{session}/messages", body=message)
            case.assertEqual(status, 202, answer)
    except OSError as e:  # URLError, a reset: the worker died
        case.fail(f"worker {worker.worker} did not answer ({e}); alive: {worker.alive()}\n"
                  f"{worker.proc.finish(5).describe()[-6000:]}")
    return session


def assert_chaos_effects_once(case, out: ChaosOutcome, store, llm, tools) -> None:
    """Every history valid and one turn answered "done N"; the tool server applied exactly one
    effect per ToolRequested and saw no key outside the histories; every lease released
    (except those of killed workers, which simply expire)."""
    requests = tools.snapshot()
    effect_keys = tools.effect_keys()
    all_keys: set[str] = set()
    failures = []
    for session, n in out.sessions.items():
        events = store.history(session)
        problems = effects_turn_problems(events, n) + tool_effect_problems(session, events, requests, effect_keys)
        all_keys |= {f"{session}:{e['seq']}" for e in events if e["type"] == "ToolRequested"}
        if problems:
            dump = "\n".join(f"    {e['seq']} {e['type']} {json.dumps(e['data'])[:160]}" for e in events)
            failures.append(f"session {session}:\n  " + "\n  ".join(problems) + "\n" + dump)
    stray = {r.key for r in requests} - all_keys
    if stray:
        failures.append(f"tool requests with keys outside every history: {sorted(map(str, stray))[:20]}")
    case.assertEqual(llm.protocol_errors, [])
    if failures:
        case.fail(f"{len(failures)} bad sessions (seed {out.seed}):\n" + "\n".join(failures[:10]))
    for session in out.sessions:
        owner = store.lease(session)[0]
        case.assertTrue(owner == "" or owner in out.killed, f"{session}: lease still held by {owner} after shutdown")


def first_try_hangs(seconds: float):
    """A ToolServer delay: the first request of each key hangs `seconds` (past a lease's expiry)."""
    first_try: dict = {}

    def delay(req) -> float:
        first = req.key not in first_try
        first_try.setdefault(req.key, time.monotonic())
        return seconds if first else 0.0
    return delay


def run_sigstop_fencing(case, store, start_worker, tools, *, message_after_create: bool = False,
                        takeover_s: float = 20) -> None:
    """Worker a runs a one-call turn whose tool call hangs 4 s (tools: first_try_hangs(4.0));
    a is stopped with SIGSTOP past its lease's expiry; b takes the session over (a higher
    epoch), redoes the call with the same key and finishes; a gets SIGCONT: its writes are
    fenced, it abandons the session and reports it lost, and the history is untouched."""
    a = start_worker()
    session = create_effects_session(case, a, "effects 1 par 1", "m1", message_after_create)
    case.assertTrue(wait_until(lambda: tools.in_flight > 0, 15), "the tool call started")
    owner, epoch, _ = store.lease(session)
    case.assertEqual(owner, a.worker)
    os.kill(a.pid, signal.SIGSTOP)
    case.addCleanup(lambda: a.alive() and os.kill(a.pid, signal.SIGCONT))

    b = start_worker()
    case.assertTrue(wait_until(lambda: session in store.completed([session]), takeover_s, step=0.25),
                    "b finished the turn")
    owner, new_epoch, _ = store.lease(session)
    case.assertGreater(new_epoch, epoch, "a takeover raises the epoch")
    case.assertIn(owner, ("", b.worker))
    case.assertEqual(len(tools.snapshot()), 2, "a's request and b's retry with the same key")
    os.kill(a.pid, signal.SIGCONT)
    time.sleep(5)  # a's tool call returns (4 s) and its heartbeat beats: both are fenced

    events = store.history(session)
    case.assertEqual(effects_turn_problems(events, 1) + tool_effect_problems(session, events, tools.snapshot(),
                                                                             tools.effect_keys()), [])
    stopped_a = a.stop(30)
    stopped_b = b.stop(30)
    case.assertEqual((stopped_a.code, stopped_b.code), (0, 0), stopped_a.describe() + stopped_b.describe())
    summary_a = [ln for ln in stopped_a.lines if ln.get("kind") == "stopped"]
    case.assertEqual(len(summary_a), 1, stopped_a.describe())
    case.assertEqual(summary_a[0]["lost"], 1, stopped_a.describe())
    case.assertIn("lease lost", stopped_a.stderr)
    case.assertEqual(store.history(session), events, "nothing was written after a resumed")
