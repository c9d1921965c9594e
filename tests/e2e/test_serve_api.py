"""`agentrt serve`: the HTTP API (docs/serve.md) against a real serve process, the config file
with its environment variables and flags, health probes and the SIGTERM drain.

One serve process (two orgs, their tokens in environment variables, a bot on the fake LLM with
ask_human and an approval-gated tool) answers most tests; the shutdown tests start their own.
Every bad request must get the documented status and error code and change nothing: that is
checked on the SQLite file itself, opened read-only (last_seq, epoch, lease, inbox rows).
Only Python's standard library talks to the server (http.client).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import tempfile
import time
import unittest
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from e2e_support import (EXIT_OK, EXIT_USAGE, E2ETestCase, Proc, agentrt_bin, ask_tool, clean_env, definition,
                         effect_tool, history_problems, read_history, to_yaml)
from fake_llm import FakeLlm
from tool_server import ToolServer

TOKENS = {"acme": "acme-e2e-token-0123456789", "globex": "globex-e2e-token-9876543210"}
TOKEN_ENV = {"E2E_ACME_TOKEN": TOKENS["acme"], "E2E_GLOBEX_TOKEN": TOKENS["globex"]}
MAX_BODY = 4096
WAIT_S = 20.0  # bound of every wait for the worker


# -- the client -------------------------------------------------------------------------------

@dataclass
class Reply:
    status: int
    doc: Any
    headers: dict

    @property
    def code(self) -> str | None:
        return ((self.doc or {}).get("error") or {}).get("code") if isinstance(self.doc, dict) else None

    def __str__(self) -> str:
        return f"HTTP {self.status} {json.dumps(self.doc)[:500]}"


def call(port: int, method: str, path: str, body: Any = None, *, org: str | None = "acme", token: str | None = None,
         raw: bytes | None = None, timeout: float = 30) -> Reply:
    """One request on its own connection. `org` picks the bearer token; `token` overrides it."""
    headers = {}
    bearer = token if token is not None else (TOKENS[org] if org else None)
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    if data is not None:
        headers["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        payload = resp.read()
        reply_headers = {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()
    try:
        doc = json.loads(payload) if payload else None
    except json.JSONDecodeError:
        doc = payload.decode(errors="replace")
    return Reply(resp.status, doc, reply_headers)


# -- the database, read-only --------------------------------------------------------------------

def db_query(db: str, sql: str, *args) -> list[tuple]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def snapshot(db: str, session: str) -> dict:
    """What a request that must change nothing could have changed about a session, read in one
    transaction (a consistent view while a worker writes)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10, isolation_level=None)
    try:
        con.execute("BEGIN")
        row = con.execute("SELECT status, last_seq, epoch, COALESCE(lease_owner, ''), updated_ms FROM sessions "
                          "WHERE id = ?", (session,)).fetchone()
        assert row, f"no session {session} in {db}"
        count = lambda sql: con.execute(sql, (session,)).fetchone()[0]  # noqa: E731
        snap = {"status": row[0], "last_seq": row[1], "epoch": row[2], "lease_owner": row[3], "updated_ms": row[4],
                "events": count("SELECT count(*) FROM events WHERE session_id = ?"),
                "inbox": count("SELECT count(*) FROM inbox WHERE session_id = ?"),
                "pending": count("SELECT count(*) FROM inbox WHERE session_id = ? AND consumed_seq IS NULL"),
                "checkpoint": count("SELECT COALESCE(MAX(seq), 0) FROM checkpoints WHERE session_id = ?")}
        con.execute("COMMIT")
        return snap
    finally:
        con.close()


def wait_until(predicate: Callable[[], Any], timeout: float = WAIT_S, step: float = 0.05) -> Any:
    """Polls a condition on the server's observable state (the database, the test servers)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(step)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- a serve process ----------------------------------------------------------------------------

def write_config(folder: Path, bots: dict[str, str], *, grace: str = "10s", listen: str = "127.0.0.1:0",
                 extra: dict | None = None) -> str:
    doc = {"listen": listen, "db": "agentrt.db",  # relative: resolved against this folder
           "lease": {"ttl": "4s", "heartbeat": "1s"},
           "dispatch": {"max_active_sessions": 8, "poll_interval": "50ms"},
           "shutdown": {"grace": grace},
           "http": {"max_body_bytes": MAX_BODY},
           "bots": bots,
           "orgs": {"acme": {"token_env": "E2E_ACME_TOKEN"}, "globex": {"token_env": "E2E_GLOBEX_TOKEN"}}}
    doc.update(extra or {})
    path = folder / "serve.yaml"
    path.write_text(to_yaml(doc) + "\n")
    return str(path)


class Serve:
    """`agentrt serve --config FILE`, started from another folder (the config's paths must not
    depend on the working folder); `port` is read from its {"kind":"listening"} line."""

    def __init__(self, config: str, *args: str, env: dict | None = None, cwd: str | None = None):
        self.proc = Proc([agentrt_bin(), "serve", "--config", config, *args], clean_env({**TOKEN_ENV, **(env or {})}),
                         cwd or tempfile.gettempdir())
        line = self.proc.wait_for_line(lambda ln: ln.get("kind") == "listening", timeout=30)
        if line is None:
            raise AssertionError("serve did not start\n" + self.proc.finish(5).describe())
        self.port: int = line["port"]
        self.worker: str = line["worker"]
        self.signalled_at = 0.0

    def call(self, method: str, path: str, body: Any = None, **kwargs) -> Reply:
        return call(self.port, method, path, body, **kwargs)

    def sigterm(self) -> None:
        self.signalled_at = time.monotonic()
        if self.proc.popen.poll() is None:
            self.proc.popen.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.proc.kill9()

    def stopped_line(self) -> dict | None:
        lines = [ln for ln in self.proc.json_lines() if ln.get("kind") == "stopped"]
        return lines[-1] if lines else None


def class_folder(cls, prefix: str) -> Path:
    """A temporary folder for a test class, removed after it unless AGENTRT_E2E_KEEP is set."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    if os.environ.get("AGENTRT_E2E_KEEP"):
        print(f"\n[e2e] {cls.__name__} keeps {folder}")
    else:
        cls.addClassCleanup(shutil.rmtree, folder, True)
    return folder


