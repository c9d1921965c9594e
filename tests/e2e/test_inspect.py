"""`agentrt inspect`: every --stuck diagnosis built for real (a killed run, a wedged run, a
message nobody drains, a timer nobody fires), the fix command it prints actually fixes the
session, one session's report (why, lease, timeline, redaction), the session list and its
filters, --follow against a running `agentrt run`, and bad input.

Each situation is made with the real binary: `kill -9` mid-tool-call or mid-sleep, SIGSTOP to
wedge a live owner, and an inbox row written by another process (what a serve API node does
when no worker holds the session).
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import sqlite3
import subprocess
import time
import unittest

from e2e_support import (EXIT_FAILED, EXIT_OK, EXIT_USAGE, EXIT_WAITING, E2ETestCase, Proc, ask_tool, clean_env,
                         definition, effect_tool, sleep_tool)

SECRET_KEY = "sk-proj-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2"
SECRET_PASSWORD = "hunter2-very-secret"


def plain_env() -> dict:
    """The environment of every agentrt the tests start: no AGENTRT_* settings from outside."""
    return clean_env()


class InspectTestCase(E2ETestCase):
    def setUp(self) -> None:
        super().setUp()
        self.llm = self.start_llm()

    # -- helpers ---------------------------------------------------------------------------
    def agent(self, tools_url: str | None = None, *, tool_timeout: str = "60s", retries: int = 0,
              extra_tools: list | None = None) -> str:
        tools = [effect_tool(tools_url, timeout=tool_timeout, retries=retries)] if tools_url else []
        tools += extra_tools or []
        return self.write_definition(definition(llm_url=self.llm.base_url, tools=tools))

    def inspect(self, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
        return subprocess.run([self.bin, "inspect", *args, "--db", self.db], capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL, env=plain_env())

    def inspect_json(self, *args: str):
        done = self.inspect(*args, "--json")
        self.assertEqual(done.returncode, 0, f"inspect {args} failed:\n{done.stderr}")
        return json.loads(done.stdout)

    def stuck(self, *args: str) -> dict[str, dict]:
        return {row["session"]: row for row in self.inspect_json("--stuck", *args)}

    def start_run(self, agent: str, message: str) -> tuple[Proc, str]:
        """Starts `agentrt run` and waits for its session line."""
        proc = self.spawn("run", agent, "--message", message, "--json")
        line = proc.wait_for_line(lambda ln: ln.get("kind") == "session", timeout=30)
        if line is None:
            self.fail("no session line\n" + proc.finish(5).describe())
        self.addCleanup(lambda: proc.kill9() if proc.popen.poll() is None else None)
        return proc, line["session"]

    def wait_for_event(self, proc: Proc, type_: str, timeout: float = 30) -> dict:
        line = proc.wait_for_line(lambda ln: ln.get("type") == type_, timeout=timeout)
        if line is None:
            self.fail(f"no {type_} event line\n" + proc.finish(5).describe())
        return line

    def apply_fix(self, fix: str) -> subprocess.CompletedProcess:
        """Runs the fix command inspect printed, word for word (with this build's binary)."""
        argv = shlex.split(fix)
        self.assertEqual(argv[0], "agentrt", fix)
        # stdin is /dev/null: `run` on a terminal would otherwise wait for more messages.
        return subprocess.run([self.bin, *argv[1:], "--json"], capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL, cwd=str(self.dir), env=plain_env())

    def checkpoint_and_tool_request_seqs(self, session: str) -> tuple[int, int]:
        """The seq of the session's checkpoint and of its (one) ToolRequested; 0 when absent."""
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10)
        try:
            checkpoint = con.execute("SELECT seq FROM checkpoints WHERE session_id = ?", (session,)).fetchone()
            requested = con.execute("SELECT seq FROM events WHERE session_id = ? AND type = 'ToolRequested'",
                                    (session,)).fetchone()
        finally:
            con.close()
        return (checkpoint[0] if checkpoint else 0, requested[0] if requested else 0)

    def enqueue_behind_agentrts_back(self, session: str, message_id: str, text: str, age_s: float = 0.0) -> None:
        """An inbox row written by another process with no runner to drain it."""
        con = sqlite3.connect(self.db, timeout=10)
        try:
            with con:
                con.execute("INSERT INTO inbox(session_id, message_id, text, enqueued_ms, consumed_seq) "
                            "VALUES (?, ?, ?, ?, NULL)", (session, message_id, text, int((time.time() - age_s) * 1000)))
        finally:
            con.close()


