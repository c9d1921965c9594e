"""Human in the loop: ask_human questions and approval gates (exit 3, then `run --session`)."""

from __future__ import annotations

import sqlite3
import unittest

from e2e_support import EXIT_OK, EXIT_WAITING, E2ETestCase, ask_tool, definition, effect_tool


def session_status(db: str, session: str) -> str:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        row = con.execute("SELECT status FROM sessions WHERE id = ?", (session,)).fetchone()
    finally:
        con.close()
    return row[0] if row else "<missing>"


class AskHumanTest(E2ETestCase):
    def setUp(self) -> None:
        super().setUp()
        self.llm = self.start_llm()
        self.agent = self.write_definition(definition(llm_url=self.llm.base_url, tools=[ask_tool()]))

    def test_question_waits_then_the_answer_completes_the_turn(self) -> None:
        run = self.run_agent(self.agent, "ask")
        self.assertExit(run, EXIT_WAITING)
        session = self.assertJsonProtocol(run, "waiting_for_input", EXIT_WAITING)
        waiting = run.result.get("waiting_for") or {}
        self.assertEqual(waiting.get("kind"), "question", run.result)
        self.assertEqual(waiting.get("prompt"), "What is your name?")
        self.assertTrue(waiting.get("call_id"))
        self.assertEqual(session_status(self.db, session), "waiting_for_input")
        requested = [e for e in self.history(session) if e["type"] == "InputRequested"]
        self.assertEqual([e["data"].get("call_id") for e in requested], [waiting["call_id"]])

        answered = self.resume(session, "Alice")
        self.assertExit(answered, EXIT_OK)
        self.assertEqual(self.assertJsonProtocol(answered, "idle", EXIT_OK), session)
        self.assertValidHistory(session, "you said: Alice")
        self.assertEqual(session_status(self.db, session), "idle")
        self.assertEqual(self.llm.protocol_errors, [])

    def test_plain_output_ends_with_the_session_line(self) -> None:
        run = self.agentrt("run", self.agent, "--message", "ask")
        self.assertExit(run, EXIT_WAITING)
        last = run.stdout.rstrip("\n").splitlines()[-1]
        self.assertRegex(last, r"^session: \S+$", run.describe())
        session = last.split(": ", 1)[1]
        answered = self.agentrt("run", "--session", session, "--message", "Bob")
        self.assertExit(answered, EXIT_OK)
        self.assertIn("you said: Bob", answered.stdout, "the answer streams to stdout")
        self.assertEqual(answered.stdout.rstrip("\n").splitlines()[-1], f"session: {session}")


class ApprovalTest(E2ETestCase):
    def setUp(self) -> None:
        super().setUp()
        self.llm = self.start_llm()
        self.tools = self.start_tools()

    def start_gated(self, gated_by_list: bool = False) -> str:
        tool = effect_tool(self.tools.base_url, requires_approval=not gated_by_list)
        agent = self.write_definition(definition(llm_url=self.llm.base_url, tools=[tool],
                                                 approval=["effect"] if gated_by_list else None))
        run = self.run_agent(agent, "effects 1 par 1")
        self.assertExit(run, EXIT_WAITING)
        session = self.assertJsonProtocol(run, "waiting_for_input", EXIT_WAITING)
        waiting = run.result.get("waiting_for") or {}
        self.assertEqual(waiting.get("kind"), "approval", run.result)
        self.assertIn("effect", waiting.get("prompt", ""), "the prompt names the tool")
        self.assertEqual(self.tools.snapshot(), [], "nothing runs before the approval")
        return session

    def test_yes_runs_the_call(self) -> None:
        session = self.start_gated()
        run = self.resume(session, "Yes")
        self.assertExit(run, EXIT_OK)
        self.assertJsonProtocol(run, "idle", EXIT_OK)
        self.assertValidHistory(session, "done 1")
        self.assertIdempotencyKeys(session, self.tools)
        self.assertEqual(len(self.tools.effect_keys()), 1)

    def test_approve_via_the_definition_approval_list(self) -> None:
        session = self.start_gated(gated_by_list=True)
        run = self.resume(session, "APPROVE")
        self.assertExit(run, EXIT_OK)
        self.assertValidHistory(session, "done 1")
        self.assertEqual(len(self.tools.effect_keys()), 1)

    def test_no_denies_the_call_and_the_model_is_told(self) -> None:
        session = self.start_gated()
        run = self.resume(session, "no way")
        self.assertExit(run, EXIT_OK)
        events = self.assertValidHistory(session, "done 1")
        self.assertEqual(self.tools.snapshot(), [], "a denied call never reaches the tool")
        self.assertNotIn("ToolCompleted", [e["type"] for e in events], "a denied call has no result")
        tool_messages = [m for m in self.llm.chat_requests()[-1].body["messages"] if m["role"] == "tool"]
        self.assertEqual(len(tool_messages), 1)
        self.assertIn("denied", tool_messages[0]["content"].lower())


if __name__ == "__main__":
    unittest.main()