class ServeTestMixin:
    """Assertions shared by the API and the shutdown tests."""

    db: str

    def assertError(self, reply: Reply, status: int, code: str) -> None:  # noqa: N802
        self.assertEqual((reply.status, reply.code), (status, code), str(reply))
        self.assertIsInstance(reply.doc["error"].get("message"), str, str(reply))
        self.assertTrue(reply.doc["error"]["message"], str(reply))
        self.assertTrue(reply.headers.get("content-type", "").startswith("application/json"), reply.headers)

    def history_types(self, session: str) -> list[str]:
        return [e["type"] for e in read_history(self.db, session)]

    def settled(self, session: str, status: str = "idle", after_seq: int = 0) -> dict:
        """Waits until the session reached `status` past `after_seq`, its inbox is consumed and no
        worker holds it; returns its snapshot."""
        def done():
            snap = snapshot(self.db, session)
            ok = (snap["status"] == status and snap["last_seq"] > after_seq and not snap["pending"]
                  and not snap["lease_owner"])
            return snap if ok else None
        snap = wait_until(done)
        self.assertIsNotNone(snap, f"session {session} did not settle in {status}: {snapshot(self.db, session)}\n"
                                   + "\n".join(f"  {e['seq']} {e['type']} {json.dumps(e['data'])[:160]}"
                                               for e in read_history(self.db, session)))
        return snap


# -- the API ------------------------------------------------------------------------------------