class StuckDiagnosisTest(InspectTestCase):
    def test_killed_mid_tool_call_is_owner_gone_and_the_fix_resumes_it(self) -> None:
        tools = self.start_tools(delay=lambda req: 30.0 if len(tools.snapshot()) <= 1 else 0.0)
        proc, session = self.start_run(self.agent(tools.base_url), "effects 1 par 1")
        self.wait_for_event(proc, "ToolRequested")
        pid = proc.popen.pid
        proc.kill9()
        proc.finish(10)

        report = self.inspect_json(session)
        self.assertEqual(report["session"]["status"], "running")
        self.assertEqual(report["lease"]["owner"], f"run:{socket.gethostname()}:{pid}")
        self.assertFalse(report["lease"]["owner_alive"])
        self.assertEqual(report["lease"]["owner_state"], "gone")
        self.assertFalse(report["lease"]["expired"], "seen as gone before the lease expires")
        [call] = report["why"]["tools_in_flight"]
        self.assertEqual(call["name"], "effect")
        self.assertGreater(call["elapsed_ms"], 0)

        rows = self.stuck()
        self.assertIn(session, rows, rows)
        row = rows[session]
        self.assertEqual(row["kind"], "owner_gone")
        self.assertIn(f"process {pid} no longer exists", row["diagnosis"])
        self.assertEqual(row["fix"], f"agentrt run --session {session} --db {self.db}")
        text = self.inspect("--stuck")
        self.assertEqual(text.returncode, 0, text.stderr)
        self.assertIn(f"{session}  running  owner_gone:", text.stdout)
        self.assertIn(f"fix: agentrt run --session {session}", text.stdout)

        fixed = self.apply_fix(row["fix"])
        self.assertEqual(fixed.returncode, EXIT_OK, fixed.stderr)
        self.assertNotIn(session, self.stuck())
        self.assertEqual(self.inspect_json(session)["session"]["status"], "idle")

    def test_wedged_owner_past_the_tool_budget_is_tool_timeout(self) -> None:
        tools = self.start_tools(delay=30.0)
        proc, session = self.start_run(self.agent(tools.base_url, tool_timeout="1s", retries=0), "effects 1 par 1")
        self.wait_for_event(proc, "ToolRequested")
        # SIGSTOP: the process is alive (kill(pid, 0) answers) but runs nothing: wedged.
        os.kill(proc.popen.pid, signal.SIGSTOP)
        self.addCleanup(lambda: proc.popen.poll() is None and os.kill(proc.popen.pid, signal.SIGCONT))
        self.assertNotIn(session, self.stuck("--grace", "500ms"), "within its 1s budget")
        time.sleep(1.8)
        rows = self.stuck("--grace", "500ms")
        self.assertIn(session, rows)
        row = rows[session]
        self.assertEqual(row["kind"], "tool_timeout", row)
        self.assertIn("past its budget of 1.0s (timeout 1.0s x 1 attempts + backoff)", row["diagnosis"])
        self.assertIn(f"run:{socket.gethostname()}:{proc.popen.pid}", row["diagnosis"])
        self.assertEqual(row["fix"], f"agentrt run --session {session} --db {self.db}")
        self.assertIn(f"agentrt session terminate {session} --reason", row["alternative"])
        report = self.inspect_json(session, "--grace", "500ms")
        self.assertTrue(report["lease"]["owner_alive"])
        self.assertEqual(report["stuck"]["kind"], "tool_timeout")
        self.assertIsNone(self.inspect_json(session)["stuck"], "the default grace is 5s")
        # With the default 5s grace it is not stuck yet.
        self.assertNotIn(session, self.stuck())
        proc.kill9()
        proc.finish(10)

    def test_tool_budget_is_the_patched_one_and_judged_from_the_checkpoint(self) -> None:
        """A patch shortens the tool's timeout: the new session carries its Marker, so both the
        runtime and --stuck use 1s, not the base 60s. checkpoint_every 2 puts the ToolRequested
        behind a checkpoint, so --stuck folds checkpoint + tail and reads that one event by seq."""
        tools = self.start_tools(delay=30.0)
        doc = definition(llm_url=self.llm.base_url, tools=[effect_tool(tools.base_url, timeout="60s", retries=0)],
                         policies={"checkpoint_every": 2})
        doc["patches"] = [{"id": "short-effect", "tools": {"effect": {"timeout": "1s"}}}]
        proc, session = self.start_run(self.write_definition(doc), "effects 1 par 1")
        self.wait_for_event(proc, "ToolRequested")
        # The checkpoint is written right after the batch with the ToolRequested is committed.
        deadline = time.monotonic() + 10
        while True:
            checkpoint_seq, requested_seq = self.checkpoint_and_tool_request_seqs(session)
            if checkpoint_seq >= requested_seq > 0 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertGreaterEqual(checkpoint_seq, requested_seq, "the ToolRequested is behind the checkpoint")
        os.kill(proc.popen.pid, signal.SIGSTOP)
        self.addCleanup(lambda: proc.popen.poll() is None and os.kill(proc.popen.pid, signal.SIGCONT))
        time.sleep(1.8)
        rows = self.stuck("--grace", "500ms")
        self.assertIn(session, rows)
        self.assertEqual(rows[session]["kind"], "tool_timeout", rows[session])
        self.assertIn("past its budget of 1.0s (timeout 1.0s x 1 attempts + backoff)", rows[session]["diagnosis"])
        [call] = self.inspect_json(session, "--grace", "500ms")["why"]["tools_in_flight"]
        self.assertEqual(call["timeout_ms"], 1000)
        proc.kill9()
        proc.finish(10)

    def test_message_nobody_drains_is_inbox_not_drained(self) -> None:
        agent = self.agent(extra_tools=[ask_tool()])
        waiting = self.run_agent(agent, "ask")
        self.assertExit(waiting, EXIT_WAITING)
        session = waiting.session
        idle = self.run_agent(agent, "hello")
        self.assertExit(idle, EXIT_OK)
        self.assertEqual(self.stuck("--inbox-older-than", "1s"), {}, "nothing pending yet")

        self.enqueue_behind_agentrts_back(session, "m-late", "Ada")
        self.enqueue_behind_agentrts_back(idle.session, "m-idle", "hello again", age_s=120)
        rows = self.stuck("--inbox-older-than", "1s")
        self.assertEqual(set(rows), {idle.session}, "the fresh message is not late yet")
        self.assertEqual(rows[idle.session]["kind"], "inbox_not_drained")
        self.assertEqual(rows[idle.session]["status"], "idle")
        time.sleep(1.3)
        rows = self.stuck("--inbox-older-than", "1s")
        self.assertEqual(set(rows), {session, idle.session})
        row = rows[session]
        self.assertEqual(row["kind"], "inbox_not_drained")
        self.assertEqual(row["status"], "waiting_for_input")
        self.assertIn("1 message not drained from the inbox; oldest (m-late)", row["diagnosis"])
        report = self.inspect_json(session)
        self.assertEqual(report["inbox"]["pending"], 1)
        self.assertEqual(report["inbox"]["messages"][0]["message_id"], "m-late")
        self.assertEqual(report["why"]["waiting_for"]["tool"], "ask_human")

        fixed = self.apply_fix(row["fix"])
        self.assertEqual(fixed.returncode, EXIT_OK, fixed.stderr)
        self.assertEqual(self.history(session)[-2]["data"].get("text"), "you said: Ada")
        self.assertNotIn(session, self.stuck("--inbox-older-than", "1s"))

    def test_timer_nobody_fires_is_timer_overdue(self) -> None:
        proc, session = self.start_run(self.agent(extra_tools=[sleep_tool()]), "sleep 3")
        self.wait_for_event(proc, "TimerStarted")
        proc.kill9()
        proc.finish(10)
        report = self.inspect_json(session)
        self.assertEqual(report["session"]["status"], "sleeping")
        [timer] = report["why"]["timers"]
        self.assertIn("asleep until", report["why"]["summary"])
        self.assertNotIn(session, self.stuck("--grace", "500ms"), "not due yet, or within the grace")

        time.sleep(max(0.0, timer["due_ms"] / 1000 + 0.7 - time.time()))
        rows = self.stuck("--grace", "500ms")
        self.assertIn(session, rows)
        row = rows[session]
        self.assertEqual(row["kind"], "timer_overdue")
        self.assertIn("is overdue by", row["diagnosis"])
        self.assertIn("no longer exists", row["diagnosis"])
        fixed = self.apply_fix(row["fix"])
        self.assertEqual(fixed.returncode, EXIT_OK, fixed.stderr)
        self.assertNotIn(session, self.stuck("--grace", "500ms"))
        self.assertEqual(self.history(session)[-2]["data"].get("text"), "slept 3")


