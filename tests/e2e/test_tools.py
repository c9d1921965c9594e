"""HTTP tool calls through `agentrt run`: idempotency keys, retries, parallelism, failing tools."""

from __future__ import annotations

import json
import subprocess
import unittest

from e2e_support import EXIT_OK, E2ETestCase, definition, effect_tool
from tool_server import ToolServer


class ToolCallTest(E2ETestCase):
    def setUp(self) -> None:
        super().setUp()
        self.llm = self.start_llm()

    def agent(self, tools: ToolServer, **tool_kwargs) -> str:
        return self.write_definition(definition(llm_url=self.llm.base_url, tools=[effect_tool(tools.base_url,
                                                                                              **tool_kwargs)]))

    def test_idempotency_key_is_session_and_seq_of_tool_requested(self) -> None:
        tools = self.start_tools()
        run = self.run_agent(self.agent(tools), "effects 3 par 1")
        self.assertExit(run, EXIT_OK)
        session = self.assertJsonProtocol(run, "idle", EXIT_OK)
        events = self.assertValidHistory(session, "done 3")
        self.assertIdempotencyKeys(session, tools)
        self.assertEqual(sorted(r.body["n"] for r in tools.snapshot()), [1, 2, 3], "the arguments are the body")
        self.assertEqual(len(tools.effect_keys()), 3)
        # The --json event lines are exactly the appended history, in order.
        self.assertEqual([(e["seq"], e["type"]) for e in run.events()], [(e["seq"], e["type"]) for e in events])
        self.assertEqual(self.llm.protocol_errors, [])
        # export prints the same history, with the session and its pinned definition.
        exported = subprocess.run([self.bin, "export", session, "--db", self.db], capture_output=True, text=True,
                                  timeout=30)
        self.assertEqual(exported.returncode, 0, exported.stderr)
        doc = json.loads(exported.stdout)
        self.assertEqual(doc["session"].get("id"), session)
        self.assertEqual(doc["definition"].get("name"), "e2e-agent")
        self.assertEqual([(e["seq"], e["type"], e["data"]) for e in doc["events"]],
                         [(e["seq"], e["type"], e["data"]) for e in events])

    def test_retries_after_503_reuse_the_key(self) -> None:
        tools = self.start_tools(fail_first=2)
        run = self.run_agent(self.agent(tools, retries=2), "effects 2 par 1")
        self.assertExit(run, EXIT_OK)
        session = self.assertJsonProtocol(run, "idle", EXIT_OK)
        events = self.assertValidHistory(session, "done 2")
        self.assertIdempotencyKeys(session, tools)
        log = tools.snapshot()
        self.assertEqual(len(log), 6, "three tries (retries: 2) for each of two calls")
        for key in tools.keys_seen():
            self.assertEqual([r.status for r in log if r.key == key], [503, 503, 200], key)
        self.assertEqual(len(tools.effect_keys()), 2)
        completed = [e for e in events if e["type"] == "ToolCompleted"]
        self.assertEqual([e["data"].get("attempts") for e in completed], [3, 3])

    def test_exhausted_retries_become_tool_failed_and_the_model_reacts(self) -> None:
        tools = self.start_tools(fail_first=100)
        run = self.run_agent(self.agent(tools, retries=1), "effects 1 par 1")
        self.assertExit(run, EXIT_OK)
        session = self.assertJsonProtocol(run, "idle", EXIT_OK)
        events = self.assertValidHistory(session, "done 1")
        failed = [e for e in events if e["type"] == "ToolFailed"]
        self.assertEqual(len(failed), 1, events)
        self.assertIn("503", failed[0]["data"].get("error", ""), "the error says what the tool answered")
        self.assertEqual(failed[0]["data"].get("attempts"), 2, "retries: 1 means two tries")
        self.assertEqual(len({r.key for r in tools.snapshot()}), 1, "both tries used one key")
        # The model was told the call failed.
        tool_messages = [m for m in self.llm.chat_requests()[-1].body["messages"] if m["role"] == "tool"]
        self.assertEqual(len(tool_messages), 1)
        self.assertIn("503", tool_messages[0]["content"])

    def test_unreachable_tool_fails_with_a_clear_error(self) -> None:
        tools = self.start_tools()
        url = tools.base_url
        tools.stop()  # nothing listens on this port any more
        agent = self.write_definition(definition(llm_url=self.llm.base_url,
                                                 tools=[effect_tool(url, retries=1, timeout="2s")]))
        run = self.run_agent(agent, "effects 1 par 1")
        self.assertExit(run, EXIT_OK)
        session = self.assertJsonProtocol(run, "idle", EXIT_OK)
        events = self.assertValidHistory(session, "done 1")
        failed = [e for e in events if e["type"] == "ToolFailed"]
        self.assertEqual(len(failed), 1)
        error = failed[0]["data"].get("error", "")
        self.assertTrue(url.split("//")[1] in error or "effect" in error,
                        f"the error names the tool or its URL: {error!r}")

    def test_parallel_calls_of_one_reply_overlap(self) -> None:
        tools = self.start_tools(delay=0.6)
        run = self.run_agent(self.agent(tools), "effects 4 par 4")
        self.assertExit(run, EXIT_OK)
        session = self.assertJsonProtocol(run, "idle", EXIT_OK)
        self.assertValidHistory(session, "done 4")
        self.assertIdempotencyKeys(session, tools)
        self.assertGreaterEqual(tools.max_in_flight, 2, "the four calls of one reply ran concurrently")
        arrivals = sorted(r.arrived_ms for r in tools.snapshot())
        self.assertLess(arrivals[-1] - arrivals[0], 500, f"all four started before the first ended: {arrivals}")
        self.assertEqual(len(self.llm.chat_requests()), 2, "one reply with four calls, then the answer")


if __name__ == "__main__":
    unittest.main()
