"""Shared helpers of the end-to-end tests: running the agentrt binary, writing definitions,
reading a session's history from its SQLite file, and checking that history is valid.

The binary is $AGENTRT_BIN (ctest sets it), else build-e2e/cli/agentrt in the source tree.
Set AGENTRT_E2E_KEEP=1 to keep each test's temp folder (its path is printed).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fake_llm import FakeLlm
from tool_server import ToolServer

SOURCE_DIR = Path(os.environ.get("AGENTRT_SOURCE_DIR") or Path(__file__).resolve().parents[2])
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_WAITING = 0, 1, 2, 3


def agentrt_bin() -> str:
    explicit = os.environ.get("AGENTRT_BIN")
    path = Path(explicit) if explicit else SOURCE_DIR / "build-e2e" / "cli" / "agentrt"
    if not path.is_file():
        if explicit:
            raise AssertionError(f"AGENTRT_BIN={explicit} does not exist")
        raise unittest.SkipTest(f"agentrt binary not built ({path}); set AGENTRT_BIN")
    return str(path)


# -- definitions ----------------------------------------------------------------------------

def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return json.dumps(str(value))  # a JSON string is a valid YAML double-quoted scalar


def to_yaml(value: Any, indent: int = 0) -> str:
    """Block-style YAML; JSON schemas (key `parameters`) are written in flow style, as JSON."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "parameters" or not isinstance(v, (dict, list)) or not v:
                flow = json.dumps(v) if isinstance(v, (dict, list)) else _scalar(v)
                lines.append(f"{pad}{k}: {flow}")
            else:
                lines.append(f"{pad}{k}:")
                lines.append(to_yaml(v, indent + 2))
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item:
                body = to_yaml(item, indent + 2).split("\n")
                lines.append(f"{pad}- {body[0].lstrip()}")
                lines.extend(body[1:])
            else:
                lines.append(f"{pad}- {json.dumps(item) if isinstance(item, (dict, list)) else _scalar(item)}")
    else:
        lines.append(pad + _scalar(value))
    return "\n".join(lines)


EFFECT_PARAMETERS = {"type": "object", "properties": {"n": {"type": "integer", "minimum": 1}},
                     "required": ["n"], "additionalProperties": False}


def effect_tool(tool_url: str, *, retries: int = 3, timeout: str = "5s", requires_approval: bool = False) -> dict:
    tool = {"name": "effect", "description": "Applies one numbered side effect.",
            "parameters": EFFECT_PARAMETERS,
            "http": {"method": "POST", "url": f"{tool_url}/effect", "timeout": timeout, "retries": retries}}
    if requires_approval:
        tool["requires_approval"] = True
    return tool


def ask_tool() -> dict:
    return {"name": "ask_human", "description": "Asks the user a question.", "builtin": "ask_human"}


def sleep_tool() -> dict:
    return {"name": "sleep", "description": "Waits durably.", "builtin": "sleep"}


def definition(*, llm_url: str | None = "http://127.0.0.1:9/v1", tools: list | None = None,
               policies: dict | None = None, approval: list | None = None, provider: str = "openai",
               script: str | None = None, api_key_env: str | None = "E2E_LLM_KEY", name: str = "e2e-agent",
               model_retry: dict | None = None) -> dict:
    model: dict = {"provider": provider, "name": "fake-model"}
    if model_retry:
        model["retry"] = model_retry
    if provider == "openai":
        if llm_url:
            model["base_url"] = llm_url
        if api_key_env:
            model["api_key_env"] = api_key_env
    if script:
        model["script"] = script
    doc: dict = {"name": name, "version": 1, "model": model,
                 "system": "You are the end-to-end test agent. Follow the directive in the user's message."}
    doc["tools"] = tools or []
    doc["policies"] = policies or {"max_steps_per_turn": 40, "turn_timeout": "60s"}
    if approval:
        doc["approval"] = approval
    return doc


# -- running the binary -----------------------------------------------------------------------

@dataclass
class RunResult:
    args: list[str]
    code: int
    stdout: str
    stderr: str
    elapsed: float
    lines: list[dict] = field(default_factory=list)    # parsed --json lines
    bad_lines: list[str] = field(default_factory=list)  # --json lines that are not JSON objects

    @property
    def result(self) -> dict | None:
        return self.lines[-1] if self.lines and self.lines[-1].get("kind") == "result" else None

    @property
    def session(self) -> str | None:
        for line in self.lines:
            if line.get("kind") == "session":
                return line.get("session")
        for line in reversed(self.stdout.splitlines()):
            if line.startswith("session: "):
                return line[len("session: "):].strip()
        return None

    def events(self, type_: str | None = None) -> list[dict]:
        return [ln for ln in self.lines if ln.get("kind") == "event" and (type_ is None or ln.get("type") == type_)]

    def tokens(self) -> str:
        return "".join(ln.get("text", "") for ln in self.lines if ln.get("kind") == "token")

    def describe(self) -> str:
        return (f"$ {' '.join(self.args)}\nexit {self.code} after {self.elapsed:.2f}s\n"
                f"--- stdout (tail)\n{self.stdout[-3000:]}\n--- stderr (tail)\n{self.stderr[-3000:]}")