class SessionReportTest(InspectTestCase):
    def test_report_shows_why_lease_timeline_and_redacts_secrets(self) -> None:
        tools = self.start_tools(delay=0.2)
        agent = self.agent(tools.base_url)
        run = self.run_agent(agent, "effects 2 par 2")
        self.assertExit(run, EXIT_OK)
        session = run.session
        secret_turn = self.resume(session, f"my password={SECRET_PASSWORD} and key {SECRET_KEY}")
        self.assertExit(secret_turn, EXIT_OK)

        report = self.inspect_json(session)
        self.assertEqual(report["format"], "agentrt.inspect/1")
        self.assertEqual(report["session"]["id"], session)
        self.assertEqual(report["session"]["status"], "idle")
        self.assertEqual(report["definition"]["name"], "e2e-agent")
        self.assertEqual(report["definition"]["version"], 1)
        self.assertNotIn("trace_id", report, "no trace recorded by run")
        self.assertIsNone(report["stuck"])
        self.assertIsNone(report["history_problem"])
        self.assertIsNone(report["lease"]["owner"], "run released its lease")
        self.assertGreater(report["tokens"]["in"], 0)
        events = self.history(session)
        self.assertEqual([e["seq"] for e in report["timeline"]], [e["seq"] for e in events])
        completed = [e for e in report["timeline"] if e["type"] == "ToolCompleted"]
        self.assertEqual(len(completed), 2)
        for e in completed:
            self.assertGreaterEqual(e["duration_ms"], 150, e)
            self.assertIn("effect call_", e["summary"])
        llm = [e for e in report["timeline"] if e["type"] == "LlmCompleted"][0]
        self.assertIn("tokens", llm["summary"])
        self.assertIsInstance(llm["duration_ms"], int)

        text = self.inspect(session)
        self.assertEqual(text.returncode, 0, text.stderr)
        for expected in (f"session:    {session}", "status:     idle since", "why:        idle since",
                         "lease:      free", "definition: e2e-agent v1", "ToolCompleted", "timeline:"):
            self.assertIn(expected, text.stdout)
        for shown in (text.stdout, json.dumps(report)):
            self.assertNotIn(SECRET_PASSWORD, shown)
            self.assertNotIn(SECRET_KEY, shown)
            self.assertIn("[redacted]", shown)
        # The secrets really are in the history: inspect hid them.
        self.assertIn(SECRET_KEY, json.dumps(events))

    def test_follow_streams_events_while_run_writes_and_stops_when_quiescent(self) -> None:
        tools = self.start_tools(delay=0.4)
        proc, session = self.start_run(self.agent(tools.base_url), "effects 4 par 1")
        follow = Proc([self.bin, "inspect", session, "--follow", "--json", "--db", self.db],
                      plain_env(), str(self.dir))
        self.addCleanup(follow.kill9)
        # Meanwhile other readers come and go: none of them blocks the writer.
        for _ in range(5):
            self.assertEqual(self.inspect("--stuck").returncode, 0)
            self.assertEqual(self.inspect("sessions").returncode, 0)
        run = proc.finish(60)
        self.assertEqual(run.code, EXIT_OK, run.describe())
        followed = follow.finish(15)
        self.assertEqual(followed.code, EXIT_OK, followed.describe())
        lines = followed.lines
        self.assertEqual(lines[0]["kind"], "report", lines[0])
        self.assertEqual(lines[-1]["kind"], "end", lines[-1])
        self.assertEqual(lines[-1]["reason"], "quiescent")
        self.assertEqual(lines[-1]["status"], "idle")
        streamed = [ln for ln in lines if ln["kind"] == "event"]
        self.assertTrue(streamed, "events appended after the report were streamed")
        seen = [e["seq"] for e in lines[0]["timeline"]] + [e["seq"] for e in streamed]
        history = self.history(session)
        self.assertEqual(seen, [e["seq"] for e in history], "every event exactly once, in order")
        self.assertEqual(lines[-1]["last_seq"], len(history))
        self.assertLess(followed.elapsed - run.elapsed, 10, "follow stops soon after the run")

    def test_follow_text_ends_at_once_on_a_finished_session_and_on_sigint(self) -> None:
        run = self.run_agent(self.agent(), "hello")
        self.assertExit(run, EXIT_OK)
        done = self.inspect(run.session, "--follow", timeout=10)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("-- quiescent: idle since", done.stdout)

        proc, session = self.start_run(self.agent(extra_tools=[sleep_tool()]), "sleep 30")
        self.wait_for_event(proc, "TimerStarted")
        follow = Proc([self.bin, "inspect", session, "--follow", "--db", self.db],
                      plain_env(), str(self.dir))
        deadline = time.monotonic() + 20
        while not any("TimerStarted" in line for line in follow.out_lines) and time.monotonic() < deadline:
            time.sleep(0.05)  # the report is printed; Ctrl-C is handled from then on
        time.sleep(0.6)
        self.assertIsNone(follow.popen.poll(), "a live owner is sleeping: follow keeps following")
        follow.popen.send_signal(signal.SIGINT)
        ended = follow.finish(10)
        self.assertEqual(ended.code, 0, ended.describe())
        self.assertIn("-- interrupted: asleep until", ended.stdout)
        proc.kill9()
        proc.finish(10)


