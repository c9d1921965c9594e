"""Self-tests of the test servers (fake_llm.py, tool_server.py), without the agentrt binary.

If these fail, the end-to-end results mean nothing, so they run first and on their own.
"""

from __future__ import annotations

import json
import threading
import time
import unittest
import urllib.error
import urllib.request

from fake_llm import FakeLlm, check_conversation, parse_directive
from tool_server import ToolServer


def post(url: str, doc, headers: dict | None = None, timeout: float = 10):
    data = json.dumps(doc).encode() if not isinstance(doc, bytes) else doc
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def sse_reply(raw: bytes) -> tuple[str, list[dict], dict | None, list[dict]]:
    """Reassembles a streamed reply the way a client does: (content, tool_calls, usage, chunks)."""
    lines = [ln for ln in raw.decode().split("\n") if ln]
    assert lines[-1] == "data: [DONE]", lines[-1]
    chunks = [json.loads(ln[len("data: "):]) for ln in lines[:-1]]
    content, calls, usage = "", {}, None
    for c in chunks:
        if c.get("usage"):
            usage = c["usage"]
        for choice in c["choices"]:
            delta = choice["delta"]
            content += delta.get("content") or ""
            for frag in delta.get("tool_calls") or []:
                call = calls.setdefault(frag["index"], {"id": None, "name": "", "arguments": ""})
                call["id"] = frag.get("id") or call["id"]
                fn = frag.get("function") or {}
                call["name"] += fn.get("name") or ""
                call["arguments"] += fn.get("arguments") or ""
    return content, [calls[i] for i in sorted(calls)], usage, chunks


