"""THE CRASH TEST: many sessions doing tool calls (some in parallel), the process killed with
SIGKILL at random moments (mid-LLM-call, mid-tool-call, between steps), each session resumed
with `run --session ID --message TEXT --message-id ID` (the message re-sent under the same id, as
a careful client does, since a kill may land before it was stored) until its turn completes.
Afterwards:

- every session ends with its answer, and its history is valid (seqs 1..N without gaps, every
  ToolRequested has exactly one ToolCompleted/ToolFailed, the turn ends with OutputEmitted +
  TurnCompleted, one MessageReceived, exactly the tool calls the model asked for);
- the tool server applied exactly one effect per ToolRequested event (the distinct keys it saw
  are the ToolRequested keys, no key outside the histories);
- no request for a key arrived after that key's ToolCompleted/ToolFailed was recorded.

The kill schedule comes from a seeded random generator; the seed is printed. Reproduce a run
with AGENTRT_E2E_SEED=<seed>. Bounded: at most MAX_KILLS kills and about BUDGET_S seconds of
killing; after that every session runs to completion undisturbed.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import sys
import time
import unittest
import zlib
from collections import Counter

from e2e_support import EXIT_OK, E2ETestCase, Proc, definition, effect_tool, effects_turn_problems, tool_effect_problems

SESSIONS = int(os.environ.get("AGENTRT_E2E_CRASH_SESSIONS", "20"))
MAX_KILLS = 60
MAX_KILLS_PER_SESSION = 6
BUDGET_S = 75.0
LLM_DELAY_S = 0.08   # mid-stream pause in every LLM reply
TOOL_DELAY_S = 0.12  # pause after the effect is applied, before the answer


def plan(i: int) -> tuple[int, int, str]:
    """(calls, calls per reply, tag) of logical session i."""
    n = 2 + i % 3
    par = 1 + i % 2
    return n, par, f"#s{i:02d}#"


def find_session_by_tag(db: str, tag: str) -> list[str]:
    if not os.path.exists(db):
        return []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        rows = con.execute("SELECT DISTINCT session_id FROM events WHERE type = 'MessageReceived' AND data LIKE ?",
                           (f"%{tag}%",)).fetchall()
    except sqlite3.OperationalError:  # killed before the schema existed
        return []
    finally:
        con.close()
    return [r[0] for r in rows]


class CrashTest(E2ETestCase):
    def test_kill_anywhere_then_resume_never_loses_or_repeats_a_step(self) -> None:
        seed = int(os.environ.get("AGENTRT_E2E_SEED") or time.time_ns() % 1_000_000)
        print(f"\n[crash] seed {seed} (reproduce with AGENTRT_E2E_SEED={seed})", file=sys.stderr, flush=True)
        rng = random.Random(seed)
        self.llm = self.start_llm(reply_delay=LLM_DELAY_S)
        # One key in four fails once with 503 first, so retries happen among the kills.
        self.tools = self.start_tools(delay=TOOL_DELAY_S, fail_first=lambda key: int(zlib.crc32(key.encode()) % 4 == 0))
        agent = self.write_definition(definition(llm_url=self.llm.base_url,
                                                 tools=[effect_tool(self.tools.base_url, retries=4)]))

        kills: list[tuple[str, str, str]] = []  # (tag, mode, phase)
        sessions: dict[str, str] = {}           # tag -> session id
        t0 = time.monotonic()
        for i in range(SESSIONS):
            n, par, tag = plan(i)
            message = f"effects {n} par {par} {tag}"
            session: str | None = None
            session_kills = 0
            for attempt in range(1, 40):
                if session is None:
                    found = find_session_by_tag(self.db, tag)
                    self.assertLessEqual(len(found), 1, f"{tag}: several sessions {found}")
                    session = found[0] if found else None
                if session is not None and self.turn_completed(session):
                    break
                # The message goes with every attempt under one --message-id: a crash may land
                # before it was stored, and a stored one is dropped as a duplicate.
                send = ["--message", message, "--message-id", f"m{i:02d}", "--json"]
                args = ["run", agent, *send] if session is None else ["run", "--session", session, *send]
                proc = self.spawn(*args)
                may_kill = len(kills) < MAX_KILLS and session_kills < MAX_KILLS_PER_SESSION \
                    and time.monotonic() - t0 < BUDGET_S
                mode = rng.choice(["time", "mid_llm", "mid_tool", "after_event"]) if may_kill else "none"
                phase = self.maybe_kill(proc, mode, rng)
                result = proc.finish(60)
                session = session or result.session
                if phase is not None and result.code == -9:
                    kills.append((tag, mode, phase))
                    session_kills += 1
                    continue
                self.assertEqual(result.code, EXIT_OK, f"{tag} attempt {attempt} ({mode})\n{result.describe()}")
                self.assertEqual((result.result or {}).get("status"), "idle", result.describe())
                break
            else:
                self.fail(f"{tag}: the turn did not complete after many attempts")
            self.assertIsNotNone(session, tag)
            sessions[tag] = session

        elapsed = time.monotonic() - t0
        phases = Counter(p for _, _, p in kills)
        print(f"[crash] {SESSIONS} sessions, {len(kills)} kills in {elapsed:.1f}s: {dict(phases)}; "
              f"modes {dict(Counter(m for _, m, _ in kills))}", file=sys.stderr, flush=True)
        self.check_outcome(sessions)
        self.assertGreater(len(kills), SESSIONS, "the schedule killed the process often enough")
        for phase in ("mid-LLM", "mid-tool", "between"):
            self.assertGreater(phases[phase], 0, f"no kill landed {phase} (seed {seed})")

    # -- the kill schedule ---------------------------------------------------------------------
    def maybe_kill(self, proc: Proc, mode: str, rng: random.Random) -> str | None:
        """Kills proc at a moment chosen by `mode`; returns where the kill landed, or None when
        the process ended first (or mode is none)."""
        if mode == "none":
            return None
        if mode == "time":
            time.sleep(rng.uniform(0.0, 0.7))
        elif mode in ("mid_llm", "mid_tool"):
            server = self.llm if mode == "mid_llm" else self.tools
            pause = rng.uniform(0.0, LLM_DELAY_S if mode == "mid_llm" else TOOL_DELAY_S)
            deadline = time.monotonic() + 10
            while server.in_flight == 0 and proc.popen.poll() is None and time.monotonic() < deadline:
                time.sleep(0.002)
            time.sleep(pause)
        elif mode == "after_event":
            k = rng.randint(1, 14)
            count = [0]

            def kth_event(line: dict) -> bool:
                if line.get("kind") == "event":
                    count[0] += 1
                return count[0] >= k

            proc.wait_for_line(kth_event, timeout=10)
        if proc.popen.poll() is not None:
            return None
        phase = "mid-LLM" if self.llm.in_flight else "mid-tool" if self.tools.in_flight else "between"
        proc.kill9()
        proc.popen.wait()
        return phase

    def turn_completed(self, session: str) -> bool:
        events = self.history(session)
        return bool(events) and events[-1]["type"] == "TurnCompleted"

    # -- the verdict -------------------------------------------------------------------------------
    def check_outcome(self, sessions: dict[str, str]) -> None:
        # A kill between creating a session and printing its id leaves a session the client never
        # learned of: it may hold SessionStarted and nothing else.
        adopted = set(sessions.values())
        self.assertLessEqual(adopted, set(self.all_sessions()))
        for orphan in set(self.all_sessions()) - adopted:
            types = [e["type"] for e in self.history(orphan)]
            self.assertEqual(types, ["SessionStarted"], f"session {orphan}, unknown to the client, did work")
        self.assertEqual(self.llm.protocol_errors, [])
        requests = self.tools.snapshot()
        all_keys: set[str] = set()
        failures: list[str] = []
        for i in range(SESSIONS):
            n, _, tag = plan(i)
            session = sessions[tag]
            events = self.history(session)
            dump = "\n".join(f"    {e['seq']} {e['time_ms']} {e['type']} {json.dumps(e['data'])[:160]}" for e in events)
            problems = effects_turn_problems(events, n)
            requested = [e["seq"] for e in events if e["type"] == "ToolRequested"]
            keys = {f"{session}:{seq}" for seq in requested}
            all_keys |= keys
            problems += tool_effect_problems(session, events, requests, self.tools.effect_keys())
            if problems:
                failures.append(f"{tag} session {session}:\n  " + "\n  ".join(problems) + "\n" + dump)
        stray = {r.key for r in requests} - all_keys
        if stray:
            failures.append(f"tool requests with keys outside every history: {sorted(map(str, stray))}")
        if failures:
            self.fail("\n".join(failures))

    def all_sessions(self) -> list[str]:
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            return [r[0] for r in con.execute("SELECT id FROM sessions")]
        finally:
            con.close()


if __name__ == "__main__":
    unittest.main()
