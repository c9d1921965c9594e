"""A session that moves to another worker mid-stream, watched over Socket.IO and over gRPC
(test_serve_stream.py covers SSE the same way).

An API-only worker (dispatch.max_active_sessions: 0, gRPC on) serves the client; two runner
workers share the database. The runner that owns the session is killed with SIGKILL in the
middle of its turn; the other takes the session over when the lease expires and finishes it.
The client, attached to the API node the whole time, must get every durable event of the
history exactly once and in order, through the move.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import unittest
from pathlib import Path

from e2e_support import E2ETestCase, definition, effect_tool, read_history
from serve_support import ServeProc, TOKENS, expected_stream, lease_of, token_env, wait_until, write_serve_config
from test_serve_grpc import GrpcStream
from test_serve_socketio import CLIENT_DIR, NODE, node_client_ready


class StreamMovesTest(E2ETestCase):
    def setUp(self) -> None:
        super().setUp()
        llm = self.start_llm(reply_delay=0.1)
        tools = self.start_tools(delay=0.6)
        agent = self.write_definition(definition(llm_url=llm.base_url, tools=[effect_tool(tools.base_url)]))
        runner_config = write_serve_config(self.dir, db=self.db, bots={"effects": agent}, ttl="2s", max_active=16)
        api_config = self.dir / "api.yaml"
        Path(runner_config).rename(self.dir / "runner.yaml")
        write_serve_config(self.dir, db=self.db, bots={"effects": agent}, ttl="2s", max_active=0,
                           extra={"grpc": {"listen": "127.0.0.1:0"}})
        Path(self.dir / "serve.yaml").rename(api_config)
        self.api = self.start(str(api_config))
        line = self.api.proc.wait_for_line(lambda ln: ln.get("kind") == "listening", 5)
        assert line is not None
        self.grpc_port = line["grpc_port"]
        self.runners = [self.start(str(self.dir / "runner.yaml")) for _ in range(2)]

    def start(self, config: str) -> ServeProc:
        worker = ServeProc(self.spawn("serve", "--config", config, env=token_env(), db=False))
        self.addCleanup(lambda: worker.proc.kill9())
        return worker

    def create(self) -> str:
        status, body = self.api.request("POST", "/v1/sessions",
                                        body={"bot": "effects", "message": {"text": "effects 4 par 1"}})
        self.assertEqual(status, 201, body)
        return body["session"]["id"]

    def kill_owner_mid_turn(self, session: str) -> None:
        """Waits for the turn's first tool call, then kills the runner holding the lease."""
        self.assertTrue(wait_until(lambda: any(e["type"] == "ToolRequested" for e in read_history(self.db, session)), 20))
        owner = lease_of(self.db, session)[0]
        victim = next((w for w in self.runners if w.worker == owner), None)
        self.assertIsNotNone(victim, f"the session is run by a runner, not {owner!r}")
        assert victim is not None
        victim.proc.kill9()

    def assertMovedAndComplete(self, got: list[tuple[int, str]], session: str) -> None:  # noqa: N802
        self.assertGreaterEqual(lease_of(self.db, session)[1], 2, "another worker took the session over")
        seqs = [seq for seq, _ in got]
        self.assertEqual(seqs, sorted(set(seqs)), f"durable events repeated or reordered: {got}")
        self.assertIn("turn_completed", [kind for _, kind in got])
        self.assertEqual(got, expected_stream(read_history(self.db, session)), "the stream differs from the history")

    @unittest.skipUnless(node_client_ready(), "needs node and `npm ci --prefix tests/e2e/socketio` (scripts/setup)")
    def test_socketio_client_follows_a_session_through_a_worker_kill(self) -> None:
        session = self.create()
        argv = [NODE, str(CLIENT_DIR / "client.mjs"), "--url", f"http://127.0.0.1:{self.api.port}",
                "--transport", "websocket", "--token", TOKENS["acme"], "--session", session,
                "--wait-turns", "1", "--timeout-ms", "60000"]
        client = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
        self.addCleanup(lambda: client.poll() is None and client.kill())
        self.kill_owner_mid_turn(session)
        out, err = client.communicate(timeout=90)
        lines = [json.loads(line) for line in out.splitlines() if line.strip()]
        self.assertEqual(client.returncode, 0, f"{lines}\n{err}")
        self.assertEqual(lines[-1]["type"], "done", lines)
        events = [line["event"] for line in lines if line["type"] == "output"]
        self.assertMovedAndComplete([(e["seq"], e["kind"]) for e in events if e["kind"] != "token"], session)

    def test_grpc_stream_follows_a_session_through_a_worker_kill(self) -> None:
        session = self.create()
        stream = GrpcStream(self.grpc_port, {"session_id": session, "from_seq": 0})
        self.addCleanup(stream.close)
        self.kill_owner_mid_turn(session)
        self.assertTrue(stream.wait_for(lambda e: e["kind"] == "turn_completed", 60), stream.events)
        time.sleep(0.2)  # nothing more may arrive after it: no repeats
        self.assertMovedAndComplete(stream.durable(), session)


if __name__ == "__main__":
    unittest.main()
