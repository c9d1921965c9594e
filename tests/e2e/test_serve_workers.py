"""`agentrt serve` workers sharing one database: leases, fencing, crash recovery.

THE CHAOS TEST: three serve processes, 200 sessions created through the HTTP API, each a turn
of 2-4 tool calls (some in parallel) against a fake LLM and a tool server that counts effects
per Idempotency-Key; a random worker is killed with SIGKILL every few seconds and a new one
started in its place. Every session must complete, every history be valid, and the tool
server must have applied exactly one effect per ToolRequested (no key outside the histories).

THE FENCING TEST: a worker is stopped with SIGSTOP mid-tool-call past its lease's expiry;
another worker takes the session over (a higher epoch) and finishes it; the first is resumed
with SIGCONT: its writes are rejected (fenced), it abandons the session and reports it lost,
and the history holds the call's result exactly once.

The kill schedule is seeded (the seed is printed; AGENTRT_E2E_SEED reproduces it).
AGENTRT_E2E_CHAOS_SESSIONS changes the number of sessions.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import sys
import time
import unittest

from e2e_support import (E2ETestCase, definition, effect_tool, effects_turn_problems, history_problems, sleep_tool,
                         tool_effect_problems, turn_end_problems)
from serve_support import ServeProc, lease_of, token_env, wait_until, write_serve_config

SESSIONS = int(os.environ.get("AGENTRT_E2E_CHAOS_SESSIONS", "200"))
WORKERS = 3
CREATE_S = 20.0         # sessions are created evenly over this time
CHAOS_S = 25.0          # kills happen during this window; then the fleet runs undisturbed
DEADLINE_S = 150.0      # every session must be done by then
LLM_DELAY_S = 0.1       # mid-stream pause in every LLM reply
TOOL_DELAY_S = 0.3      # after the effect is applied, before the answer


def plan(i: int) -> tuple[int, int, str]:
    """(calls, calls per reply, tag) of session i."""
    return 2 + i % 3, 1 + i % 2, f"#c{i:03d}#"


class ServeWorkersTest(E2ETestCase):
    def start_worker(self, config: str) -> ServeProc:
        worker = ServeProc(self.spawn("serve", "--config", config, env=token_env(), db=False))
        self.addCleanup(lambda: worker.proc.kill9())
        return worker

    def completed(self) -> set[str]:
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10)
        try:
            rows = con.execute("SELECT s.id FROM sessions s JOIN events e ON e.session_id = s.id AND e.seq = s.last_seq "
                               "WHERE e.type = 'TurnCompleted'").fetchall()
        finally:
            con.close()
        return {r[0] for r in rows}

    def test_chaos_kill9_workers_every_session_completes_once(self) -> None:
        seed = int(os.environ.get("AGENTRT_E2E_SEED") or time.time_ns() % 1_000_000)
        print(f"\n[chaos] seed {seed} (reproduce with AGENTRT_E2E_SEED={seed})", file=sys.stderr, flush=True)
        rng = random.Random(seed)
        llm = self.start_llm(reply_delay=LLM_DELAY_S)
        tools = self.start_tools(delay=TOOL_DELAY_S)
        agent = self.write_definition(definition(llm_url=llm.base_url, tools=[effect_tool(tools.base_url, retries=4)]))
        config = write_serve_config(self.dir, db=self.db, bots={"effects": agent}, ttl="2s", heartbeat="500ms",
                                    max_active=32)
        workers = [self.start_worker(config) for _ in range(WORKERS)]

        # Sessions arrive while workers die: a few every tick, all of them within the chaos window,
        # so kills land mid-LLM, mid-tool and between steps. Requests and kills come from this
        # one thread, so no API request is ever cut by a kill.
        sessions: dict[str, int] = {}  # id -> n
        t0 = time.monotonic()
        kills = 0
        next_kill = t0 + rng.uniform(1.0, 2.5)
        created = 0
        killed: set[str] = set()  # worker ids killed with -9: their leases just expire
        while time.monotonic() - t0 < DEADLINE_S:
            now = time.monotonic()
            due = min(SESSIONS, int((now - t0) / CREATE_S * SESSIONS) + 1)
            while created < due:
                n, par, tag = plan(created)
                status, body = workers[created % WORKERS].request(
                    "POST", "/v1/sessions",
                    body={"bot": "effects", "message": {"text": f"effects {n} par {par} {tag}", "message_id": f"m{created}"}})
                self.assertEqual(status, 201, body)
                sessions[body["session"]["id"]] = n
                created += 1
            if created == SESSIONS and set(sessions) <= self.completed():
                break
            if now - t0 < CHAOS_S and now >= next_kill:
                victim = rng.randrange(WORKERS)
                killed.add(workers[victim].worker)
                workers[victim].proc.kill9()
                workers[victim].proc.finish(10)
                kills += 1
                workers[victim] = self.start_worker(config)
                next_kill = now + rng.uniform(1.5, 3.0)
            time.sleep(0.1)
        elapsed = time.monotonic() - t0
        missing = set(sessions) - self.completed()
        # Each new owner raises the epoch: a session with epoch >= 2 was taken over mid-turn.
        taken_over = sum(1 for session in sessions if lease_of(self.db, session)[1] >= 2)
        print(f"[chaos] {SESSIONS} sessions on {WORKERS} workers, {kills} kills, {elapsed:.1f}s; "
              f"{taken_over} taken over mid-turn, {len(missing)} not completed", file=sys.stderr, flush=True)
        results = [w.stop(60) for w in workers]
        for r in results:
            self.assertEqual(r.code, 0, r.describe()[-3000:])
        self.assertGreaterEqual(kills, 5, "the chaos window killed workers often enough")
        self.assertGreater(taken_over, kills, "kills interrupted sessions that other workers then finished")
        self.assertEqual(missing, set(), f"sessions not completed after {DEADLINE_S}s")

        requests = tools.snapshot()
        effect_keys = tools.effect_keys()
        all_keys: set[str] = set()
        failures = []
        for session, n in sessions.items():
            events = self.history(session)
            problems = effects_turn_problems(events, n) + tool_effect_problems(session, events, requests, effect_keys)
            all_keys |= {f"{session}:{e['seq']}" for e in events if e["type"] == "ToolRequested"}
            if problems:
                dump = "\n".join(f"    {e['seq']} {e['type']} {json.dumps(e['data'])[:160]}" for e in events)
                failures.append(f"session {session}:\n  " + "\n  ".join(problems) + "\n" + dump)
        stray = {r.key for r in requests} - all_keys
        if stray:
            failures.append(f"tool requests with keys outside every history: {sorted(map(str, stray))[:20]}")
        self.assertEqual(llm.protocol_errors, [])
        if failures:
            self.fail(f"{len(failures)} bad sessions (seed {seed}):\n" + "\n".join(failures[:10]))
        # A clean shutdown releases every lease; a worker killed right after a turn ended had no
        # time to release its own, which then simply expires.
        for session in sessions:
            owner = lease_of(self.db, session)[0]
            self.assertTrue(owner == "" or owner in killed, f"{session}: lease still held by {owner} after shutdown")

    def test_sigstopped_worker_is_fenced_after_takeover_and_abandons_the_session(self) -> None:
        llm = self.start_llm()
        first_try = {}

        def delay(req) -> float:  # the first request of each key hangs past the lease's expiry
            first = req.key not in first_try
            first_try.setdefault(req.key, time.monotonic())
            return 4.0 if first else 0.0

        tools = self.start_tools(delay=delay)
        agent = self.write_definition(definition(llm_url=llm.base_url, tools=[effect_tool(tools.base_url, timeout="30s")]))
        config = write_serve_config(self.dir, db=self.db, bots={"effects": agent}, ttl="1500ms", heartbeat="500ms")
        a = self.start_worker(config)
        status, body = a.request("POST", "/v1/sessions",
                                 body={"bot": "effects", "message": {"text": "effects 1 par 1", "message_id": "m1"}})
        self.assertEqual(status, 201, body)
        session = body["session"]["id"]
        self.assertTrue(wait_until(lambda: tools.in_flight > 0, 15), "the tool call started")
        owner, epoch, _ = lease_of(self.db, session)
        self.assertEqual(owner, a.worker)
        os.kill(a.pid, signal.SIGSTOP)
        self.addCleanup(lambda: a.alive() and os.kill(a.pid, signal.SIGCONT))

        b = self.start_worker(config)
        # b takes the session over once a's lease expires, redoes the call with the same key
        # (the tool server answers it from its stored result) and finishes the turn.
        self.assertTrue(wait_until(lambda: session in self.completed(), 20), "b finished the turn")
        owner, new_epoch, _ = lease_of(self.db, session)
        self.assertGreater(new_epoch, epoch, "a takeover raises the epoch")
        self.assertIn(owner, ("", b.worker))
        self.assertEqual(len(tools.snapshot()), 2, "a's request and b's retry with the same key")
        os.kill(a.pid, signal.SIGCONT)
        time.sleep(5)  # a's tool call returns (4 s) and its heartbeat beats: both are fenced

        events = self.history(session)
        self.assertEqual(effects_turn_problems(events, 1) + tool_effect_problems(session, events, tools.snapshot(),
                                                                                 tools.effect_keys()), [])
        stopped_a = a.stop(30)
        stopped_b = b.stop(30)
        self.assertEqual((stopped_a.code, stopped_b.code), (0, 0), stopped_a.describe() + stopped_b.describe())
        summary_a = [ln for ln in stopped_a.lines if ln.get("kind") == "stopped"]
        self.assertEqual(len(summary_a), 1, stopped_a.describe())
        self.assertEqual(summary_a[0]["lost"], 1, stopped_a.describe())
        self.assertIn("lease lost", stopped_a.stderr)
        self.assertEqual(self.history(session), events, "nothing was written after a resumed")

    def test_message_sent_to_another_worker_mid_turn_is_recorded_before_the_turn_ends(self) -> None:
        """The inbox poller of the session's group: worker B's API enqueues, worker A (running
        the turn) records the message at its next step, not after its slow tool call."""
        llm = self.start_llm()
        tools = self.start_tools(delay=3.0)
        agent = self.write_definition(definition(llm_url=llm.base_url, tools=[effect_tool(tools.base_url, timeout="30s")]))
        config = write_serve_config(self.dir, db=self.db, bots={"effects": agent})
        a = self.start_worker(config)
        status, body = a.request("POST", "/v1/sessions",
                                 body={"bot": "effects", "message": {"text": "effects 1 par 1", "message_id": "m1"}})
        self.assertEqual(status, 201, body)
        session = body["session"]["id"]
        self.assertTrue(wait_until(lambda: tools.in_flight > 0, 15), "the tool call started")
        b = self.start_worker(config)
        status, body = b.request("POST", f"/v1/sessions/{session}/messages", body={"text": "and then?", "message_id": "m2"})
        self.assertEqual(status, 202, body)
        self.assertTrue(wait_until(lambda: any(e["type"] == "MessageReceived" and e["data"]["message_id"] == "m2"
                                               for e in self.history(session)), 2.5),
                        "m2 recorded within the poll interval")
        self.assertTrue(tools.in_flight > 0, "while the tool call was still running")
        self.assertEqual(lease_of(self.db, session)[0], a.worker)
        self.assertTrue(wait_until(lambda: [e["type"] for e in self.history(session)].count("TurnCompleted") == 2, 20))
        for worker in (a, b):
            self.assertEqual(worker.stop(30).code, 0)

    def test_asleep_session_holds_no_lease_and_its_timer_wakes_it_on_another_worker(self) -> None:
        llm = self.start_llm()
        agent = self.write_definition(definition(llm_url=llm.base_url, tools=[sleep_tool()]))
        config = write_serve_config(self.dir, db=self.db, bots={"sleeper": agent})
        a = self.start_worker(config)
        status, body = a.request("POST", "/v1/sessions",
                                 body={"bot": "sleeper", "message": {"text": "sleep 3", "message_id": "m1"}})
        self.assertEqual(status, 201, body)
        session = body["session"]["id"]
        self.assertTrue(wait_until(lambda: a.request("GET", f"/v1/sessions/{session}")[1]["session"]["status"] == "sleeping",
                                   15))
        self.assertTrue(wait_until(lambda: lease_of(self.db, session)[0] == "", 5), "asleep: no lease held")
        self.assertEqual(a.stop(30).code, 0)  # the worker that started it is gone
        b = self.start_worker(config)
        self.assertTrue(wait_until(lambda: session in self.completed(), 15), "the due timer woke it on b")
        events = self.history(session)
        self.assertEqual(history_problems(events) + turn_end_problems(events, "slept 3"), [])
        fired = [e for e in events if e["type"] == "TimerFired"]
        started = [e for e in events if e["type"] == "TimerStarted"]
        self.assertEqual((len(started), len(fired)), (1, 1))
        self.assertGreaterEqual(fired[0]["time_ms"] - started[0]["time_ms"], 3000, "not before it was due")
        self.assertEqual(b.stop(30).code, 0)


if __name__ == "__main__":
    unittest.main()