class ServeApiTest(ServeTestMixin, unittest.TestCase):
    serve: Serve
    llm: FakeLlm
    tools: ToolServer

    @classmethod
    def setUpClass(cls) -> None:
        cls.dir = class_folder(cls, "agentrt-e2e-serve-api-")
        cls.db = str(cls.dir / "agentrt.db")
        cls.llm = FakeLlm().start()
        cls.addClassCleanup(cls.llm.stop)
        cls.tools = ToolServer().start()
        cls.addClassCleanup(cls.tools.stop)
        agent = definition(llm_url=cls.llm.base_url, api_key_env=None,
                           tools=[ask_tool(), effect_tool(cls.tools.base_url, requires_approval=True)])
        (cls.dir / "agents").mkdir()
        (cls.dir / "agents" / "helper.yaml").write_text(to_yaml(agent) + "\n")
        config = write_config(cls.dir, {"helper": "agents/helper.yaml"})
        cls.serve = Serve(config)
        cls.addClassCleanup(cls.serve.kill)

    @classmethod
    def tearDownClass(cls) -> None:
        # After every bad request above: a clean exit, and no error in the log (a handler that
        # threw, a store failure) nor a protocol error seen by the fake LLM.
        cls.serve.sigterm()
        run = cls.serve.proc.finish(30)
        if run.code != EXIT_OK or '"level":"error"' in run.stderr or '"level":"critical"' in run.stderr:
            raise AssertionError("serve did not stop cleanly\n" + run.describe())
        if cls.llm.protocol_errors:
            raise AssertionError(f"fake LLM protocol errors: {cls.llm.protocol_errors}")

    # -- helpers -------------------------------------------------------------------------
    def api(self, method: str, path: str, body: Any = None, **kwargs) -> Reply:
        return self.serve.call(method, path, body, **kwargs)

    def create(self, org: str = "acme", message: str | None = None) -> str:
        body: dict = {"bot": "helper"}
        if message is not None:
            body["message"] = {"text": message}
        reply = self.api("POST", "/v1/sessions", body, org=org)
        self.assertEqual(reply.status, 201, str(reply))
        session = reply.doc["session"]
        self.assertEqual((session["org"], session["bot"], session["status"]), (org, "helper", "idle"), session)
        self.assertRegex(session["definition_hash"], r"^[0-9a-f]{64}$")
        return session["id"]

    def say(self, session: str, text: str, message_id: str | None = None, org: str = "acme") -> Reply:
        body = {"text": text} if message_id is None else {"text": text, "message_id": message_id}
        return self.api("POST", f"/v1/sessions/{session}/messages", body, org=org)

    def idle_session(self, text: str = "hello", org: str = "acme") -> tuple[str, dict]:
        """A session that answered one message and settled; its snapshot."""
        session = self.create(org)
        reply = self.say(session, text)
        self.assertEqual(reply.status, 202, str(reply))
        return session, self.settled(session)

    def query(self, session: str, name: str, org: str = "acme") -> dict:
        reply = self.api("GET", f"/v1/sessions/{session}/query/{name}", org=org)
        self.assertEqual(reply.status, 200, str(reply))
        self.assertEqual((reply.doc["session"], reply.doc["query"]), (session, name))
        return reply.doc

    def assertUnchanged(self, session: str, before: dict, what: str) -> None:  # noqa: N802
        self.assertEqual(snapshot(self.db, session), before, f"{what} changed the session")

    # -- the happy path ------------------------------------------------------------------
    def test_create_message_then_idle_with_the_answer(self) -> None:
        session = self.create()
        reply = self.say(session, "hello there", "m-hello")
        self.assertEqual(reply.status, 202, str(reply))
        self.assertEqual(reply.doc, {"session": session, "message_id": "m-hello", "accepted": True})
        snap = self.settled(session)
        events = read_history(self.db, session)
        self.assertEqual(history_problems(events), [])
        self.assertEqual([e["data"] for e in events if e["type"] == "MessageReceived"],
                         [{"message_id": "m-hello", "text": "hello there"}])
        self.assertEqual(self.query(session, "output")["result"], {"text": "echo: hello there"})
        status = self.query(session, "status")
        self.assertEqual(status["seq"], snap["last_seq"])
        self.assertEqual(status["result"]["status"], "idle")
        self.assertEqual(status["result"]["turn"], 1)
        self.assertIsNone(status["result"]["waiting"])
        transcript = self.query(session, "transcript")["result"]
        self.assertEqual([(m["role"], m.get("content")) for m in transcript["messages"]],
                         [("user", "hello there"), ("assistant", "echo: hello there")])
        self.assertEqual(transcript["omitted"], 0)
        self.assertEqual(self.query(session, "calls")["result"], {"calls": []})
        got = self.api("GET", f"/v1/sessions/{session}")
        self.assertEqual(got.status, 200, str(got))
        self.assertEqual((got.doc["session"]["id"], got.doc["session"]["status"], got.doc["session"]["last_seq"],
                          got.doc["session"]["pending_messages"]), (session, "idle", snap["last_seq"], 0))

    def test_create_with_a_first_message(self) -> None:
        session = self.create(message="first words")
        self.settled(session)
        self.assertEqual(self.query(session, "output")["result"]["text"], "echo: first words")

    def test_list_shows_only_the_callers_org(self) -> None:
        mine = self.create("acme")
        theirs = self.create("globex")
        acme = self.api("GET", "/v1/sessions?limit=500")
        globex = self.api("GET", "/v1/sessions?limit=500", org="globex")
        self.assertEqual((acme.status, globex.status), (200, 200))
        acme_ids = {s["id"] for s in acme.doc["sessions"]}
        globex_ids = {s["id"] for s in globex.doc["sessions"]}
        self.assertIn(mine, acme_ids)
        self.assertNotIn(theirs, acme_ids)
        self.assertIn(theirs, globex_ids)
        self.assertNotIn(mine, globex_ids)
        self.assertEqual({s["org"] for s in acme.doc["sessions"]}, {"acme"})
        one = self.api("GET", "/v1/sessions?limit=1&bot=helper&status=idle")
        self.assertEqual(one.status, 200, str(one))
        self.assertLessEqual(len(one.doc["sessions"]), 1)
        for bad in ("status=bogus", "limit=0", "limit=501", "limit=ten"):
            self.assertError(self.api("GET", f"/v1/sessions?{bad}"), 400, "invalid_request")

    # -- authentication and org isolation --------------------------------------------------
    def test_every_v1_endpoint_needs_a_known_token(self) -> None:
        session, before = self.idle_session()
        endpoints = [("POST", "/v1/sessions", {"bot": "helper"}), ("GET", "/v1/sessions", None),
                     ("GET", f"/v1/sessions/{session}", None),
                     ("POST", f"/v1/sessions/{session}/messages", {"text": "hi"}),
                     ("POST", f"/v1/sessions/{session}/signals", {"name": "ping"}),
                     ("GET", f"/v1/sessions/{session}/query/status", None),
                     ("POST", f"/v1/sessions/{session}/updates", {"name": "answer", "call_id": "c", "text": "x"}),
                     ("POST", f"/v1/sessions/{session}/cancel", {"reason": "no"})]
        sessions_before = db_query(self.db, "SELECT count(*) FROM sessions")[0][0]
        for method, path, body in endpoints:
            for label, kwargs in (("no token", {"org": None}), ("unknown token", {"token": "not-a-known-token-123"}),
                                  ("org A's token with a typo", {"token": TOKENS["acme"] + "x"}),
                                  ("empty bearer", {"token": ""})):
                with self.subTest(endpoint=f"{method} {path}", case=label):
                    self.assertError(self.api(method, path, body, **kwargs), 401, "unauthorized")
            with self.subTest(endpoint=f"{method} {path}", case="Basic scheme"):
                conn = http.client.HTTPConnection("127.0.0.1", self.serve.port, timeout=10)
                try:
                    conn.request(method, path, body=json.dumps(body) if body else None,
                                 headers={"Authorization": f"Basic {TOKENS['acme']}"})
                    resp = conn.getresponse()
                    doc = json.loads(resp.read())
                finally:
                    conn.close()
                self.assertEqual((resp.status, doc["error"]["code"]), (401, "unauthorized"))
        self.assertUnchanged(session, before, "unauthorised requests")
        self.assertEqual(db_query(self.db, "SELECT count(*) FROM sessions")[0][0], sessions_before,
                         "no session was created without a token")

    def test_another_orgs_session_is_not_found_and_unchanged(self) -> None:
        session, before = self.idle_session()
        requests = [("GET", f"/v1/sessions/{session}", None),
                    ("POST", f"/v1/sessions/{session}/messages", {"text": "hijack", "message_id": "evil-1"}),
                    ("POST", f"/v1/sessions/{session}/signals", {"name": "evil", "signal_id": "evil-2"}),
                    ("GET", f"/v1/sessions/{session}/query/status", None),
                    ("GET", f"/v1/sessions/{session}/query/transcript", None),
                    ("POST", f"/v1/sessions/{session}/updates",
                     {"name": "answer", "call_id": "call_t1_0", "text": "x", "update_id": "evil-3"}),
                    ("POST", f"/v1/sessions/{session}/cancel", {"reason": "sabotage"})]
        for method, path, body in requests:
            with self.subTest(endpoint=f"{method} {path}"):
                reply = self.api(method, path, body, org="globex")
                self.assertError(reply, 404, "session_not_found")
                self.assertNotIn("acme", json.dumps(reply.doc), "the answer says nothing about the owner")
        self.assertUnchanged(session, before, "the other org's requests")
        self.assertEqual(db_query(self.db, "SELECT message_id FROM inbox WHERE session_id = ? AND message_id LIKE "
                                           "'%evil%'", session), [])
        # The owner still sees it exactly as before.
        self.assertEqual(self.api("GET", f"/v1/sessions/{session}").doc["session"]["last_seq"], before["last_seq"])

    def test_unknown_session_is_not_found_on_every_endpoint(self) -> None:
        for missing in ("s-does-not-exist", "bad%20id", "x" * 200):
            for method, path, body in [("GET", "", None), ("POST", "/messages", {"text": "hi"}),
                                       ("POST", "/signals", {"name": "ping"}), ("GET", "/query/status", None),
                                       ("POST", "/updates", {"name": "answer", "call_id": "c", "text": "x"}),
                                       ("POST", "/cancel", {"reason": "why"})]:
                with self.subTest(session=missing[:20], endpoint=f"{method} {path}"):
                    self.assertError(self.api(method, f"/v1/sessions/{missing}{path}", body), 404, "session_not_found")
        self.assertEqual(db_query(self.db, "SELECT count(*) FROM inbox WHERE session_id = 's-does-not-exist'"), [(0,)])

    # -- malformed requests --------------------------------------------------------------
    def test_malformed_bodies_and_bad_fields_are_400_and_change_nothing(self) -> None:
        session, before = self.idle_session()
        sessions_before = db_query(self.db, "SELECT count(*) FROM sessions")[0][0]
        s = f"/v1/sessions/{session}"
        not_json = [b"{", b"{\"text\": }", b"hello", b"{\"text\": \"\xff\xfe\"}", b"[1,"]
        for path in ("/v1/sessions", f"{s}/messages", f"{s}/signals", f"{s}/updates", f"{s}/cancel"):
            for raw in not_json:
                with self.subTest(path=path, raw=raw):
                    self.assertError(self.api("POST", path, raw=raw), 400, "invalid_json")
            for raw in (b"[1, 2]", b"\"text\"", b"42", b"null"):
                with self.subTest(path=path, raw=raw):
                    self.assertError(self.api("POST", path, raw=raw), 400, "invalid_request")
        bad_fields = [
            ("/v1/sessions", {}, "invalid_request"),
            ("/v1/sessions", {"bot": 3}, "invalid_request"),
            ("/v1/sessions", {"bot": ""}, "invalid_request"),
            ("/v1/sessions", {"bot": "helper", "definition": {"name": "mine"}}, "invalid_request"),
            ("/v1/sessions", {"bot": "nobody"}, "unknown_bot"),
            ("/v1/sessions", {"bot": "helper", "message": "hi"}, "invalid_request"),
            ("/v1/sessions", {"bot": "helper", "message": {}}, "invalid_request"),
            ("/v1/sessions", {"bot": "helper", "message": {"text": "hi", "message_id": "a b"}}, "invalid_request"),
            (f"{s}/messages", {}, "invalid_request"),
            (f"{s}/messages", {"text": ""}, "invalid_request"),
            (f"{s}/messages", {"text": 5}, "invalid_request"),
            (f"{s}/messages", {"text": ["a"]}, "invalid_request"),
            (f"{s}/messages", {"text": "hi", "message_id": "no spaces allowed"}, "invalid_request"),
            (f"{s}/messages", {"text": "hi", "message_id": "x" * 129}, "invalid_request"),
            (f"{s}/messages", {"text": "hi", "message_id": 7}, "invalid_request"),
            (f"{s}/signals", {}, "invalid_request"),
            (f"{s}/signals", {"name": "has space"}, "invalid_request"),
            (f"{s}/signals", {"name": 1}, "invalid_request"),
            (f"{s}/signals", {"name": "ping", "signal_id": ""}, "invalid_request"),
            (f"{s}/updates", {}, "invalid_request"),
            (f"{s}/updates", {"name": "reply", "call_id": "c"}, "invalid_request"),
            (f"{s}/updates", {"name": "answer"}, "invalid_request"),
            (f"{s}/updates", {"name": "answer", "call_id": "c"}, "invalid_request"),
            (f"{s}/updates", {"name": "approve", "call_id": "c"}, "invalid_request"),
            (f"{s}/updates", {"name": "approve", "call_id": "c", "approved": "yes"}, "invalid_request"),
            (f"{s}/updates", {"name": "answer", "call_id": "c", "text": "x", "update_id": "a/b"}, "invalid_request"),
            (f"{s}/cancel", {}, "invalid_request"),
            (f"{s}/cancel", {"reason": ""}, "invalid_request"),
            (f"{s}/cancel", {"reason": 3}, "invalid_request"),
            (f"{s}/cancel", {"reason": "r", "mode": "explode"}, "invalid_request"),
            (f"{s}/cancel", {"reason": "r", "mode": 5}, "invalid_request"),
        ]
        for path, body, code in bad_fields:
            with self.subTest(path=path, body=body):
                self.assertError(self.api("POST", path, body), 400, code)
        # An empty body is an empty object: the missing field is named.
        empty = self.api("POST", f"{s}/messages", raw=b"")
        self.assertError(empty, 400, "invalid_request")
        self.assertIn("text", empty.doc["error"]["message"])
        self.assertUnchanged(session, before, "malformed requests")
        self.assertEqual(db_query(self.db, "SELECT count(*) FROM sessions")[0][0], sessions_before,
                         "no malformed create made a session")

    def test_oversized_body_is_413_and_changes_nothing(self) -> None:
        session, before = self.idle_session()
        big = json.dumps({"text": "x" * (MAX_BODY * 2)}).encode()
        for path in ("/v1/sessions", f"/v1/sessions/{session}/messages", f"/v1/sessions/{session}/signals"):
            with self.subTest(path=path):
                self.assertError(self.api("POST", path, raw=big), 413, "body_too_large")
        # Just under the limit is fine (the limit is the config's http.max_body_bytes).
        fits = self.api("POST", f"/v1/sessions/{session}/messages",
                        raw=json.dumps({"text": "y" * (MAX_BODY - 100), "message_id": "fits"}).encode())
        self.assertEqual(fits.status, 202, str(fits))
        after = self.settled(session, after_seq=before["last_seq"])
        self.assertEqual(after["inbox"], before["inbox"] + 1, "only the message that fits was queued")

    def test_unknown_route_wrong_method_and_unknown_query(self) -> None:
        session, _ = self.idle_session()
        self.assertError(self.api("GET", "/v1/nothing-here"), 404, "not_found")
        self.assertError(self.api("GET", "/v2/sessions"), 404, "not_found")
        self.assertError(self.api("GET", f"/v1/sessions/{session}/query"), 404, "not_found")
        wrong = self.api("DELETE", f"/v1/sessions/{session}")
        self.assertError(wrong, 405, "method_not_allowed")
        self.assertEqual(wrong.headers.get("allow"), "GET, HEAD")
        wrong = self.api("PUT", "/v1/sessions", {"bot": "helper"})
        self.assertError(wrong, 405, "method_not_allowed")
        self.assertEqual(wrong.headers.get("allow"), "GET, HEAD, POST")
        self.assertError(self.api("GET", f"/v1/sessions/{session}/messages"), 405, "method_not_allowed")
        self.assertError(self.api("POST", f"/v1/sessions/{session}/query/status"), 405, "method_not_allowed")
        self.assertError(self.api("GET", f"/v1/sessions/{session}/query/secrets"), 404, "unknown_query")
        self.assertError(self.api("GET", "/v1/sessions/%zz"), 400, "bad_request")

    # -- idempotency ---------------------------------------------------------------------
    def test_duplicate_message_id_is_409_and_recorded_once(self) -> None:
        session = self.create()
        first = self.say(session, "once", "dup-1")
        self.assertEqual(first.status, 202, str(first))
        again = self.say(session, "twice", "dup-1")  # maybe still queued, maybe consumed already
        self.assertError(again, 409, "duplicate_message")
        snap = self.settled(session)
        late = self.say(session, "thrice", "dup-1")  # consumed long ago: still a duplicate
        self.assertError(late, 409, "duplicate_message")
        received = [e["data"] for e in read_history(self.db, session) if e["type"] == "MessageReceived"]
        self.assertEqual(received, [{"message_id": "dup-1", "text": "once"}])
        self.assertUnchanged(session, snap, "the late duplicate")

    def test_signals_are_idempotent_and_reach_the_model(self) -> None:
        session, snap = self.idle_session("before the signal")
        reply = self.api("POST", f"/v1/sessions/{session}/signals",
                         {"name": "deploy", "payload": {"env": "prod", "n": 2}, "signal_id": "sig-1"})
        self.assertEqual(reply.status, 202, str(reply))
        self.assertEqual(reply.doc, {"session": session, "signal_id": "sig-1", "accepted": True})
        self.assertError(self.api("POST", f"/v1/sessions/{session}/signals",
                                  {"name": "deploy", "payload": {"env": "other"}, "signal_id": "sig-1"}),
                         409, "duplicate_signal")
        signalled = self.settled(session, after_seq=snap["last_seq"])
        text = '[signal deploy] {"env":"prod","n":2}'
        received = [e["data"] for e in read_history(self.db, session) if e["type"] == "MessageReceived"]
        self.assertEqual(received[1:], [{"message_id": "signal:sig-1", "text": text}], "recorded once")
        seen = [[m.get("content") for m in (r.body or {}).get("messages", []) if m.get("role") == "user"]
                for r in self.llm.chat_requests()]
        self.assertIn(["before the signal", text], seen, "the model's next request ends with the signal")
        self.assertEqual(self.query(session, "output")["result"]["text"], f"echo: {text}")
        # A message may reuse the id: signals have their own id space.
        self.assertEqual(self.say(session, "not a signal", "sig-1").status, 202)
        self.settled(session, after_seq=signalled["last_seq"])
        no_payload = self.api("POST", f"/v1/sessions/{session}/signals", {"name": "ping"})
        self.assertEqual(no_payload.status, 202, str(no_payload))
        self.assertTrue(no_payload.doc["signal_id"], "an id is made when none is given")

    # -- queries ---------------------------------------------------------------------------
    def test_queries_are_read_only(self) -> None:
        session, before = self.idle_session("query me")
        for name in ("status", "output", "transcript", "calls"):
            for _ in range(2):
                doc = self.query(session, name)
                self.assertEqual(doc["seq"], before["last_seq"], doc)
        self.assertEqual(self.api("GET", f"/v1/sessions/{session}").status, 200)
        self.assertEqual(self.api("GET", "/v1/sessions").status, 200)
        self.assertUnchanged(session, before, "queries")

    # -- updates -----------------------------------------------------------------------------
    def test_update_answer_is_validated_durable_and_returns_its_seq(self) -> None:
        session = self.create(message="ask")
        snap = self.settled(session, "waiting_for_input")
        status = self.query(session, "status")["result"]
        waiting = status["waiting"]
        self.assertEqual((status["status"], waiting["kind"], waiting["prompt"], waiting["stage"]),
                         ("waiting_for_input", "question", "What is your name?", "asked"), status)
        call_id = waiting["call_id"]
        self.assertEqual([c["call_id"] for c in self.query(session, "calls")["result"]["calls"]], [call_id])
        updates = f"/v1/sessions/{session}/updates"
        wrong_call = self.api("POST", updates, {"name": "answer", "call_id": "call_other", "text": "Mallory"})
        self.assertError(wrong_call, 409, "not_waiting")
        self.assertIn(call_id, wrong_call.doc["error"]["message"], "the message names the call it waits for")
        self.assertError(self.api("POST", updates, {"name": "approve", "call_id": call_id, "approved": True}),
                         409, "not_waiting")  # it asked a question, not for an approval
        self.assertUnchanged(session, snap, "refused updates")

        reply = self.api("POST", updates, {"name": "answer", "call_id": call_id, "text": "Alice", "update_id": "u-1"})
        self.assertEqual(reply.status, 200, str(reply))
        result = reply.doc["result"]
        self.assertEqual((reply.doc["update_id"], result["call_id"], result["answer"]), ("u-1", call_id, "Alice"))
        recorded = [e for e in read_history(self.db, session) if e["seq"] == result["recorded_seq"]]
        self.assertEqual([(e["type"], e["data"]) for e in recorded],
                         [("MessageReceived", {"message_id": "update:u-1", "text": "Alice"})],
                         "the result's seq is the durable record of the update")
        self.settled(session, after_seq=result["recorded_seq"])
        self.assertEqual(self.query(session, "output")["result"]["text"], "you said: Alice")
        self.assertError(self.api("POST", updates, {"name": "answer", "call_id": call_id, "text": "Again",
                                                    "update_id": "u-1"}), 409, "not_waiting")

    def test_update_approve_runs_the_gated_call_once(self) -> None:
        session = self.create(message="effects 1 par 1")
        snap = self.settled(session, "waiting_for_input")
        waiting = self.query(session, "status")["result"]["waiting"]
        self.assertEqual(waiting["kind"], "approval", waiting)
        self.assertIn("effect", waiting["prompt"])
        self.assertEqual([r for r in self.tools.snapshot() if r.session == session], [], "nothing runs unapproved")
        updates = f"/v1/sessions/{session}/updates"
        self.assertError(self.api("POST", updates, {"name": "answer", "call_id": waiting["call_id"], "text": "yes"}),
                         409, "not_waiting")
        self.assertError(self.api("POST", updates, {"name": "approve", "call_id": waiting["call_id"]}),
                         400, "invalid_request")
        self.assertUnchanged(session, snap, "refused updates")
        reply = self.api("POST", updates, {"name": "approve", "call_id": waiting["call_id"], "approved": True})
        self.assertEqual(reply.status, 200, str(reply))
        self.assertEqual(reply.doc["result"]["answer"], "yes")
        self.assertTrue(reply.doc["update_id"], "an id is made when none is given")
        self.settled(session, after_seq=reply.doc["result"]["recorded_seq"])
        self.assertEqual(self.query(session, "output")["result"]["text"], "done 1")
        self.assertEqual(len([k for k in self.tools.effect_keys() if k.startswith(session + ":")]), 1)

    # -- cancel ------------------------------------------------------------------------------
    def test_cancel_records_the_reason_then_the_session_takes_no_input(self) -> None:
        session, snap = self.idle_session()
        reply = self.api("POST", f"/v1/sessions/{session}/cancel", {"reason": "customer left"})
        self.assertEqual(reply.status, 200, str(reply))
        self.assertEqual(reply.doc["session"]["status"], "cancelled")
        self.assertEqual(reply.doc["cancelled_seq"], snap["last_seq"] + 1)
        last = read_history(self.db, session)[-1]
        self.assertEqual((last["seq"], last["type"]), (snap["last_seq"] + 1, "SessionCancelled"))
        self.assertEqual(last["data"], {"reason": "customer left", "by": "api:org:acme", "mode": "cancel"})
        after = snapshot(self.db, session)
        self.assertEqual((after["status"], after["lease_owner"]), ("cancelled", ""), "the cancel let its lease go")
        self.assertGreater(after["epoch"], snap["epoch"], "the cancel took the lease over (fencing any owner)")
        s = f"/v1/sessions/{session}"
        self.assertError(self.say(session, "anyone there?"), 409, "session_finished")
        self.assertError(self.api("POST", f"{s}/signals", {"name": "ping"}), 409, "session_finished")
        self.assertError(self.api("POST", f"{s}/cancel", {"reason": "again"}), 409, "session_finished")
        self.assertError(self.api("POST", f"{s}/updates", {"name": "answer", "call_id": "c", "text": "x"}),
                         409, "not_waiting")
        self.assertUnchanged(session, after, "requests to a cancelled session")
        self.assertEqual(self.query(session, "status")["result"]["status"], "cancelled")

    def test_terminate_mode_is_recorded(self) -> None:
        session, _ = self.idle_session()
        reply = self.api("POST", f"/v1/sessions/{session}/cancel", {"reason": "abuse", "mode": "terminate"})
        self.assertEqual(reply.status, 200, str(reply))
        self.assertEqual(read_history(self.db, session)[-1]["data"]["mode"], "terminate")

    # -- health --------------------------------------------------------------------------------
    def test_health_and_readiness(self) -> None:
        healthz = self.api("GET", "/healthz", org=None)
        self.assertEqual((healthz.status, healthz.doc), (200, {"status": "ok"}))
        readyz = self.api("GET", "/readyz", org=None)
        self.assertEqual((readyz.status, readyz.doc), (200, {"status": "ready"}))
        self.assertError(self.api("POST", "/healthz", org=None), 405, "method_not_allowed")


