"""Repair commands: `agentrt session cancel|terminate|retry|reset`, recorded in the history with
who and why, fenced against a live owner through the session's lease."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time

from e2e_support import (EXIT_FAILED, EXIT_OK, EXIT_USAGE, EXIT_WAITING, E2ETestCase, ask_tool, definition,
                         effect_tool)


class RepairTestCase(E2ETestCase):
    def setUp(self) -> None:
        super().setUp()
        self.llm = self.start_llm()

    def session_cmd(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([self.bin, "session", *args, "--db", self.db], capture_output=True, text=True,
                              timeout=timeout, env={"PATH": "/usr/bin:/bin", "USER": "oncall"})

    def row(self, session: str) -> tuple:
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10)
        try:
            return con.execute("SELECT status, last_seq, epoch, lease_owner FROM sessions WHERE id = ?",
                               (session,)).fetchone()
        finally:
            con.close()

    def export(self, session: str) -> dict:
        exported = subprocess.run([self.bin, "export", session, "--db", self.db], capture_output=True, text=True,
                                  timeout=30)
        self.assertEqual(exported.returncode, 0, exported.stderr)
        return json.loads(exported.stdout)


class CancelTerminateTest(RepairTestCase):
    def test_cancel_a_waiting_session(self) -> None:
        agent = self.write_definition(definition(llm_url=self.llm.base_url, tools=[ask_tool()]))
        run = self.run_agent(agent, "ask")
        self.assertExit(run, EXIT_WAITING)
        session = run.session
        self.assertIsNone(self.row(session)[3], "a finished run releases its lease")

        done = self.session_cmd("cancel", session, "--reason", "customer withdrew", "--by", "alice", "--json")
        self.assertEqual(done.returncode, EXIT_OK, done.stderr)
        line = json.loads(done.stdout)
        self.assertEqual((line["kind"], line["command"], line["session"]), ("repair", "cancel", session))
        last = self.history(session)[-1]
        self.assertEqual(last["type"], "SessionCancelled")
        self.assertEqual(last["data"], {"reason": "customer withdrew", "by": "alice", "mode": "cancel"})
        self.assertEqual(line["event"]["seq"], last["seq"])
        status, last_seq, _, owner = self.row(session)
        self.assertEqual((status, last_seq, owner), ("cancelled", last["seq"], None))

        # --by defaults to $USER; a cancelled session cannot be cancelled again (nothing written).
        again = self.session_cmd("cancel", session, "--reason", "twice")
        self.assertEqual(again.returncode, EXIT_USAGE, again.stderr)
        self.assertIn("already cancelled", again.stderr)
        self.assertEqual(self.history(session)[-1]["seq"], last["seq"])

    def test_terminate_fences_a_running_run(self) -> None:
        tools = self.start_tools(delay=40)
        agent = self.write_definition(definition(llm_url=self.llm.base_url, tools=[effect_tool(tools.base_url,
                                                                                                timeout="60s")],
                                                 policies={"max_steps_per_turn": 40, "turn_timeout": "120s"}))
        proc = self.spawn("run", agent, "--message", "effects 1 par 1", "--json")
        requested = proc.wait_for_line(lambda ln: ln.get("type") == "ToolRequested", timeout=30)
        self.assertIsNotNone(requested, "the run never reached its tool call")
        session = requested["session"]
        self.assertTrue(self.row(session)[3].startswith("run:"), "the run holds the lease")

        # cancel refuses a session that a live process runs, and writes nothing.
        before = self.row(session)
        refused = self.session_cmd("cancel", session, "--reason", "too early")
        self.assertEqual(refused.returncode, EXIT_USAGE, refused.stderr)
        self.assertIn("terminate", refused.stderr)
        self.assertEqual(self.row(session), before)

        terminated_at = time.monotonic()
        done = self.session_cmd("terminate", session, "--reason", "the tool hangs", "--by", "bob")
        self.assertEqual(done.returncode, EXIT_OK, done.stderr)
        self.assertIn("SessionCancelled", done.stdout)
        run = proc.finish(timeout=30)
        stopped_after = time.monotonic() - terminated_at
        self.assertExit(run, EXIT_FAILED)
        self.assertLess(stopped_after, 15, f"the fenced run kept going for {stopped_after:.1f}s\n{run.describe()}")
        self.assertIn("no longer owns", run.result.get("error", ""), run.describe())
        events = self.history(session)
        self.assertEqual(events[-1]["type"], "SessionCancelled", events[-1])
        self.assertEqual(events[-1]["data"], {"reason": "the tool hangs", "by": "bob", "mode": "terminate"})
        self.assertEqual(self.row(session)[0], "cancelled")
        self.assertEqual(self.row(session)[3], None, "terminate released its lease")


class RetryTest(RepairTestCase):
    def test_retry_a_failed_session_completes(self) -> None:
        self.llm.fail_next(3, 500)
        agent = self.write_definition(definition(llm_url=self.llm.base_url,
                                                 model_retry={"attempts": 3, "initial_backoff": "50ms"}))
        failed = self.run_agent(agent, "hello")
        self.assertExit(failed, EXIT_FAILED)
        session = failed.session
        self.assertEqual(self.history(session)[-1]["type"], "SessionFailed")

        proc = self.spawn("session", "retry", session, "--reason", "LLM outage is over", "--by", "carol", "--json")
        run = proc.finish(timeout=60)
        self.assertExit(run, EXIT_OK)
        self.assertJsonProtocol(run, "idle", EXIT_OK)
        self.assertIn("SessionRetried", run.stderr)
        events = self.assertValidHistory(session, "echo: hello")
        retried = [e for e in events if e["type"] == "SessionRetried"]
        self.assertEqual(len(retried), 1)
        self.assertEqual(retried[0]["data"], {"by": "carol", "reason": "LLM outage is over"})
        self.assertEqual(events[retried[0]["seq"]]["type"], "LlmRequested", "the turn runs again after the retry")

        # A session that did not fail cannot be retried; nothing is written.
        before = self.row(session)
        again = self.session_cmd("retry", session, "--reason", "again")
        self.assertEqual(again.returncode, EXIT_USAGE, again.stderr)
        self.assertIn("not failed", again.stderr)
        self.assertEqual(self.row(session), before)


class ResetTest(RepairTestCase):
    def test_reset_then_run_continues_and_the_branch_is_archived(self) -> None:
        tools = self.start_tools()
        agent = self.write_definition(definition(llm_url=self.llm.base_url, tools=[effect_tool(tools.base_url)]))
        run = self.run_agent(agent, "effects 2 par 1")
        self.assertExit(run, EXIT_OK)
        session = run.session
        original = self.assertValidHistory(session, "done 2")
        first_done = next(e["seq"] for e in original if e["type"] == "ToolCompleted")

        done = self.session_cmd("reset", session, "--to-event", str(first_done), "--reason", "redo the second step")
        self.assertEqual(done.returncode, EXIT_OK, done.stderr)
        self.assertIn("archived as branch 1", done.stdout)
        events = self.history(session)
        self.assertEqual(events[:first_done], original[:first_done])
        self.assertEqual(len(events), first_done + 1)
        self.assertEqual(events[-1]["type"], "SessionReset")
        self.assertEqual(events[-1]["data"], {"to_seq": first_done, "archived_branch": 1, "by": "oncall",
                                              "reason": "redo the second step"})
        self.assertEqual(self.row(session)[:2], ("running", first_done + 1))

        resumed = self.resume(session)
        self.assertExit(resumed, EXIT_OK)
        self.assertJsonProtocol(resumed, "idle", EXIT_OK)
        events = self.assertValidHistory(session, "done 2")
        self.assertEqual(events[first_done]["type"], "SessionReset")
        self.assertEqual(events[first_done + 1]["type"], "LlmRequested", "the run continues from the reset point")

        doc = self.export(session)
        self.assertEqual([e["seq"] for e in doc["events"]], [e["seq"] for e in events])
        self.assertEqual(len(doc["archived_branches"]), 1)
        branch = doc["archived_branches"][0]
        self.assertEqual(branch["branch"], 1)
        self.assertEqual([(e["seq"], e["type"], e["data"]) for e in branch["events"]],
                         [(e["seq"], e["type"], e["data"]) for e in original[first_done:]])


class BadInputTest(RepairTestCase):
    def setUp(self) -> None:
        super().setUp()
        agent = self.write_definition(definition(llm_url=self.llm.base_url))
        run = self.run_agent(agent, "hello")
        self.assertExit(run, EXIT_OK)
        self.session = run.session
        self.before = (self.row(self.session), self.history(self.session))

    def assertRefused(self, args: list[str], message: str) -> None:  # noqa: N802
        done = self.session_cmd(*args)
        self.assertEqual(done.returncode, EXIT_USAGE, f"{args}: {done.stdout} {done.stderr}")
        self.assertIn(message, done.stderr, args)
        self.assertEqual((self.row(self.session), self.history(self.session)), self.before, f"{args} wrote something")

    def test_unknown_session(self) -> None:
        for command in ("cancel", "terminate", "retry"):
            self.assertRefused([command, "s-nope", "--reason", "x"], "session s-nope not found")
        self.assertRefused(["reset", "s-nope", "--to-event", "1", "--reason", "x"], "session s-nope not found")

    def test_reset_outside_the_history(self) -> None:
        last = self.before[0][1]
        self.assertRefused(["reset", self.session, "--to-event", str(last), "--reason", "x"],
                           f"it must be between 1 and {last - 1}")
        self.assertRefused(["reset", self.session, "--to-event", "99", "--reason", "x"], "cannot reset")
        self.assertRefused(["reset", self.session, "--to-event", "0", "--reason", "x"], "cannot reset")

    def test_retry_of_a_session_that_did_not_fail(self) -> None:
        self.assertRefused(["retry", self.session, "--reason", "x"], "is idle, not failed")

    def test_missing_or_empty_reason(self) -> None:
        self.assertRefused(["cancel", self.session], "--reason is required")
        self.assertRefused(["reset", self.session, "--to-event", "2"], "--reason is required")
        self.assertRefused(["cancel", self.session, "--reason", ""], "--reason must not be empty")


if __name__ == "__main__":
    import unittest
    unittest.main()
