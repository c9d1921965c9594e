"""The gRPC API of `agentrt serve` (agentrt.v1.Sessions, proto/agentrt/v1/agentrt.proto),
called by an independent client: the official grpc-js with proto-loader (tests/e2e/grpc/).

Every RPC's success; the documented status codes (NOT_FOUND for an unknown session and for
another org's, ALREADY_EXISTS, INVALID_ARGUMENT, UNAUTHENTICATED, FAILED_PRECONDITION,
RESOURCE_EXHAUSTED for an oversized message); StreamEvents matching the history and resuming
from a seq; a deadline shorter than an Update's wait (DEADLINE_EXCEEDED, and the server stops
waiting); SIGTERM ends an open stream with UNAVAILABLE and the seq to resume from.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
import unittest
from pathlib import Path

from e2e_support import E2ETestCase, ask_tool, definition, read_history
from fake_llm import FakeLlm
from serve_support import ServeProc, TOKENS, expected_stream, token_env, wait_until, write_serve_config

GRPC_DIR = Path(__file__).resolve().parent / "grpc"
CLIENT = GRPC_DIR / "client.js"
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
OK, CANCELLED, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND, ALREADY_EXISTS = 0, 1, 3, 4, 5, 6
RESOURCE_EXHAUSTED, FAILED_PRECONDITION, UNAVAILABLE, UNAUTHENTICATED = 8, 9, 14, 16


def node() -> str:
    path = shutil.which("node")
    if path is None or not (GRPC_DIR / "node_modules" / "@grpc" / "grpc-js").is_dir():
        raise AssertionError("node and tests/e2e/grpc/node_modules are needed: run scripts/setup")
    return path


def client_args(port: int, method: str, args: dict, org: str | None, deadline_ms: int, traceparent: str | None,
                extra: list[str]) -> list[str]:
    argv = [node(), str(CLIENT), "--port", str(port)]
    if org is not None:
        argv += ["--token", TOKENS.get(org, org)]
    if deadline_ms:
        argv += ["--deadline-ms", str(deadline_ms)]
    if traceparent is not None:
        argv += ["--traceparent", traceparent]
    return argv + extra + [method, json.dumps(args)]


def call(port: int, method: str, args: dict, *, org: str | None = "acme", deadline_ms: int = 0,
         traceparent: str | None = None) -> dict:
    """One unary call: {"ok": True, "response"} or {"ok": False, "code", "status", "message", "metadata"}."""
    run = subprocess.run(client_args(port, method, args, org, deadline_ms, traceparent, []), capture_output=True,
                         text=True, timeout=60)
    lines = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    if run.returncode != 0 or len(lines) != 1:
        raise AssertionError(f"client {method} failed: exit {run.returncode}\n{run.stdout}\n{run.stderr}")
    return lines[0]


class GrpcStream:
    """StreamEvents in a background client: `events` fills as messages arrive, `end` is the
    final status line once the stream ended."""

    def __init__(self, port: int, args: dict, *, org: str | None = "acme", extra: list[str] | None = None):
        self.popen = subprocess.Popen(client_args(port, "StreamEvents", args, org, 0, None, extra or []),
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
        self.events: list[dict] = []
        self.end: dict | None = None
        self.ended = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            doc = json.loads(line)
            if "event" in doc:
                self.events.append(doc["event"])
            else:
                self.end = doc
        self.ended.set()

    def durable(self) -> list[tuple[int, str]]:
        return [(e["seq"], e["kind"]) for e in list(self.events) if e["durable"]]

    def wait_for(self, predicate, timeout: float) -> bool:
        return wait_until(lambda: any(predicate(e) for e in list(self.events)) or self.ended.is_set(), timeout) and \
            any(predicate(e) for e in list(self.events))

    def wait_end(self, timeout: float) -> dict:
        if not self.ended.wait(timeout):
            raise AssertionError(f"the stream did not end within {timeout}s: {self.events}")
        assert self.end is not None
        return self.end

    def close(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.wait()
        for pipe in (self.popen.stdout, self.popen.stderr):
            if pipe is not None:
                pipe.close()


class ServeGrpcTest(E2ETestCase):
    def setUp(self) -> None:
        super().setUp()
        self.llm = self.start_llm()
        self.agent = self.write_definition(definition(llm_url=self.llm.base_url, api_key_env=None, tools=[ask_tool()]))

    def start_serve(self, *, max_active: int = 16, log_level: str = "debug", name: str = "serve.yaml") -> ServeProc:
        config = write_serve_config(self.dir, db=self.db, bots={"helper": self.agent}, max_active=max_active,
                                    extra={"grpc": {"listen": "127.0.0.1:0"}, "http": {"max_body_bytes": 65536}})
        Path(config).rename(self.dir / name)
        env = {**token_env(), "AGENTRT_LOG_LEVEL": log_level}
        serve = ServeProc(self.spawn("serve", "--config", str(self.dir / name), env=env, db=False))
        self.addCleanup(serve.proc.kill9)
        line = serve.proc.wait_for_line(lambda ln: ln.get("kind") == "listening", 5)
        self.assertIsNotNone(line)
        assert line is not None
        self.assertIsInstance(line.get("grpc_port"), int, line)
        self.assertNotEqual(line["grpc_port"], serve.port)
        serve.grpc_port = line["grpc_port"]  # type: ignore[attr-defined]
        return serve

    def stream(self, serve: ServeProc, args: dict, **kwargs) -> GrpcStream:
        stream = GrpcStream(serve.grpc_port, args, **kwargs)  # type: ignore[attr-defined]
        self.addCleanup(stream.close)
        return stream

    def create(self, serve: ServeProc, text: str, **kwargs) -> str:
        reply = call(serve.grpc_port, "CreateSession",  # type: ignore[attr-defined]
                     {"bot": "helper", "message": {"text": text, "message_id": "m-1"}}, **kwargs)
        self.assertTrue(reply["ok"], reply)
        session = reply["response"]["session"]
        self.assertEqual((session["org"], session["bot"]), ("acme", "helper"), session)
        self.assertTrue(session["id"].startswith("s-"), session)
        return session["id"]

    def settled(self, serve: ServeProc, session: str, status: str) -> dict:
        doc: dict = {}

        def check() -> bool:
            nonlocal doc
            reply = call(serve.grpc_port, "GetSession", {"session_id": session})  # type: ignore[attr-defined]
            doc = reply.get("response", {}).get("session", {})
            return doc.get("status") == status and doc.get("pending_messages") == 0
        self.assertTrue(wait_until(check, 30, step=0.2), doc)
        return doc

    def assertStatus(self, reply: dict, code: int, error_code: str | None = None) -> None:  # noqa: N802
        self.assertFalse(reply.get("ok", False), reply)
        self.assertEqual(reply["code"], code, reply)
        if error_code is not None:
            self.assertEqual(reply["metadata"].get("agentrt-error-code"), error_code, reply)
            self.assertTrue(reply["message"].startswith(error_code + ": "), reply)

    def stop_clean(self, serve: ServeProc) -> str:
        run = serve.stop(30)
        self.assertEqual(run.code, 0, run.describe())
        self.assertNotIn('"level":"error"', run.stderr, run.describe())
        return run.stderr

    # -- the calls ---------------------------------------------------------------------------------
    def test_every_call_succeeds_and_the_stream_matches_the_history(self) -> None:
        serve = self.start_serve()
        port = serve.grpc_port  # type: ignore[attr-defined]
        session = self.create(serve, "hello", traceparent=TRACEPARENT)
        stream = self.stream(serve, {"session_id": session, "from_seq": 0})
        self.assertTrue(stream.wait_for(lambda e: e["kind"] == "turn_completed", 30), stream.events)
        idle = self.settled(serve, session, "idle")
        self.assertEqual(stream.durable(), expected_stream(read_history(self.db, session)))
        message = next(e for e in stream.events if e["kind"] == "message")
        self.assertEqual((message["data"]["message_id"], message["data"]["text"]), ("m-1", "hello"))
        self.assertEqual(message["data"]["seq"], message["seq"])

        # SendMessage: idempotent by message_id; the next turn arrives on the open stream.
        sent = call(port, "SendMessage", {"session_id": session, "text": "again", "message_id": "m-2"})
        self.assertTrue(sent["ok"], sent)
        self.assertEqual(sent["response"], {"session_id": session, "message_id": "m-2", "accepted": True})
        self.assertStatus(call(port, "SendMessage", {"session_id": session, "text": "again", "message_id": "m-2"}),
                          ALREADY_EXISTS, "duplicate_message")
        self.assertTrue(stream.wait_for(lambda e: e["kind"] == "turn_completed" and e["data"]["turn"] == 2, 30))
        idle = self.settled(serve, session, "idle")
        history = read_history(self.db, session)
        self.assertEqual(stream.durable(), expected_stream(history))
        self.assertEqual(idle["last_seq"], history[-1]["seq"])

        # Signal: a payload as JSON text, idempotent by signal_id.
        signalled = call(port, "Signal", {"session_id": session, "name": "ticket", "payload_json": '{"ticket": 4711}',
                                          "signal_id": "g-1"})
        self.assertTrue(signalled["ok"], signalled)
        self.assertEqual(signalled["response"]["signal_id"], "g-1")
        self.assertStatus(call(port, "Signal", {"session_id": session, "name": "ticket", "signal_id": "g-1"}),
                          ALREADY_EXISTS, "duplicate_signal")
        self.assertTrue(stream.wait_for(lambda e: e["kind"] == "message" and
                                        e["data"]["message_id"] == "signal:g-1", 30), stream.events)
        self.assertTrue(stream.wait_for(lambda e: e["kind"] == "turn_completed" and e["data"]["turn"] == 3, 30))

        # Query: the result as JSON text.
        self.settled(serve, session, "idle")
        queried = call(port, "Query", {"session_id": session, "name": "status"})
        self.assertTrue(queried["ok"], queried)
        result = json.loads(queried["response"]["result_json"])
        self.assertEqual((result["status"], result["turn"]), ("idle", 3), result)
        output = json.loads(call(port, "Query", {"session_id": session, "name": "output"})["response"]["result_json"])
        self.assertIn("4711", output["text"])

        # Resume from the middle: exactly what came after, then live until the session ends.
        durable = stream.durable()
        middle = durable[len(durable) // 2][0]
        resumed = self.stream(serve, {"session_id": session, "from_seq": middle})
        self.assertTrue(wait_until(lambda: len(resumed.durable()) >= len([d for d in durable if d[0] > middle]), 10))
        self.assertEqual(resumed.durable()[:len([d for d in durable if d[0] > middle])],
                         [d for d in durable if d[0] > middle])
        cancelled = call(port, "CancelSession", {"session_id": session, "reason": "test over"})
        self.assertTrue(cancelled["ok"], cancelled)
        self.assertEqual(cancelled["response"]["session"]["status"], "cancelled")
        end = resumed.wait_end(10)
        self.assertEqual(end["code"], OK, end)
        self.assertEqual(resumed.events[-1]["kind"], "status")
        self.assertEqual(resumed.events[-1]["data"]["status"], "cancelled")
        self.assertEqual(resumed.durable(), expected_stream(read_history(self.db, session), middle))
        self.assertEqual(stream.wait_end(10)["code"], OK)
        self.assertEqual(resumed.durable()[-1][0], cancelled["response"]["cancelled_seq"])

        # A finished session: FAILED_PRECONDITION for more input.
        self.assertStatus(call(port, "SendMessage", {"session_id": session, "text": "late"}), FAILED_PRECONDITION,
                          "session_finished")
        self.assertStatus(call(port, "CancelSession", {"session_id": session, "reason": "again"}), FAILED_PRECONDITION,
                          "session_finished")
        stderr = self.stop_clean(serve)
        self.assertIn(TRACEPARENT, stderr, "the traceparent of the create is logged at debug")

    def test_update_answers_a_question(self) -> None:
        serve = self.start_serve()
        port = serve.grpc_port  # type: ignore[attr-defined]
        session = self.create(serve, "ask")
        self.settled(serve, session, "waiting_for_input")
        calls = json.loads(call(port, "Query", {"session_id": session, "name": "calls"})["response"]["result_json"])
        call_id = calls["calls"][0]["call_id"]
        self.assertStatus(call(port, "Update", {"session_id": session, "name": "answer", "call_id": "call_other",
                                                "text": "Mallory"}), FAILED_PRECONDITION, "not_waiting")
        self.assertStatus(call(port, "Update", {"session_id": session, "name": "approve", "call_id": call_id,
                                                "approved": True}), FAILED_PRECONDITION, "not_waiting")
        self.assertStatus(call(port, "Update", {"session_id": session, "name": "answer", "call_id": call_id}),
                          INVALID_ARGUMENT, "invalid_request")
        reply = call(port, "Update", {"session_id": session, "name": "answer", "call_id": call_id, "text": "Alice",
                                      "update_id": "u-1"})
        self.assertTrue(reply["ok"], reply)
        response = reply["response"]
        self.assertEqual((response["recorded"], response["update_id"], response["call_id"], response["answer"]),
                         (True, "u-1", call_id, "Alice"), response)
        recorded = [e for e in read_history(self.db, session) if e["seq"] == response["recorded_seq"]]
        self.assertEqual([(e["type"], e["data"]) for e in recorded],
                         [("MessageReceived", {"message_id": "update:u-1", "text": "Alice"})])
        self.settled(serve, session, "idle")
        output = json.loads(call(port, "Query", {"session_id": session, "name": "output"})["response"]["result_json"])
        self.assertEqual(output["text"], "you said: Alice")
        self.stop_clean(serve)

    # -- errors -----------------------------------------------------------------------------------
    def test_errors_have_their_status_codes(self) -> None:
        serve = self.start_serve()
        port = serve.grpc_port  # type: ignore[attr-defined]
        session = self.create(serve, "hello")
        self.settled(serve, session, "idle")
        # Another org's session answers exactly like a missing one.
        for org in ("acme", "globex"):
            missing = "s-missing" if org == "acme" else session
            self.assertStatus(call(port, "GetSession", {"session_id": missing}, org=org), NOT_FOUND, "session_not_found")
            self.assertStatus(call(port, "SendMessage", {"session_id": missing, "text": "x"}, org=org), NOT_FOUND,
                              "session_not_found")
            self.assertStatus(call(port, "Query", {"session_id": missing, "name": "status"}, org=org), NOT_FOUND)
            self.assertStatus(call(port, "CancelSession", {"session_id": missing, "reason": "x"}, org=org), NOT_FOUND)
            end = self.stream(serve, {"session_id": missing}, org=org).wait_end(10)
            self.assertEqual((end["code"], end["metadata"].get("agentrt-error-code")), (NOT_FOUND, "session_not_found"))
        self.assertStatus(call(port, "Query", {"session_id": session, "name": "secrets"}), NOT_FOUND, "unknown_query")
        # Tokens: none, malformed, unknown -- for calls and streams.
        for org in (None, "not-a-token-but-long-enough"):
            self.assertStatus(call(port, "GetSession", {"session_id": session}, org=org), UNAUTHENTICATED,
                              "unauthorized")
            self.assertStatus(call(port, "CreateSession", {"bot": "helper"}, org=org), UNAUTHENTICATED)
            end = self.stream(serve, {"session_id": session}, org=org).wait_end(10)
            self.assertEqual(end["code"], UNAUTHENTICATED, end)
        # Bad arguments, checked by the same code as the HTTP API.
        for method, args, code in [
                ("CreateSession", {}, "invalid_request"),
                ("CreateSession", {"bot": "nobody"}, "unknown_bot"),
                ("CreateSession", {"bot": "helper", "message": {"text": ""}}, "invalid_request"),
                ("SendMessage", {"session_id": session}, "invalid_request"),
                ("SendMessage", {"session_id": session, "text": "x", "message_id": "a/b"}, "invalid_request"),
                ("SendMessage", {"text": "x"}, "invalid_request"),
                ("Signal", {"session_id": session, "name": "ping", "payload_json": "{not json"}, "invalid_request"),
                ("Signal", {"session_id": session}, "invalid_request"),
                ("Update", {"session_id": session, "name": "reply", "call_id": "c"}, "invalid_request"),
                ("CancelSession", {"session_id": session}, "invalid_request"),
                ("CancelSession", {"session_id": session, "reason": "x", "mode": "explode"}, "invalid_request")]:
            with self.subTest(method=method, args=args):
                self.assertStatus(call(port, method, args), INVALID_ARGUMENT, code)
        # A message larger than the server takes (http.max_body_bytes: 64 KiB) is refused by gRPC.
        big = call(port, "SendMessage", {"session_id": session, "text": "x" * 100_000})
        self.assertStatus(big, RESOURCE_EXHAUSTED)
        # Resuming past the history.
        end = self.stream(serve, {"session_id": session, "from_seq": 9999}).wait_end(10)
        self.assertEqual((end["code"], end["metadata"].get("agentrt-error-code")), (FAILED_PRECONDITION, "seq_ahead"))
        # A malformed traceparent is ignored, not an error.
        self.assertTrue(call(port, "GetSession", {"session_id": session}, traceparent="00-zz")["ok"])
        # None of that changed the session.
        self.assertEqual(self.settled(serve, session, "idle")["last_seq"], read_history(self.db, session)[-1]["seq"])
        self.stop_clean(serve)

    # -- deadlines and drain -----------------------------------------------------------------------
    def test_deadline_stops_an_update_and_sigterm_ends_streams_with_unavailable(self) -> None:
        worker = self.start_serve()
        session = self.create(worker, "ask")
        self.settled(worker, session, "waiting_for_input")
        calls = json.loads(call(worker.grpc_port, "Query",  # type: ignore[attr-defined]
                                {"session_id": session, "name": "calls"})["response"]["result_json"])
        self.stop_clean(worker)
        # An API-only node: nobody records the update, so it would wait 10 s; the deadline is 1 s.
        api = self.start_serve(max_active=0, name="api.yaml")
        port = api.grpc_port  # type: ignore[attr-defined]
        stream = self.stream(api, {"session_id": session})
        self.assertTrue(stream.wait_for(lambda e: e["kind"] == "waiting", 10), stream.events)
        started = time.monotonic()
        reply = call(port, "Update", {"session_id": session, "name": "answer", "call_id": calls["calls"][0]["call_id"],
                                      "text": "Bob", "update_id": "u-late"}, deadline_ms=1000)
        self.assertStatus(reply, DEADLINE_EXCEEDED)
        self.assertLess(time.monotonic() - started, 5)
        self.assertTrue(wait_until(lambda: "grpc: Update stopped: cancelled" in "".join(api.proc.err_chunks), 5),
                        "the server stopped waiting at the deadline")
        last_seq = stream.durable()[-1][0]
        started = time.monotonic()
        api.terminate()
        end = stream.wait_end(10)
        self.assertLess(time.monotonic() - started, 5)
        self.assertEqual((end["code"], end["metadata"].get("agentrt-error-code")), (UNAVAILABLE, "draining"), end)
        self.assertEqual(end["metadata"].get("agentrt-resume-from-seq"), str(last_seq), end)
        self.assertIn(f"resume from seq {last_seq}", end["message"])
        self.assertEqual(api.proc.finish(30).code, 0)

    def test_a_bad_or_taken_grpc_address_stops_serve_at_start(self) -> None:
        config = write_serve_config(self.dir, db=self.db, bots={"helper": self.agent})
        bad = self.agentrt("serve", "--config", config, "--grpc-listen", "nowhere", env=token_env(), db=False, timeout=30)
        self.assertEqual(bad.code, 2, bad.describe())
        self.assertIn("--grpc-listen: expected host:port", bad.stderr)
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            run = self.agentrt("serve", "--config", config, env={**token_env(), "AGENTRT_GRPC_LISTEN": f"127.0.0.1:{port}"},
                               db=False, timeout=30)
        self.assertEqual(run.code, 1, run.describe())
        self.assertIn(f"grpc.listen 127.0.0.1:{port}: cannot listen", run.stderr)
        self.assertNotIn("listening", run.stdout)


if __name__ == "__main__":
    unittest.main()