def effect_tool_spec() -> dict:
    return {"type": "function", "function": {"name": "effect", "parameters": {
        "type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}}}


class FakeLlmTest(unittest.TestCase):
    def setUp(self) -> None:
        self.llm = FakeLlm().start()
        self.addCleanup(self.llm.stop)
        self.url = self.llm.base_url + "/chat/completions"

    def chat(self, messages, stream=True, headers=None):
        return post(self.url, {"model": "m", "stream": stream, "messages": messages, "tools": [effect_tool_spec()]},
                    headers)

    def test_streamed_effects_then_answer(self) -> None:
        msgs = [{"role": "system", "content": "s"}, {"role": "user", "content": "effects 3 par 2"}]
        status, headers, raw = self.chat(msgs, headers={"Authorization": "Bearer k1"})
        self.assertEqual(status, 200)
        self.assertIn("text/event-stream", headers["Content-Type"])
        content, calls, usage, chunks = sse_reply(raw)
        self.assertEqual(content, "")
        self.assertEqual([c["name"] for c in calls], ["effect", "effect"])
        self.assertEqual([json.loads(c["arguments"]) for c in calls], [{"n": 1}, {"n": 2}])
        self.assertGreater(len(chunks), 6, "fragments are split over several chunks")
        self.assertIsNotNone(usage)
        self.assertEqual(self.llm.chat_requests()[0].headers["Authorization"], "Bearer k1")
        # Feed the results back: one more call, then the answer.
        msgs.append({"role": "assistant", "content": None, "tool_calls": [
            {"id": c["id"], "type": "function", "function": {"name": c["name"], "arguments": c["arguments"]}}
            for c in calls]})
        msgs += [{"role": "tool", "tool_call_id": c["id"], "content": "ok"} for c in calls]
        _, _, raw = self.chat(msgs)
        _, calls2, _, _ = sse_reply(raw)
        self.assertEqual([json.loads(c["arguments"]) for c in calls2], [{"n": 3}])
        self.assertNotIn(calls2[0]["id"], [c["id"] for c in calls], "call ids are unique in a turn")
        msgs.append({"role": "assistant", "content": None, "tool_calls": [
            {"id": calls2[0]["id"], "type": "function", "function": {"name": "effect", "arguments": "{}"}}]})
        msgs.append({"role": "tool", "tool_call_id": calls2[0]["id"], "content": "ok"})
        _, _, raw = self.chat(msgs)
        content, calls3, _, _ = sse_reply(raw)
        self.assertEqual((content, calls3), ("done 3", []))

    def test_non_streaming_and_deterministic(self) -> None:
        msgs = [{"role": "user", "content": "bad json 1"}]
        replies = [json.loads(self.chat(msgs, stream=False)[2]) for _ in range(2)]
        self.assertEqual(replies[0]["choices"], replies[1]["choices"])
        call = replies[0]["choices"][0]["message"]["tool_calls"][0]
        with self.assertRaises(json.JSONDecodeError):
            json.loads(call["function"]["arguments"])
        self.assertEqual(replies[0]["choices"][0]["finish_reason"], "tool_calls")

    def test_echo_and_faults(self) -> None:
        self.llm.fail_next(1, 429, retry_after="0")
        self.llm.fail_next(1, 500)
        status, headers, _ = self.chat([{"role": "user", "content": "hi"}])
        self.assertEqual((status, headers.get("Retry-After")), (429, "0"))
        self.assertEqual(self.chat([{"role": "user", "content": "hi"}])[0], 500)
        content, _, _, _ = sse_reply(self.chat([{"role": "user", "content": "hi"}])[2])
        self.assertEqual(content, "echo: hi")

    def test_rejects_unanswered_tool_calls(self) -> None:
        msgs = [{"role": "user", "content": "effects 1 par 1"},
                {"role": "assistant", "content": None,
                 "tool_calls": [{"id": "a", "type": "function", "function": {"name": "effect", "arguments": "{}"}}]},
                {"role": "user", "content": "hello"}]
        status, _, raw = self.chat(msgs)
        self.assertEqual(status, 400)
        self.assertIn("tool_call_id", json.loads(raw)["error"]["message"])
        self.assertEqual(len(self.llm.protocol_errors), 1)
        self.assertIsNone(check_conversation(msgs[:2] + [{"role": "tool", "tool_call_id": "a", "content": "x"}]))

    def test_required_key(self) -> None:
        self.llm.required_key = "sk-right"
        self.assertEqual(self.chat([{"role": "user", "content": "hi"}], headers={"Authorization": "Bearer x"})[0], 401)
        self.assertEqual(self.chat([{"role": "user", "content": "hi"}],
                                   headers={"Authorization": "Bearer sk-right"})[0], 200)

    def test_directives(self) -> None:
        self.assertEqual(parse_directive("effects 4 par 2 #s1").par, 2)
        self.assertEqual(parse_directive("sleep 2.5").seconds, 2.5)
        self.assertEqual(parse_directive("ask").kind, "ask")
        self.assertEqual(parse_directive("unknown tool 2").n, 2)
        self.assertIsNone(parse_directive("Alice"))


class ToolServerTest(unittest.TestCase):
    def test_effect_once_per_key_and_overlap(self) -> None:
        tools = ToolServer(delay=0.2, fail_first=1).start()
        self.addCleanup(tools.stop)
        url = tools.base_url + "/effect"
        self.assertEqual(post(url, {"n": 1})[0], 400, "no Idempotency-Key")
        self.assertEqual(post(url, {"n": 1}, {"Idempotency-Key": "s1:5"})[0], 503)
        status, _, raw = post(url, {"n": 1}, {"Idempotency-Key": "s1:5"})
        self.assertEqual(status, 200)
        status2, _, raw2 = post(url, {"n": 1}, {"Idempotency-Key": "s1:5"})
        self.assertEqual((status2, raw2), (200, raw), "a repeat returns the stored result")
        self.assertEqual(tools.effect_keys(), ["s1:5"])
        tools.fail_first = 0
        threads = [threading.Thread(target=post, args=(url, {"n": i}, {"Idempotency-Key": f"s2:{i}"}))
                   for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertGreaterEqual(tools.max_in_flight, 2)
        self.assertEqual(len(tools.effect_keys()), 4)
        # The server marks a request ended after its answer is written: the client may read the
        # answer first, so wait (briefly) for the server's side of the last ones.
        deadline = time.monotonic() + 5
        while any(r.ended_ms == 0 for r in tools.snapshot()) and time.monotonic() < deadline:
            time.sleep(0.01)
        log = tools.snapshot()
        self.assertEqual([r.session for r in log[1:4]], ["s1"] * 3)
        self.assertTrue(all(r.ended_ms >= r.arrived_ms for r in log))


if __name__ == "__main__":
    unittest.main()