def parse_json_lines(stdout: str) -> tuple[list[dict], list[str]]:
    lines, bad = [], []
    for raw in stdout.splitlines():
        if not raw.strip():
            continue
        try:
            doc = json.loads(raw)
        except json.JSONDecodeError:
            bad.append(raw)
            continue
        (lines if isinstance(doc, dict) else bad).append(doc if isinstance(doc, dict) else raw)
    return lines, bad


def clean_env(extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTRT_") or k in ("AGENTRT_BIN",)}
    env.pop("E2E_LLM_KEY", None)
    env.update(extra or {})
    return env


class Proc:
    """A running agentrt process whose stdout lines are collected as they arrive."""

    def __init__(self, args: list[str], env: dict, cwd: str):
        self.args = args
        self.started = time.monotonic()
        # stdin is /dev/null: `run` without --message is interactive when stdin is a terminal.
        self.popen = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, env=env, cwd=cwd, text=True, bufsize=1)
        self.out_lines: list[str] = []
        self.err_chunks: list[str] = []
        self._line_event = threading.Condition()
        self._readers = [threading.Thread(target=self._read_out, daemon=True),
                         threading.Thread(target=self._read_err, daemon=True)]
        for t in self._readers:
            t.start()

    def _read_out(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            with self._line_event:
                self.out_lines.append(line.rstrip("\n"))
                self._line_event.notify_all()

    def _read_err(self) -> None:
        assert self.popen.stderr is not None
        for chunk in self.popen.stderr:
            self.err_chunks.append(chunk)

    def json_lines(self) -> list[dict]:
        with self._line_event:
            return parse_json_lines("\n".join(self.out_lines))[0]

    def wait_for_line(self, predicate, timeout: float) -> dict | None:
        """The first --json line satisfying predicate, waiting up to timeout; None if the process
        ended or time ran out first."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self._line_event:
            while True:
                lines = parse_json_lines("\n".join(self.out_lines[seen:]))[0]
                seen = len(self.out_lines)
                for ln in lines:
                    if predicate(ln):
                        return ln
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self.popen.poll() is not None and not self._readers[0].is_alive()):
                    return None
                self._line_event.wait(min(remaining, 0.05))

    def kill9(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)

    def finish(self, timeout: float) -> RunResult:
        try:
            code = self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill9()
            code = self.popen.wait()
            self.err_chunks.append(f"\n[e2e] killed after the {timeout}s timeout\n")
        for t in self._readers:
            t.join(timeout=5)
        for stream in (self.popen.stdout, self.popen.stderr):
            if stream is not None:
                stream.close()
        stdout = "\n".join(self.out_lines) + ("\n" if self.out_lines else "")
        lines, bad = parse_json_lines(stdout)
        return RunResult(self.args, code, stdout, "".join(self.err_chunks), time.monotonic() - self.started,
                         lines, bad if "--json" in self.args else [])


# -- history ------------------------------------------------------------------------------------

def read_history(db: str | Path, session: str) -> list[dict]:
    """Events of one session straight from the SQLite file: [{seq,type,time_ms,data}]."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        rows = con.execute("SELECT seq, type, time_ms, data FROM events WHERE session_id = ? ORDER BY seq",
                           (session,)).fetchall()
    finally:
        con.close()
    return [{"seq": s, "type": t, "time_ms": tm, "data": json.loads(d) if isinstance(d, (str, bytes)) else d}
            for s, t, tm, d in rows]


def session_ids(db: str | Path) -> list[str]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return [r[0] for r in con.execute("SELECT id FROM sessions")]
    finally:
        con.close()