# -- shutdown -----------------------------------------------------------------------------------

class ServeShutdownTest(ServeTestMixin, E2ETestCase):
    def start(self, grace: str, tool_delay: float) -> Serve:
        self.llm = self.start_llm()
        self.tools = self.start_tools(delay=tool_delay)
        agent = definition(llm_url=self.llm.base_url, api_key_env=None,
                           tools=[effect_tool(self.tools.base_url, timeout="30s")])
        self.write_definition(agent, "slow.yaml")
        self.config = write_config(self.dir, {"slow": "slow.yaml"}, grace=grace)
        return self.serve_process()

    def serve_process(self) -> Serve:
        serve = Serve(self.config)
        self.addCleanup(serve.kill)
        return serve

    def mid_tool_call(self, serve: Serve) -> str:
        """A session whose tool call is in flight on the tool server."""
        reply = serve.call("POST", "/v1/sessions", {"bot": "slow", "message": {"text": "effects 1 par 1"}})
        self.assertEqual(reply.status, 201, str(reply))
        session = reply.doc["session"]["id"]
        started = wait_until(lambda: [r for r in self.tools.snapshot() if r.session == session])
        self.assertTrue(started, "the tool call started")
        return session

    def finish(self, serve: Serve, within: float):
        run = serve.proc.finish(within + 10)
        elapsed = time.monotonic() - serve.signalled_at
        self.assertEqual(run.code, EXIT_OK, run.describe())
        self.assertLess(elapsed, within, f"serve took {elapsed:.1f}s to stop\n{run.describe()}")
        stopped = serve.stopped_line()
        self.assertIsNotNone(stopped, run.describe())
        self.assertEqual(stopped["worker"], serve.worker)
        self.assertEqual(run.lines[-1].get("kind"), "stopped", "the stopped line is the last one")
        return stopped, run

    def test_sigterm_with_an_idle_server_exits_at_once(self) -> None:
        serve = self.start("20s", 0)
        self.assertEqual(serve.call("GET", "/readyz", org=None).status, 200)
        serve.sigterm()
        stopped, _ = self.finish(serve, within=3)
        self.assertEqual((stopped["activations"], stopped["cancelled"]), (0, 0), stopped)

    def test_sigterm_lets_a_running_tool_call_finish_within_the_grace(self) -> None:
        serve = self.start("20s", 2.0)
        session = self.mid_tool_call(serve)
        serve.sigterm()
        # While the worker drains the API still answers, and readiness says "not ready".
        readyz = wait_until(lambda: (r := serve.call("GET", "/readyz", org=None)).status == 503 and r, timeout=5)
        self.assertTrue(readyz, "readyz turned 503 while draining")
        self.assertError(readyz, 503, "not_ready")
        self.assertEqual(serve.call("GET", "/healthz", org=None).status, 200, "alive while draining")
        self.assertEqual(serve.call("GET", f"/v1/sessions/{session}").status, 200, "the API answers while draining")
        stopped, _ = self.finish(serve, within=15)
        self.assertEqual((stopped["quiescent"], stopped["cancelled"]), (1, 0), stopped)
        snap = snapshot(self.db, session)
        self.assertEqual((snap["status"], snap["lease_owner"]), ("idle", ""), snap)
        events = read_history(self.db, session)
        self.assertEqual(history_problems(events), [])
        self.assertEqual(events[-2]["data"].get("text"), "done 1")
        self.assertEqual(len(self.tools.effect_keys()), 1)

    def test_short_grace_cancels_releases_the_lease_and_the_next_worker_finishes(self) -> None:
        serve = self.start("300ms", 5.0)
        session = self.mid_tool_call(serve)
        serve.sigterm()
        stopped, _ = self.finish(serve, within=4)
        self.assertEqual((stopped["activations"], stopped["cancelled"]), (1, 1), stopped)
        snap = snapshot(self.db, session)
        self.assertEqual((snap["status"], snap["lease_owner"]), ("running", ""), "interrupted, lease released")
        self.assertEqual(self.history_types(session)[-1], "ToolRequested", "nothing written after the cancel")
        # The next worker takes the interrupted call over with the same idempotency key.
        self.tools.delay = 0
        second = self.serve_process()
        self.settled(session, after_seq=snap["last_seq"])
        events = read_history(self.db, session)
        self.assertEqual(history_problems(events), [])
        self.assertEqual(events[-2]["data"].get("text"), "done 1")
        requested = [e["seq"] for e in events if e["type"] == "ToolRequested"]
        self.assertEqual(self.tools.effect_keys(), [f"{session}:{requested[0]}"], "one effect, one key")
        second.sigterm()
        self.finish(second, within=5)

    def test_a_second_sigterm_stops_at_once(self) -> None:
        serve = self.start("60s", 10.0)
        session = self.mid_tool_call(serve)
        serve.sigterm()
        self.assertTrue(wait_until(lambda: serve.call("GET", "/readyz", org=None).status == 503, timeout=5),
                        "the first signal started the drain")
        serve.sigterm()
        stopped, _ = self.finish(serve, within=4)
        self.assertEqual(stopped["cancelled"], 1, stopped)
        snap = snapshot(self.db, session)
        self.assertEqual((snap["status"], snap["lease_owner"]), ("running", ""), snap)


