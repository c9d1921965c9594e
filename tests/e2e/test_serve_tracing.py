"""Traces of `agentrt serve` (docs/observability.md), checked by an OTLP/HTTP receiver that
validates every request's OTLP/JSON structure (otlp_receiver.py).

One session is one trace: the caller's traceparent on POST /v1/sessions names it, the root
span hangs under the caller's span, and turns, LLM calls and tool calls hang under the root,
whichever worker runs them. The main test kills the worker that runs a turn (SIGKILL) after
it exported its first spans; the other worker finishes the turn, and the whole tree must still
be one connected trace, with the turn closed under the id the first worker's spans point to.
"""

from __future__ import annotations

import json
import unittest
import urllib.error
import urllib.request

from e2e_support import E2ETestCase, definition, effect_tool, read_history
from otlp_receiver import OtlpReceiver, attributes_of
from serve_support import ServeProc, TOKENS, lease_of, token_env, wait_until, write_serve_config

CLIENT_TRACE = "0af7651916cd43dd8448eb211c80319c"
CLIENT_SPAN = "b7ad6b7169203331"


def create_session(port: int, message: str, headers: dict | None = None) -> tuple[int, dict]:
    body = json.dumps({"bot": "effects", "message": {"text": message}}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/sessions", data=body, method="POST")
    req.add_header("Authorization", f"Bearer {TOKENS['acme']}")
    req.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


class TracingTest(E2ETestCase):
    def setUp(self) -> None:
        super().setUp()
        self.receiver = OtlpReceiver().start()
        self.addCleanup(self.receiver.stop)
        self.llm = self.start_llm(reply_delay=0.05)
        self.tools = self.start_tools(delay=1.0)
        self.agent = self.write_definition(definition(llm_url=self.llm.base_url, tools=[effect_tool(self.tools.base_url)]))

    def start_workers(self, n: int, tracing: dict) -> list[ServeProc]:
        config = write_serve_config(self.dir, db=self.db, bots={"effects": self.agent}, ttl="2s",
                                    extra={"tracing": tracing, "log_level": "info"})
        workers = []
        for _ in range(n):
            worker = ServeProc(self.spawn("serve", "--config", config, env=token_env(), db=False))
            self.addCleanup(worker.proc.kill9)
            workers.append(worker)
        return workers

    def spans_of(self, trace: str) -> list[dict]:
        return [s for s in self.receiver.snapshot() if s["traceId"] == trace]

    def test_one_session_is_one_connected_trace_across_a_worker_kill(self) -> None:
        workers = self.start_workers(2, {"endpoint": self.receiver.url})
        status, body = create_session(workers[0].port, "effects 4 par 1",
                                      {"traceparent": f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01", "tracestate": "vendor=x1"})
        self.assertEqual(status, 201, body)
        session = body["session"]["id"]
        self.assertEqual(body["session"]["trace_id"], CLIENT_TRACE)

        # The owner exports its first LLM span (every second), then dies mid-turn.
        def owner_exported() -> bool:
            owner = lease_of(self.db, session)[0]
            return any(attributes_of(s).get("agentrt.worker") == owner and s["name"].startswith("chat ")
                       for s in self.spans_of(CLIENT_TRACE))
        self.assertTrue(wait_until(owner_exported, 20), self.receiver.snapshot())
        victim_id = lease_of(self.db, session)[0]
        history = read_history(self.db, session)
        self.assertNotIn("TurnCompleted", [e["type"] for e in history], "the turn must still run when its owner dies")
        victim = next(w for w in workers if w.worker == victim_id)
        survivor = next(w for w in workers if w.worker != victim_id)
        victim.proc.kill9()

        self.assertTrue(wait_until(lambda: "TurnCompleted" in [e["type"] for e in read_history(self.db, session)], 30))
        survivor.stop(30)  # SIGTERM: the exporter sends what it holds before the process ends
        spans = self.spans_of(CLIENT_TRACE)
        self.assertEqual(self.receiver.problems, [])
        self.assertEqual(len(spans), len(self.receiver.snapshot()), "every span belongs to the session's trace")

        by_id = {s["spanId"]: s for s in spans}
        self.assertEqual(len(by_id), len(spans), f"a span id was exported twice: {[s['name'] for s in spans]}")
        roots = [s for s in spans if s["name"] == "agentrt.session"]
        self.assertEqual(len(roots), 1, spans)
        root = roots[0]
        self.assertEqual(root.get("parentSpanId"), CLIENT_SPAN, "the root hangs under the caller's span")
        self.assertEqual(attributes_of(root)["agentrt.session"], session)

        turns = [s for s in spans if s["name"] == "agentrt.turn"]
        self.assertEqual(len(turns), 1, "one turn, closed once, by the survivor")
        turn = turns[0]
        self.assertEqual(turn["parentSpanId"], root["spanId"])
        self.assertEqual(attributes_of(turn)["agentrt.worker"], survivor.worker)
        self.assertEqual(turn["status"].get("code"), 1)

        calls = [s for s in spans if s["name"].startswith(("chat ", "tool "))]
        for call in calls:
            self.assertEqual(call["parentSpanId"], turn["spanId"], call)
        workers_seen = {attributes_of(c)["agentrt.worker"] for c in calls}
        self.assertEqual(workers_seen, {victim_id, survivor.worker}, "calls of both workers sit under the one turn")
        llm_calls = [c for c in calls if c["name"].startswith("chat ")]
        self.assertGreaterEqual(len(llm_calls), 2)
        first = attributes_of(llm_calls[0])
        self.assertGreater(first["gen_ai.usage.input_tokens"], 0)
        self.assertIn("gen_ai.request.model", first)
        tool_spans = [c for c in calls if c["name"] == "tool effect"]
        self.assertGreaterEqual(len(tool_spans), 1)
        self.assertTrue(all(attributes_of(t)["agentrt.tool.outcome"] == "ok" for t in tool_spans))

        activations = [s for s in spans if s["name"] == "agentrt.activation"]
        self.assertIn(survivor.worker, [attributes_of(a)["agentrt.worker"] for a in activations])
        for activation in activations:
            self.assertEqual(activation["parentSpanId"], root["spanId"])

        # The tree is connected: every parent is a received span or the caller's own.
        for span in spans:
            parent = span.get("parentSpanId")
            self.assertTrue(parent in by_id or parent == CLIENT_SPAN, f"{span['name']} has a dangling parent {parent}")

        # Tools got the traceparent of their own span, and the exported tool spans are those.
        sent = {r.headers.get("traceparent") for r in self.tools.snapshot()}
        for tool in tool_spans:
            self.assertIn(f"00-{CLIENT_TRACE}-{tool['spanId']}-01", sent)
        resource = {kv["key"]: kv["value"]["stringValue"] for kv in self.receiver.resources[0]["attributes"]}
        self.assertEqual(resource["service.name"], "agentrt")

    def test_sampling_follows_the_caller_then_the_ratio(self) -> None:
        # Small export batches, as tracing.max_batch sets them (the default is 512).
        workers = self.start_workers(1, {"endpoint": self.receiver.url, "sampling_ratio": 0, "max_batch": 2})
        unsampled_trace = "1af7651916cd43dd8448eb211c80319c"
        status, body = create_session(workers[0].port, "effects 1 par 1",
                                      {"traceparent": f"00-{unsampled_trace}-{CLIENT_SPAN}-00"})
        self.assertEqual(status, 201, body)
        status, own = create_session(workers[0].port, "effects 1 par 1")  # ratio 0: not sampled
        self.assertEqual(status, 201, own)
        status, sampled = create_session(workers[0].port, "effects 1 par 1",
                                         {"traceparent": f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01"})
        self.assertEqual(status, 201, sampled)
        for created in (body, own, sampled):
            session = created["session"]["id"]
            self.assertTrue(wait_until(lambda s=session: "TurnCompleted" in [e["type"] for e in read_history(self.db, s)], 30))
        result = workers[0].stop(30)
        self.assertEqual(self.receiver.problems, [])
        # Log lines about a session name its trace, sampled or not.
        lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
        for created in (body, own, sampled):
            session = created["session"]["id"]
            about = [line for line in lines if line.get("session") == session]
            self.assertTrue(about, f"no log line about {session}")
            self.assertTrue(all(line.get("trace_id") == created["session"]["trace_id"] for line in about), about)
        traces = {s["traceId"] for s in self.receiver.snapshot()}
        self.assertEqual(traces, {CLIENT_TRACE}, "only the sampled caller's trace is exported")
        self.assertGreaterEqual(len(self.receiver.batch_sizes), 2, self.receiver.batch_sizes)
        self.assertLessEqual(max(self.receiver.batch_sizes), 2, "tracing.max_batch bounds every request")
        # Unsampled sessions still pass their trace on, with the flag off.
        sent = {r.headers.get("traceparent", "") for r in self.tools.snapshot()}
        self.assertTrue(any(t.startswith(f"00-{unsampled_trace}-") and t.endswith("-00") for t in sent), sent)
        self.assertTrue(any(t.startswith(f"00-{own['session']['trace_id']}-") and t.endswith("-00") for t in sent), sent)

    def test_a_collector_that_is_down_or_busy_never_holds_a_session_back(self) -> None:
        busy = OtlpReceiver(fail_first=1).start()
        self.addCleanup(busy.stop)
        down = OtlpReceiver().start()
        down_url = down.url
        down.stop()
        for endpoint, receiver in ((down_url, None), (busy.url, busy)):
            with self.subTest(endpoint=endpoint):
                workers = self.start_workers(1, {"endpoint": endpoint})
                status, body = create_session(workers[0].port, "effects 1 par 1",
                                              {"traceparent": f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01"})
                self.assertEqual(status, 201, body)
                session = body["session"]["id"]
                self.assertTrue(wait_until(lambda: "TurnCompleted" in [e["type"] for e in read_history(self.db, session)], 30))
                result = workers[0].stop(30)
                self.assertEqual(result.code, 0, result.describe())
                if receiver is not None:  # the 503 was retried: nothing lost
                    self.assertIn("agentrt.turn", [s["name"] for s in receiver.snapshot()])
                    self.assertEqual(receiver.problems, [])

    def test_bad_tracing_settings_are_refused_at_start(self) -> None:
        cases = [({"endpoint": "ftp://collector"}, "tracing.endpoint must be an http:// or https:// URL"),
                 ({"endpoint": self.receiver.url, "sampling_ratio": 2}, "sampling_ratio"),
                 ({"endpoint": self.receiver.url, "headers_env": "NOT_SET_ANYWHERE"}, "NOT_SET_ANYWHERE is not set")]
        for tracing, message in cases:
            with self.subTest(tracing=tracing):
                config = write_serve_config(self.dir, db=self.db, bots={"effects": self.agent}, extra={"tracing": tracing})
                result = self.spawn("serve", "--config", config, env=token_env(), db=False).finish(30)
                self.assertEqual(result.code, 2, result.describe())
                self.assertIn(message, result.stderr)
        env = token_env() | {"OTLP_HEADERS": "x-api-key=very-secret-value,broken"}
        config = write_serve_config(self.dir, db=self.db, bots={"effects": self.agent},
                                    extra={"tracing": {"endpoint": self.receiver.url, "headers_env": "OTLP_HEADERS"}})
        result = self.spawn("serve", "--config", config, env=env, db=False).finish(30)
        self.assertEqual(result.code, 2, result.describe())
        self.assertIn("OTLP_HEADERS: entry 2 is not a header", result.stderr)
        self.assertNotIn("very-secret-value", result.stderr + result.stdout)


if __name__ == "__main__":
    unittest.main()