class SessionListTest(InspectTestCase):
    def test_list_is_newest_first_with_filters(self) -> None:
        agent = self.agent(extra_tools=[ask_tool()])
        first = self.run_agent(agent, "hello")
        second = self.run_agent(agent, "ask", "--org", "other")
        third = self.run_agent(agent, "hi again")
        self.assertExit(second, EXIT_WAITING)

        rows = self.inspect_json("sessions")
        self.assertEqual([r["id"] for r in rows], [third.session, second.session, first.session])
        row = rows[1]
        self.assertEqual((row["org"], row["bot"], row["status"]), ("other", "e2e-agent", "waiting_for_input"))
        self.assertEqual(row["last_event"]["type"], "InputRequested")
        self.assertEqual(row["definition"]["name"], "e2e-agent")
        self.assertEqual(row["definition"]["version"], 1)
        self.assertEqual([r["id"] for r in self.inspect_json("sessions", "--limit", "1")], [third.session])
        self.assertEqual([r["id"] for r in self.inspect_json("sessions", "--org", "other")], [second.session])
        self.assertEqual([r["id"] for r in self.inspect_json("sessions", "--status", "idle")],
                         [third.session, first.session])
        self.assertEqual(self.inspect_json("sessions", "--waiting-longer-than", "1h"), [])
        time.sleep(1.1)
        self.assertEqual([r["id"] for r in self.inspect_json("sessions", "--waiting-longer-than", "1s")],
                         [second.session])
        self.assertEqual([r["id"] for r in self.inspect_json("sessions", "--status", "idle",
                                                               "--waiting-longer-than", "1s")],
                         [third.session, first.session])
        table = self.inspect("sessions")
        self.assertEqual(table.returncode, 0, table.stderr)
        lines = table.stdout.splitlines()
        self.assertTrue(lines[0].startswith("ID"), table.stdout)
        for header in ("ORG", "BOT", "STATUS", "SINCE", "LAST EVENT", "DEFINITION"):
            self.assertIn(header, lines[0])
        self.assertIn("waiting_for_input", lines[2])
        self.assertIn("e2e-agent@1", lines[2])