def history_problems(events: list[dict]) -> list[str]:
    """Why this history is not valid: seqs 1..N without gaps, it starts with SessionStarted,
    every ToolRequested has exactly one ToolCompleted/ToolFailed after it and nothing else
    answers an unknown call."""
    problems = []
    seqs = [e["seq"] for e in events]
    if seqs != list(range(1, len(events) + 1)):
        problems.append(f"seqs are not 1..{len(events)} without gaps: {seqs}")
    if not events or events[0]["type"] != "SessionStarted":
        problems.append("the history does not start with SessionStarted")
    requested: dict[str, int] = {}
    answered: dict[str, list[int]] = {}
    for e in events:
        call_id = (e.get("data") or {}).get("call_id")
        if e["type"] == "ToolRequested":
            if call_id in requested:
                problems.append(f"call {call_id} requested twice (seq {requested[call_id]} and {e['seq']})")
            requested[call_id] = e["seq"]
        elif e["type"] in ("ToolCompleted", "ToolFailed"):
            if call_id not in requested:
                problems.append(f"seq {e['seq']} {e['type']} answers call {call_id} that was never requested")
            answered.setdefault(call_id, []).append(e["seq"])
    for call_id, seq in requested.items():
        n = len(answered.get(call_id, []))
        if n != 1:
            problems.append(f"call {call_id} (ToolRequested seq {seq}) has {n} ToolCompleted/ToolFailed events")
    return problems


def effects_turn_problems(events: list[dict], n: int) -> list[str]:
    """Why a history of one "effects N par P" turn is not exactly right: valid, one message and
    one completed turn answered "done N", and the calls the model asked for (n = 1..N)."""
    problems = history_problems(events) + turn_end_problems(events, f"done {n}")
    types = Counter(e["type"] for e in events)
    if types["MessageReceived"] != 1 or types["TurnCompleted"] != 1:
        problems.append(f"{types['MessageReceived']} MessageReceived, {types['TurnCompleted']} TurnCompleted")
    args = [json.loads(e["data"]["arguments"]) if isinstance(e["data"]["arguments"], str) else e["data"]["arguments"]
            for e in events if e["type"] == "ToolRequested"]
    if sorted(a.get("n", 0) for a in args) != list(range(1, n + 1)):
        problems.append(f"ToolRequested arguments {args}, expected n = 1..{n}")
    return problems


def tool_effect_problems(session: str, events: list[dict], requests: list, effect_keys: list[str]) -> list[str]:
    """Why the tool server's view of a session's calls is wrong: the keys it saw must be exactly
    the ToolRequested keys (<session>:<seq>), one effect applied per key, and no request for a
    key after that key's ToolCompleted/ToolFailed was recorded. `requests` and `effect_keys`
    come from ToolServer.snapshot() and ToolServer.effect_keys()."""
    problems = []
    requested = {e["seq"]: e for e in events if e["type"] == "ToolRequested"}
    keys = {f"{session}:{seq}" for seq in requested}
    seen = {r.key for r in requests if r.session == session}
    applied = [k for k in effect_keys if k.rsplit(":", 1)[0] == session]
    if seen != keys:
        problems.append(f"keys seen {sorted(seen)} != ToolRequested keys {sorted(keys)}")
    if sorted(applied) != sorted(keys):
        problems.append(f"effects applied for {sorted(applied)}, expected one per {sorted(keys)}")
    seq_of_call = {e["data"]["call_id"]: seq for seq, e in requested.items()}
    for e in events:
        if e["type"] in ("ToolCompleted", "ToolFailed") and e["data"].get("call_id") in seq_of_call:
            key = f"{session}:{seq_of_call[e['data']['call_id']]}"
            late = [r.arrived_ms for r in requests if r.key == key and r.arrived_ms > e["time_ms"]]
            if late:
                problems.append(f"{key}: requests at {late} after its {e['type']} at {e['time_ms']}")
    return problems


def turn_end_problems(events: list[dict], answer: str | None = None) -> list[str]:
    """Why the history does not end with a completed turn (OutputEmitted then TurnCompleted)."""
    types = [e["type"] for e in events]
    if types[-2:] != ["OutputEmitted", "TurnCompleted"]:
        return [f"the history ends with {types[-4:]}, not OutputEmitted + TurnCompleted"]
    text = events[-2]["data"].get("text")
    if answer is not None and text != answer:
        return [f"the answer is {text!r}, expected {answer!r}"]
    return []


# -- the base test case -----------------------------------------------------------------------

