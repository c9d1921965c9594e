"""Streaming a session's output over SSE from `agentrt serve` (GET /v1/sessions/{id}/events).

Live tokens and events while the session runs; every durable event exactly once and in order,
the same as the history in the database; resume with Last-Event-ID after a dropped connection;
a client on an API-only worker watching a session that runs on another worker, which is
killed with SIGKILL mid-turn so a third worker finishes it; SIGTERM ends streams promptly;
every bad request gets its documented error.
"""

from __future__ import annotations

import signal
import time
import unittest
from pathlib import Path

from e2e_support import E2ETestCase, definition, effect_tool, read_history
from serve_support import (ServeProc, SseStream, expected_stream, lease_of, token_env, wait_until,
                           write_serve_config)


class ServeStreamTest(E2ETestCase):
    def start_worker(self, config: str) -> ServeProc:
        worker = ServeProc(self.spawn("serve", "--config", config, env=token_env(), db=False))
        self.addCleanup(lambda: worker.proc.kill9())
        return worker

    def open(self, worker: ServeProc, session: str, **kwargs) -> SseStream:
        stream = SseStream(worker.port, session, **kwargs)
        self.addCleanup(stream.close)
        return stream

    def setup_fleet(self, *, llm_delay: float = 0.2, tool_delay: float = 0.0, ttl: str = "2s",
                    max_active: int = 16) -> str:
        llm = self.start_llm(reply_delay=llm_delay)
        self.tools = self.start_tools(delay=tool_delay)
        agent = self.write_definition(definition(llm_url=llm.base_url, tools=[effect_tool(self.tools.base_url)]))
        return write_serve_config(self.dir, db=self.db, bots={"effects": agent}, ttl=ttl, heartbeat="500ms",
                                  max_active=max_active)

    def create(self, worker: ServeProc, text: str) -> str:
        status, body = worker.request("POST", "/v1/sessions", body={"bot": "effects", "message": {"text": text}})
        self.assertEqual(status, 201, body)
        return body["session"]["id"]

    def assertStreamMatchesHistory(self, stream: SseStream, session: str, after: int = 0) -> None:  # noqa: N802
        got = stream.durable()
        seqs = [seq for seq, _ in got]
        self.assertEqual(seqs, sorted(set(seqs)), f"durable events repeated or reordered: {got}")
        history = read_history(self.db, session)
        want = [e for e in expected_stream(history, after) if e[0] <= (seqs[-1] if seqs else after)]
        self.assertEqual(got, want, "the stream differs from the history")

    def test_tokens_and_events_stream_live_and_resume_after_a_drop(self) -> None:
        worker = self.start_worker(self.setup_fleet(llm_delay=0.3))
        session = self.create(worker, "effects 2 par 1")
        stream = self.open(worker, session)
        self.assertEqual(stream.status, 200)
        self.assertIn("text/event-stream", stream.headers.get("Content-Type", ""))
        self.assertTrue(stream.wait_for(lambda e: e["event"] == "turn_completed", 30), stream.events)
        kinds = [e["event"] for e in stream.events]
        for kind in ("message", "tool_started", "tool_finished", "token", "output", "turn_completed"):
            self.assertIn(kind, kinds)
        # Tokens arrive before the answer they make up, and carry no id (not resumable).
        self.assertLess(kinds.index("token"), kinds.index("output"))
        self.assertTrue(all("id" not in e for e in stream.events if e["event"] == "token"))
        tokens = "".join(e["data"]["text"] for e in stream.events if e["event"] == "token")
        output = next(e for e in stream.events if e["event"] == "output")
        self.assertIn(output["data"]["text"], tokens)
        self.assertTrue(all(int(e["id"]) == e["data"]["seq"] for e in stream.events if "id" in e))
        self.assertStreamMatchesHistory(stream, session)
        self.assertFalse(stream.closed.is_set(), "an idle session's stream stays open")

        # The connection drops; the client resumes from the middle with Last-Event-ID and gets
        # exactly what came after, then the next turn live.
        durable = stream.durable()
        stream.close()
        middle = durable[len(durable) // 2][0]
        resumed = self.open(worker, session, last_event_id=str(middle))
        self.assertTrue(wait_until(lambda: len(resumed.durable()) >= len([d for d in durable if d[0] > middle]), 10))
        self.assertEqual(resumed.durable(), [d for d in durable if d[0] > middle])
        status, body = worker.request("POST", f"/v1/sessions/{session}/messages", body={"text": "effects 1 par 1"})
        self.assertEqual(status, 202, body)
        self.assertTrue(resumed.wait_for(lambda e: e["event"] == "turn_completed" and e["data"]["turn"] == 2, 30))
        self.assertStreamMatchesHistory(resumed, session, after=middle)

    def test_api_node_streams_a_session_whose_worker_is_killed_mid_turn(self) -> None:
        config = self.setup_fleet(llm_delay=0.1, tool_delay=0.6, ttl="2s")
        api_config = self.dir / "api.yaml"
        api_config.write_text(Path(config).read_text().replace("max_active_sessions: 16", "max_active_sessions: 0"))
        api = self.start_worker(str(api_config))
        runners = [self.start_worker(config), self.start_worker(config)]
        session = self.create(api, "effects 4 par 1")
        stream = self.open(api, session)
        self.assertTrue(stream.wait_for(lambda e: e["event"] == "tool_started", 20), stream.events)
        owner = lease_of(self.db, session)[0]
        victim = next(w for w in runners if w.worker == owner)
        victim.proc.kill9()
        killed_at = time.monotonic()
        self.assertTrue(stream.wait_for(lambda e: e["event"] == "turn_completed", 60), stream.events)
        self.assertGreater(time.monotonic() - killed_at, 1.0, "another worker took over after the lease expired")
        self.assertNotEqual(lease_of(self.db, session)[1], 1, "the session moved to another worker")
        self.assertStreamMatchesHistory(stream, session)
        self.assertFalse(stream.closed.is_set())

    def test_sigterm_ends_streams_so_clients_reconnect_elsewhere(self) -> None:
        worker = self.start_worker(self.setup_fleet())
        session = self.create(worker, "hello")
        stream = self.open(worker, session)
        self.assertTrue(stream.wait_for(lambda e: e["event"] == "turn_completed", 30))
        started = time.monotonic()
        worker.proc.popen.send_signal(signal.SIGTERM)
        self.assertTrue(stream.closed.wait(10), "the stream ended when the server drained")
        self.assertLess(time.monotonic() - started, 5)
        self.assertEqual(worker.proc.finish(30).code, 0)

    def test_bad_requests_get_documented_errors(self) -> None:
        worker = self.start_worker(self.setup_fleet())
        session = self.create(worker, "hello")
        cases = [({"org": "nobody-token"}, 401, "unauthorized"),
                 ({"org": "globex"}, 404, "session_not_found"),
                 ({"last_event_id": "x1"}, 400, "invalid_request"),
                 ({"from_seq": 10_000}, 409, "seq_ahead")]
        for kwargs, status, code in cases:
            stream = self.open(worker, session, **kwargs)
            self.assertEqual(stream.status, status, (kwargs, stream.body))
            self.assertEqual(stream.error().get("code"), code, (kwargs, stream.body))
        missing = self.open(worker, "s-0000000000000000")
        self.assertEqual(missing.status, 404)


if __name__ == "__main__":
    unittest.main()