class BadInputTest(InspectTestCase):
    def test_unknown_session_is_a_usage_error(self) -> None:
        self.assertExit(self.run_agent(self.agent(), "hello"), EXIT_OK)
        done = self.inspect("s-does-not-exist")
        self.assertEqual(done.returncode, EXIT_USAGE, done.stderr)
        self.assertIn("no session s-does-not-exist in", done.stderr)
        self.assertEqual(done.stdout, "")

    def test_missing_and_corrupt_databases_fail_clearly(self) -> None:
        done = self.inspect("sessions")
        self.assertEqual(done.returncode, EXIT_FAILED, done.stderr)
        self.assertIn(f"database {self.db} does not exist", done.stderr)
        self.assertFalse(os.path.exists(self.db), "inspect never creates a database")

        with open(self.db, "wb") as f:
            f.write(b"this is not a database at all, just text " * 100)
        for args in (["sessions"], ["--stuck"], ["s-1"]):
            done = self.inspect(*args)
            self.assertEqual(done.returncode, EXIT_FAILED, f"{args}: {done.stderr}")
            self.assertIn("is corrupt or not an agentrt database", done.stderr)

    def test_bad_flags_are_usage_errors_before_opening_anything(self) -> None:
        for args, message in ((["--stuck", "s-1"], "give no SESSION"),
                              ([], "give `sessions`, a SESSION id or --stuck"),
                              (["sessions", "--follow"], "--follow follows one SESSION"),
                              (["sessions", "--status", "bogus"], "--status \"bogus\""),
                              (["sessions", "--waiting-longer-than", "soon"], "--waiting-longer-than \"soon\""),
                              (["sessions", "--limit", "0"], "--limit must be at least 1"),
                              (["s-1", "--org", "x"], "--org, --bot and --limit filter"),
                              (["--stuck", "--status", "idle"], "--status and --waiting-longer-than filter")):
            done = self.inspect(*args)
            self.assertEqual(done.returncode, EXIT_USAGE, f"{args}: {done.stderr}")
            self.assertIn(message, done.stderr, args)

    def test_inspect_never_writes(self) -> None:
        self.assertExit(self.run_agent(self.agent(), "hello"), EXIT_OK)
        os.chmod(self.db, 0o444)
        self.addCleanup(os.chmod, self.db, 0o644)
        before = os.stat(self.db).st_mtime_ns
        for args in (["sessions"], ["--stuck"], [self.session_of_db()]):
            done = self.inspect(*args)
            self.assertEqual(done.returncode, 0, f"{args}: {done.stderr}")
        self.assertEqual(os.stat(self.db).st_mtime_ns, before)

    def session_of_db(self) -> str:
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            return con.execute("SELECT id FROM sessions").fetchone()[0]
        finally:
            con.close()


if __name__ == "__main__":
    unittest.main()
