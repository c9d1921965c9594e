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
AGENTRT_E2E_CHAOS_SESSIONS changes the number of sessions. Both tests are run_chaos and
run_sigstop_fencing of serve_support.py, which test_serve_aws_chaos.py runs on DynamoDB + SQS.
"""

from __future__ import annotations

import os
import unittest

from e2e_support import E2ETestCase, definition, effect_tool, history_problems, sleep_tool, turn_end_problems
from serve_support import (ChaosPlan, ServeProc, SqliteSessions, assert_chaos_effects_once, first_try_hangs, lease_of,
                           run_chaos, run_sigstop_fencing, token_env, wait_until, write_serve_config)

SESSIONS = int(os.environ.get("AGENTRT_E2E_CHAOS_SESSIONS", "200"))
LLM_DELAY_S = 0.1       # mid-stream pause in every LLM reply
TOOL_DELAY_S = 0.3      # after the effect is applied, before the answer


class ServeWorkersTest(E2ETestCase):
    def start_worker(self, config: str) -> ServeProc:
        worker = ServeProc(self.spawn("serve", "--config", config, env=token_env(), db=False))
        self.addCleanup(lambda: worker.proc.kill9())
        return worker

    def test_chaos_kill9_workers_every_session_completes_once(self) -> None:
        llm = self.start_llm(reply_delay=LLM_DELAY_S)
        tools = self.start_tools(delay=TOOL_DELAY_S)
        agent = self.write_definition(definition(llm_url=llm.base_url, tools=[effect_tool(tools.base_url, retries=4)]))
        config = write_serve_config(self.dir, db=self.db, bots={"effects": agent}, ttl="2s", heartbeat="500ms",
                                    max_active=32)
        store = SqliteSessions(self.db)
        # 200 sessions over 20 s, kills during the first 25 s, all done within 150 s.
        plan = ChaosPlan(sessions=SESSIONS, create_s=20.0, chaos_s=25.0, deadline_s=150.0)
        out = run_chaos(self, plan, store, lambda: self.start_worker(config))
        self.assertGreater(out.taken_over, out.kills, "kills interrupted sessions that other workers then finished")
        assert_chaos_effects_once(self, out, store, llm, tools)

    def test_sigstopped_worker_is_fenced_after_takeover_and_abandons_the_session(self) -> None:
        llm = self.start_llm()
        tools = self.start_tools(delay=first_try_hangs(4.0))
        agent = self.write_definition(definition(llm_url=llm.base_url, tools=[effect_tool(tools.base_url, timeout="30s")]))
        config = write_serve_config(self.dir, db=self.db, bots={"effects": agent}, ttl="1500ms", heartbeat="500ms")
        run_sigstop_fencing(self, SqliteSessions(self.db), lambda: self.start_worker(config), tools)

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
        self.assertTrue(wait_until(lambda: session in SqliteSessions(self.db).completed([session]), 15), "the due timer woke it on b")
        events = self.history(session)
        self.assertEqual(history_problems(events) + turn_end_problems(events, "slept 3"), [])
        fired = [e for e in events if e["type"] == "TimerFired"]
        started = [e for e in events if e["type"] == "TimerStarted"]
        self.assertEqual((len(started), len(fired)), (1, 1))
        self.assertGreaterEqual(fired[0]["time_ms"] - started[0]["time_ms"], 3000, "not before it was due")
        self.assertEqual(b.stop(30).code, 0)


if __name__ == "__main__":
    unittest.main()