# -- configuration -------------------------------------------------------------------------------

class ServeConfigTest(E2ETestCase):
    def setUp(self) -> None:
        super().setUp()
        self.agent = self.write_definition(definition(provider="scripted", script="replies.yaml", api_key_env=None))
        (self.dir / "replies.yaml").write_text("turns:\n  - replies:\n      - content: hi\n")

    def serve_run(self, config: str, *args: str, env: dict | None = None, timeout: float = 15):
        return Proc([self.bin, "serve", "--config", config, *args], clean_env({**TOKEN_ENV, **(env or {})}),
                    str(self.dir)).finish(timeout)

    def assertUsage(self, run, *patterns: str) -> None:  # noqa: N802
        self.assertEqual(run.code, EXIT_USAGE, run.describe())
        self.assertEqual(run.stdout.strip(), "", "errors go to stderr; nothing is printed as listening")
        for pattern in patterns:
            self.assertRegex(run.stderr, pattern, run.describe())

    def test_unknown_key_exits_2_with_file_line_and_suggestion(self) -> None:
        path = self.dir / "bad.yaml"
        path.write_text("listen: 127.0.0.1:0\nlisen: 127.0.0.1:1\norgs: {acme: {token_env: E2E_ACME_TOKEN}}\n")
        self.assertUsage(self.serve_run(str(path)),
                         r"bad\.yaml:2:1: unknown key \"lisen\" \(did you mean \"listen\"\?\)")

    def test_bad_value_exits_2_with_file_line(self) -> None:
        path = self.dir / "bad.yaml"
        path.write_text("orgs: {acme: {token_env: E2E_ACME_TOKEN}}\nshutdown: {grace: soon}\n")
        self.assertUsage(self.serve_run(str(path)), r"bad\.yaml:2:\d+: shutdown\.grace: expected a duration")

    def test_missing_token_variable_exits_2_naming_it(self) -> None:
        config = write_config(self.dir, {"a": "agent.yaml"},
                              extra={"orgs": {"acme": {"token_env": "E2E_ACME_TOKEN"},
                                              "initech": {"token_env": "E2E_INITECH_TOKEN"}}})
        run = self.serve_run(config)
        self.assertUsage(run, r"org initech", r"E2E_INITECH_TOKEN is not set")
        self.assertNotIn(TOKENS["acme"], run.stderr, "no token is printed")
        short = self.serve_run(config, env={"E2E_INITECH_TOKEN": "tiny-secret"})
        self.assertUsage(short, r"E2E_INITECH_TOKEN", r"shorter than 16")
        self.assertNotIn("tiny-secret", short.stderr, "the short token is not printed")

    def test_bad_environment_value_or_flag_exits_2_naming_it(self) -> None:
        config = write_config(self.dir, {"a": "agent.yaml"})
        self.assertUsage(self.serve_run(config, env={"AGENTRT_LEASE_TTL": "forever"}), r"AGENTRT_LEASE_TTL")
        self.assertUsage(self.serve_run(config, env={"AGENTRT_LISTEN": "nowhere"}), r"AGENTRT_LISTEN.*nowhere")
        self.assertUsage(self.serve_run(config, "--listen", "127.0.0.1:port"), r"--listen: expected host:port")
        self.assertUsage(self.serve_run(config, "--lease-heartbeat", "9s"), r"lease\.heartbeat .* at most half")

    def test_missing_bot_definition_exits_2_naming_the_bot(self) -> None:
        config = write_config(self.dir, {"ghost": "missing.yaml"})
        self.assertUsage(self.serve_run(config), r"bot ghost", r"missing\.yaml")

    def test_no_orgs_exits_2(self) -> None:
        config = write_config(self.dir, {"a": "agent.yaml"}, extra={"orgs": {}})
        self.assertUsage(self.serve_run(config), r"no orgs")

    def test_flags_beat_environment_beat_file(self) -> None:
        from_file, from_env, from_flag = free_port(), free_port(), free_port()
        config = write_config(self.dir, {"a": "agent.yaml"}, listen=f"127.0.0.1:{from_file}")
        for args, env, expected in (((), {}, from_file),
                                    ((), {"AGENTRT_LISTEN": f"127.0.0.1:{from_env}"}, from_env),
                                    (("--listen", f"127.0.0.1:{from_flag}"),
                                     {"AGENTRT_LISTEN": f"127.0.0.1:{from_env}"}, from_flag)):
            with self.subTest(args=args, env=env):
                serve = Serve(config, *args, env=env)
                self.addCleanup(serve.kill)
                self.assertEqual(serve.port, expected)
                self.assertEqual(serve.call("GET", "/healthz", org=None).status, 200)
                serve.sigterm()
                self.assertEqual(serve.proc.finish(10).code, EXIT_OK)
        self.assertTrue((self.dir / "agentrt.db").exists(), "the relative db path is the config folder's")


if __name__ == "__main__":
    unittest.main()
