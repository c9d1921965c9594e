"""The Socket.IO surface of `agentrt serve` (docs/streaming.md, "Socket.IO"), driven by the
official socket.io-client (npm, v4.8.4; tests/e2e/socketio/client.mjs) in each transport:
HTTP long-polling only, WebSocket only, and polling upgraded to WebSocket.

Connect with an org token, join a running session, receive its output events exactly as the
history says, send a message and get its acknowledgement; a wrong token gets connect_error;
another org's session is not found; resume from a seq; a duplicate message id is refused; a
malformed Engine.IO / Socket.IO packet closes that client with an error, and the server lives.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import subprocess
import time
import unittest
from pathlib import Path

from e2e_support import E2ETestCase, definition, effect_tool, read_history
from serve_support import TOKENS, ServeProc, expected_stream, token_env, write_serve_config

CLIENT_DIR = Path(__file__).resolve().parent / "socketio"
NODE = shutil.which("node")


def node_client_ready() -> bool:
    return NODE is not None and (CLIENT_DIR / "node_modules" / "socket.io-client").is_dir()


@unittest.skipUnless(node_client_ready(), "needs node and `npm ci --prefix tests/e2e/socketio` (scripts/setup)")
class ServeSocketIoTest(E2ETestCase):
    def setUp(self) -> None:
        super().setUp()
        llm = self.start_llm(reply_delay=0.1)
        tools = self.start_tools()
        agent = self.write_definition(definition(llm_url=llm.base_url, tools=[effect_tool(tools.base_url)]))
        config = write_serve_config(self.dir, db=self.db, bots={"effects": agent})
        self.worker = ServeProc(self.spawn("serve", "--config", config, env=token_env(), db=False))
        self.addCleanup(lambda: self.worker.proc.kill9())

    def create(self, text: str) -> str:
        status, body = self.worker.request("POST", "/v1/sessions", body={"bot": "effects", "message": {"text": text}})
        self.assertEqual(status, 201, body)
        return body["session"]["id"]

    def client(self, transport: str, *args: str, org: str = "acme", timeout: float = 60) -> list[dict]:
        argv = [NODE, str(CLIENT_DIR / "client.mjs"), "--url", f"http://127.0.0.1:{self.worker.port}",
                "--transport", transport, "--token", TOKENS.get(org, org), *args]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=dict(os.environ))
        lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
        self.assertEqual(done.returncode, 0, f"{transport}: {lines}\n{done.stderr}")
        return lines

    def durable(self, lines: list[dict], session: str) -> list[tuple[int, str]]:
        events = [line["event"] for line in lines if line["type"] == "output"]
        self.assertTrue(all(e["session"] == session for e in events), events)
        return [(e["seq"], e["kind"]) for e in events if e["kind"] != "token"]

    def assertMatchesHistory(self, lines: list[dict], session: str, after: int = 0) -> None:  # noqa: N802
        got = self.durable(lines, session)
        seqs = [seq for seq, _ in got]
        self.assertEqual(seqs, sorted(set(seqs)), f"durable events repeated or reordered: {got}")
        want = [e for e in expected_stream(read_history(self.db, session), after) if e[0] <= (seqs[-1] if seqs else after)]
        self.assertEqual(got, want, "the Socket.IO stream differs from the history")

    def test_each_transport_joins_streams_and_sends_with_acks(self) -> None:
        for transport in ("polling", "websocket", "upgrade"):
            with self.subTest(transport=transport):
                session = self.create("effects 1 par 1")
                lines = self.client(transport, "--session", session, "--wait-turns", "2", "--send", "hello again",
                                    "--message-id", f"m-{transport}")
                opened = next(line for line in lines if line["type"] == "open")
                self.assertEqual(lines[-1]["type"], "done", lines)
                join = next(line for line in lines if line["type"] == "join_ack")
                self.assertEqual(join["ack"], {"ok": True, "session": session})
                ack = next(line for line in lines if line["type"] == "message_ack")
                self.assertEqual(ack["ack"], {"accepted": True, "session": session, "message_id": f"m-{transport}"})
                kinds = [kind for _, kind in self.durable(lines, session)]
                for kind in ("message", "tool_started", "tool_finished", "output", "turn_completed"):
                    self.assertIn(kind, kinds)
                self.assertEqual(kinds.count("turn_completed"), 2, lines)
                self.assertMatchesHistory(lines, session)
                if transport == "polling":
                    self.assertEqual(lines[-1]["transport"], "polling")
                elif transport == "websocket":
                    self.assertEqual(opened["transport"], "websocket")
                else:
                    self.assertEqual(opened["transport"], "polling")
                    self.assertIn({"type": "upgrade", "transport": "websocket"}, lines)
                    self.assertEqual(lines[-1]["transport"], "websocket")

    def test_resume_from_a_seq_gets_exactly_what_came_after(self) -> None:
        session = self.create("effects 1 par 1")
        full = self.client("websocket", "--session", session, "--wait-turns", "1")
        durable = self.durable(full, session)
        middle = durable[len(durable) // 2][0]
        for transport in ("polling", "websocket"):
            with self.subTest(transport=transport):
                resumed = self.client(transport, "--session", session, "--from-seq", str(middle), "--wait-turns", "1")
                self.assertEqual(self.durable(resumed, session), [d for d in durable if d[0] > middle])
                self.assertMatchesHistory(resumed, session, after=middle)
        ahead = self.client("websocket", "--session", session, "--from-seq", "100000")
        self.assertEqual(next(line for line in ahead if line["type"] == "join_ack")["ack"]["error"]["code"], "seq_ahead")

    def test_wrong_token_other_org_and_bad_requests_are_refused(self) -> None:
        session = self.create("hello")
        for transport in ("polling", "websocket"):
            with self.subTest(transport=transport):
                refused = self.client(transport, "--session", session, org="nobody-token-0123456789")
                self.assertEqual(refused[-1]["type"], "connect_error", refused)
                self.assertEqual(refused[-1]["message"], "unauthorized")
                self.assertFalse(any(line["type"] == "output" for line in refused))
                other = self.client(transport, "--session", session, org="globex")
                join = next(line for line in other if line["type"] == "join_ack")
                self.assertEqual(join["ack"]["error"]["code"], "session_not_found", other)
                self.assertFalse(any(line["type"] == "output" for line in other))
        duplicate = self.client("polling", "--session", session, "--wait-turns", "1", "--send", "again",
                                "--message-id", "m-dup", "--send-twice")
        acks = [line["ack"] for line in duplicate if line["type"] == "message_ack"]
        self.assertEqual(acks[0]["accepted"], True)
        self.assertEqual(acks[1]["error"]["code"], "duplicate_message")
        missing = self.client("websocket", "--session", "s-0000000000000000")
        self.assertEqual(next(line for line in missing if line["type"] == "join_ack")["ack"]["error"]["code"],
                         "session_not_found")

    def test_sigterm_disconnects_clients_and_the_server_stops_promptly(self) -> None:
        session = self.create("hello")
        clients = []
        for transport in ("polling", "websocket"):
            argv = [NODE, str(CLIENT_DIR / "client.mjs"), "--url", f"http://127.0.0.1:{self.worker.port}",
                    "--transport", transport, "--token", TOKENS["acme"], "--session", session, "--wait-turns", "5"]
            clients.append(subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        for client in clients:
            self.addCleanup(client.kill)
        seen = []
        for client in clients:  # each has joined and streamed (the client's own timeout bounds this)
            lines = []
            while not lines or lines[-1]["type"] not in ("output", "timeout"):
                line = client.stdout.readline()
                self.assertTrue(line, lines)
                lines.append(json.loads(line))
            self.assertEqual(lines[-1]["type"], "output", lines)
            seen.append(lines)
        started = time.monotonic()
        self.worker.proc.popen.send_signal(signal.SIGTERM)
        for client, before in zip(clients, seen):
            out, err = client.communicate(timeout=15)
            lines = before + [json.loads(line) for line in out.splitlines() if line.strip()]
            self.assertEqual(lines[-1]["type"], "disconnect", (lines, err))
        self.assertEqual(self.worker.proc.finish(30).code, 0)
        self.assertLess(time.monotonic() - started, 10)

    def raw(self, method: str, query: str, body: bytes | None = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.worker.port, timeout=10)
        try:
            conn.request(method, f"/socket.io/?EIO=4&transport=polling{query}", body=body,
                         headers={"Content-Type": "text/plain;charset=UTF-8"})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def handshake(self) -> str:
        status, body = self.raw("GET", "")
        self.assertEqual(status, 200, body)
        self.assertTrue(body.startswith(b"0{"), body)
        opened = json.loads(body[1:])
        self.assertEqual(opened["upgrades"], ["websocket"])
        self.assertEqual((opened["pingInterval"], opened["pingTimeout"], opened["maxPayload"]), (25000, 20000, 1000000))
        return opened["sid"]

    def test_malformed_packets_close_the_client_and_the_server_lives(self) -> None:
        cases = [b"", b"9garbage", b"bAQIDBA==", b"4x", b"42[\"join\"", b"451-[\"a\",{\"_placeholder\":true,\"num\":0}]",
                 b"42[\"join\",{}]", b"40{\"token\":\"" + TOKENS["acme"].encode() + b"\"}\x1e42[\"a\"," + b"[" * 100_000]
        for body in cases:
            with self.subTest(body=body[:40]):
                sid = self.handshake()
                status, answer = self.raw("POST", f"&sid={sid}", body)
                if status == 200:  # a valid Engine.IO payload with a bad Socket.IO packet inside
                    self.assertEqual(answer, b"ok")
                else:
                    self.assertEqual(status, 400, answer)
                    self.assertEqual(json.loads(answer)["error"]["code"], "bad_request")
                # Either way the client is gone: its next poll knows no such sid, or gets "1" close.
                status, answer = self.raw("GET", f"&sid={sid}")
                self.assertTrue(status == 400 or answer == b"1", (status, answer))
        status, answer = self.raw("GET", "&sid=unknown")
        self.assertEqual((status, json.loads(answer)["error"]["code"]), (400, "unknown_sid"))
        conn = http.client.HTTPConnection("127.0.0.1", self.worker.port, timeout=10)
        conn.request("GET", "/socket.io/?EIO=3&transport=polling")
        self.assertEqual(conn.getresponse().status, 400)
        conn.close()
        status, body = self.worker.request("GET", "/healthz", org=None)
        self.assertEqual(status, 200, body)
        self.assertTrue(self.worker.alive())
        # And a real client still connects.
        session = self.create("hello")
        lines = self.client("polling", "--session", session, "--wait-turns", "1")
        self.assertEqual(lines[-1]["type"], "done", lines)


if __name__ == "__main__":
    unittest.main()
