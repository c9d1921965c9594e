"""Durable sleep: `run` waits out the timer itself, and a killed process resumes the same
timer (it ends at the original due time, not after a new full sleep)."""

from __future__ import annotations

import time
import unittest

from e2e_support import EXIT_OK, E2ETestCase, definition, sleep_tool


class SleepTest(E2ETestCase):
    def setUp(self) -> None:
        super().setUp()
        self.llm = self.start_llm()
        self.agent = self.write_definition(definition(llm_url=self.llm.base_url, tools=[sleep_tool()]))

    def timer(self, session: str) -> tuple[dict, dict | None]:
        events = self.history(session)
        started = [e for e in events if e["type"] == "TimerStarted"]
        fired = [e for e in events if e["type"] == "TimerFired"]
        self.assertEqual(len(started), 1, events)
        self.assertLessEqual(len(fired), 1, events)
        return started[0], (fired[0] if fired else None)

    def test_sleep_is_waited_out(self) -> None:
        run = self.run_agent(self.agent, "sleep 1")
        self.assertExit(run, EXIT_OK)
        session = self.assertJsonProtocol(run, "idle", EXIT_OK)
        self.assertValidHistory(session, "slept 1")
        started, fired = self.timer(session)
        self.assertEqual(started["data"].get("duration_ms"), 1000)
        self.assertIsNotNone(fired)
        due = started["time_ms"] + 1000
        self.assertGreaterEqual(fired["time_ms"], due, "the timer does not fire early")
        self.assertLess(fired["time_ms"], due + 1000, "the timer fires close to its due time")

    def test_killed_while_asleep_resumes_the_same_timer(self) -> None:
        seconds = 4.0
        proc = self.spawn("run", self.agent, "--message", f"sleep {seconds:g}", "--json")
        started_line = proc.wait_for_line(lambda ln: ln.get("type") == "TimerStarted", timeout=30)
        if started_line is None:
            self.fail("no TimerStarted event line\n" + proc.finish(5).describe())
        time.sleep(1.5)
        proc.kill9()
        killed = proc.finish(10)
        self.assertEqual(killed.code, -9, killed.describe())
        session = killed.session
        self.assertTrue(session, killed.describe())
        started, fired = self.timer(session)
        self.assertIsNone(fired, "the timer had not fired when the process was killed")
        due_ms = started["time_ms"] + int(seconds * 1000)

        remaining = due_ms / 1000 - time.time()
        resumed = self.resume(session)
        self.assertExit(resumed, EXIT_OK)
        self.assertJsonProtocol(resumed, "idle", EXIT_OK)
        self.assertValidHistory(session, f"slept {seconds:g}")
        _, fired = self.timer(session)
        self.assertIsNotNone(fired)
        self.assertGreaterEqual(fired["time_ms"], due_ms, "the timer does not fire early")
        self.assertLess(fired["time_ms"], due_ms + 1000, "the timer fires at its original due time")
        self.assertLess(resumed.elapsed, remaining + 1.5,
                        f"resume slept {resumed.elapsed:.2f}s; only {remaining:.2f}s were left of the timer")


if __name__ == "__main__":
    unittest.main()