class E2ETestCase(unittest.TestCase):
    """A temp folder and database per test, servers stopped at the end, helpers to run agentrt."""

    run_timeout = 60.0

    def setUp(self) -> None:
        self.bin = agentrt_bin()
        self.dir = Path(tempfile.mkdtemp(prefix=f"agentrt-e2e-{self._testMethodName}-"))
        if os.environ.get("AGENTRT_E2E_KEEP"):
            print(f"\n[e2e] {self.id()} keeps {self.dir}")
        else:
            self.addCleanup(shutil.rmtree, self.dir, True)
        self.db = str(self.dir / "agentrt.db")

    def start_llm(self, **kwargs) -> FakeLlm:
        llm = FakeLlm(**kwargs).start()
        self.addCleanup(llm.stop)
        return llm

    def start_tools(self, **kwargs) -> ToolServer:
        tools = ToolServer(**kwargs).start()
        self.addCleanup(tools.stop)
        return tools

    def write_definition(self, doc: dict | str, name: str = "agent.yaml") -> str:
        path = self.dir / name
        path.write_text(doc if isinstance(doc, str) else to_yaml(doc) + "\n")
        return str(path)

    def spawn(self, *args: str, env: dict | None = None, db: bool = True) -> Proc:
        argv = [self.bin, *args] + (["--db", self.db] if db else [])
        return Proc(argv, clean_env(env), str(self.dir))

    def agentrt(self, *args: str, env: dict | None = None, db: bool = True, timeout: float | None = None) -> RunResult:
        return self.spawn(*args, env=env, db=db).finish(timeout or self.run_timeout)

    def run_agent(self, agent: str, message: str, *extra: str, env: dict | None = None,
                  timeout: float | None = None) -> RunResult:
        return self.agentrt("run", agent, "--message", message, "--json", *extra, env=env, timeout=timeout)

    def resume(self, session: str, message: str | None = None, *extra: str, env: dict | None = None,
               timeout: float | None = None) -> RunResult:
        args = ["run", "--session", session, "--json", *extra]
        if message is not None:
            args += ["--message", message]
        return self.agentrt(*args, env=env, timeout=timeout)

    def history(self, session: str) -> list[dict]:
        return read_history(self.db, session)

    # -- assertions ------------------------------------------------------------------------
    def assertExit(self, run: RunResult, code: int) -> None:  # noqa: N802 - unittest style
        self.assertEqual(run.code, code, f"unexpected exit status\n{run.describe()}")

    def assertJsonProtocol(self, run: RunResult, status: str, exit_code: int) -> str:  # noqa: N802
        """Checks the --json line protocol of a run; returns the session id."""
        self.assertEqual(run.bad_lines, [], f"stdout lines that are not JSON objects\n{run.describe()}")
        self.assertTrue(run.lines, f"no JSON lines\n{run.describe()}")
        first, last = run.lines[0], run.lines[-1]
        self.assertEqual(first.get("kind"), "session", f"first line {first}")
        for key in ("session", "org", "bot", "definition_hash"):
            self.assertIn(key, first, f"first line lacks {key}: {first}")
        session = first["session"]
        self.assertTrue(session)
        self.assertEqual(last.get("kind"), "result", f"last line {last}\n{run.describe()}")
        self.assertEqual((last.get("status"), last.get("exit_code")), (status, exit_code), f"{last}\n{run.describe()}")
        self.assertEqual(last.get("exit_code"), run.code)
        for ln in run.lines:
            self.assertIn(ln.get("kind"), ("session", "event", "token", "result"), ln)
            self.assertEqual(ln.get("session"), session, ln)
            if ln["kind"] == "event":
                for key in ("seq", "type", "time_ms", "data"):
                    self.assertIn(key, ln, f"event line lacks {key}: {ln}")
                self.assertIsInstance(ln["seq"], int)
                self.assertIsInstance(ln["data"], dict)
            if ln["kind"] == "token":
                self.assertIsInstance(ln.get("text"), str)
        seqs = [ln["seq"] for ln in run.events()]
        self.assertEqual(seqs, sorted(set(seqs)), "event lines are in seq order without repeats")
        return session

    def assertValidHistory(self, session: str, answer: str | None = None,  # noqa: N802
                           turn_completed: bool = True) -> list[dict]:
        events = self.history(session)
        problems = history_problems(events)
        if turn_completed:
            problems += turn_end_problems(events, answer)
        self.assertEqual(problems, [], "invalid history:\n" + "\n".join(
            f"  {e['seq']} {e['type']} {json.dumps(e['data'])[:200]}" for e in events))
        return events

    def assertIdempotencyKeys(self, session: str, tools: ToolServer) -> list[dict]:  # noqa: N802
        """Every tool request carries <session>:<seq of its ToolRequested>, one effect per call."""
        events = self.history(session)
        expected = {f"{session}:{e['seq']}" for e in events
                    if e["type"] == "ToolRequested" and e["data"].get("name") == "effect"}
        seen = {r.key for r in tools.snapshot() if r.session == session or r.key is None}
        self.assertEqual(seen, expected, "Idempotency-Key values seen by the tool server vs ToolRequested seqs")
        self.assertEqual(sorted(tools.effect_keys()), sorted(k for k in tools.effect_keys() if k in expected))
        return events
