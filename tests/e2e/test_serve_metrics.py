"""`agentrt serve` observability (docs/observability.md) against a real serve process:
GET /metrics after a whole session (valid for `promtool check metrics`, the counters moved,
route templates and never raw paths), gRPC calls counted, JSON log lines carrying the session
context and never a secret, and the log level changed at runtime through the admin API.

The serve process runs at log level debug (the most lines) with an LLM that requires an API
key, two org tokens and an admin token: none of those values may appear in its stderr.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

from e2e_support import Proc, agentrt_bin, clean_env, definition, effect_tool, read_history, to_yaml
from fake_llm import FakeLlm
from test_serve_api import TOKEN_ENV, TOKENS, Serve, ServeTestMixin, class_folder, free_port, write_config
from tool_server import ToolServer

ROOT = Path(os.environ.get("AGENTRT_SOURCE_DIR", Path(__file__).resolve().parents[2]))
ADMIN_TOKEN = "admin-e2e-token-5555555555"
LLM_KEY = "sk-e2e-llm-key-7777777777"
SECRETS = [TOKENS["acme"], TOKENS["globex"], ADMIN_TOKEN, LLM_KEY]
GRPC_DIR = Path(__file__).resolve().parent / "grpc"
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def metric_families() -> set[str]:
    text = (ROOT / "serve/metrics/metric_names.txt").read_text()
    return {ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")}


def parse_metrics(text: str) -> list[tuple[str, dict, float]]:
    samples = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        series, value = line.rsplit(" ", 1)
        name, _, labels = series.partition("{")
        pairs = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        samples.append((name, pairs, float(value)))
    return samples


def value(samples, name: str, **labels) -> float:
    """The sum of the samples of `name` whose labels include `labels` (0 when none)."""
    return sum(v for n, ls, v in samples if n == name and all(ls.get(k) == w for k, w in labels.items()))


class ServeMetricsTest(ServeTestMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.dir = class_folder(cls, "agentrt-e2e-serve-metrics-")
        cls.db = str(cls.dir / "agentrt.db")
        cls.llm = FakeLlm(required_key=LLM_KEY).start()
        cls.addClassCleanup(cls.llm.stop)
        cls.tools = ToolServer().start()
        cls.addClassCleanup(cls.tools.stop)
        agent = definition(llm_url=cls.llm.base_url, api_key_env="E2E_LLM_KEY", tools=[effect_tool(cls.tools.base_url)])
        (cls.dir / "agents").mkdir()
        (cls.dir / "agents" / "helper.yaml").write_text(to_yaml(agent) + "\n")
        cls.grpc = (GRPC_DIR / "node_modules" / "@grpc" / "grpc-js").is_dir() and shutil.which("node") is not None
        extra = {"log_level": "debug", "admin_token_env": "E2E_ADMIN_TOKEN"}
        if cls.grpc:
            extra["grpc"] = {"listen": f"127.0.0.1:{free_port()}"}
        config = write_config(cls.dir, {"helper": "agents/helper.yaml"}, extra=extra)
        cls.grpc_port = extra.get("grpc", {}).get("listen", ":0").rsplit(":", 1)[1]
        cls.serve = Serve(config, env={"E2E_ADMIN_TOKEN": ADMIN_TOKEN, "E2E_LLM_KEY": LLM_KEY})
        cls.addClassCleanup(cls.serve.kill)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.serve.sigterm()
        run = cls.serve.proc.finish(30)
        if run.code != 0:
            raise AssertionError("serve did not stop cleanly\n" + run.describe())

    def scrape(self) -> str:
        reply = self.serve.call("GET", "/metrics", org=None)
        self.assertEqual(reply.status, 200, str(reply))
        self.assertEqual(reply.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8")
        self.assertIsInstance(reply.doc, str, "the text format, not JSON")
        return reply.doc

    def run_session(self, text: str) -> str:
        created = self.serve.call("POST", "/v1/sessions", {"bot": "helper", "message": {"text": text}})
        self.assertEqual(created.status, 201, str(created))
        session = created.doc["session"]["id"]
        self.settled(session)
        return session

    def stderr(self) -> str:
        return "".join(self.serve.proc.err_chunks)

    # -- metrics --------------------------------------------------------------------------
    def test_metrics_after_a_session_pass_promtool_and_the_counters_moved(self) -> None:
        session = self.run_session("effects 2 par 1")
        events = read_history(self.db, session)
        tokens_in = sum(e["data"].get("tokens_in", 0) for e in events if e["type"] == "LlmCompleted")
        self.assertGreater(tokens_in, 0)
        self.assertEqual(self.serve.call("GET", "/v1/sessions/s-no-such-session").status, 404)
        self.assertEqual(self.serve.call("GET", "/no/such/s-raw-path-7").status, 404)

        text = self.scrape()
        promtool = shutil.which("promtool")
        self.assertIsNotNone(promtool, "promtool is missing: run scripts/setup (Debian package prometheus)")
        check = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr + "\n" + text)
        self.assertEqual(check.stdout.strip() + check.stderr.strip(), "", "no lint problem")

        samples = parse_metrics(text)
        self.assertGreaterEqual(value(samples, "agentrt_llm_tokens_total", model="fake-model", direction="in",
                                      org="acme", bot="helper"), tokens_in)
        self.assertGreater(value(samples, "agentrt_llm_tokens_total", direction="out"), 0)
        self.assertGreaterEqual(value(samples, "agentrt_tool_calls_total", tool="effect", outcome="ok"), 2)
        self.assertGreaterEqual(value(samples, "agentrt_llm_calls_total", model="fake-model", outcome="ok"), 3)
        self.assertGreaterEqual(value(samples, "agentrt_tool_call_duration_seconds_count", tool="effect"), 2)
        self.assertGreaterEqual(value(samples, "agentrt_llm_call_duration_seconds_count", model="fake-model"), 3)
        self.assertGreaterEqual(value(samples, "agentrt_step_overhead_seconds_count"), 2)
        self.assertGreaterEqual(value(samples, "agentrt_inbox_lag_seconds_count"), 1)
        self.assertGreaterEqual(value(samples, "agentrt_lease_acquisitions_total", outcome="acquired"), 1)
        self.assertGreaterEqual(value(samples, "agentrt_activations_total", outcome="quiescent"), 1)
        self.assertGreaterEqual(value(samples, "agentrt_sessions", status="idle", org="acme", bot="helper"), 1)
        self.assertEqual(value(samples, "agentrt_worker_active_sessions"), 0, "nothing runs once settled")
        self.assertGreaterEqual(value(samples, "agentrt_http_requests_total", method="POST", route="/v1/sessions",
                                      code="201"), 1)
        self.assertGreaterEqual(value(samples, "agentrt_http_requests_total", method="GET", route="/v1/sessions/{id}",
                                      code="404"), 1)
        self.assertGreaterEqual(value(samples, "agentrt_http_requests_total", route="unmatched", code="404"), 1)
        self.assertNotIn("s-no-such-session", text, "route templates, never raw paths")
        self.assertNotIn("s-raw-path-7", text)
        self.assertNotIn(session, text)
        self.assertLessEqual({n for n, _, _ in samples if not n.endswith(("_bucket", "_sum", "_count"))}
                             | {n.rsplit("_", 1)[0] for n, _, _ in samples if n.endswith(("_bucket", "_sum", "_count"))},
                             metric_families(), "every family is in serve/metrics/metric_names.txt")

        again = parse_metrics(self.scrape())
        self.assertGreaterEqual(value(again, "agentrt_http_requests_total", method="GET", route="/metrics", code="200"),
                                1, "the scrape itself is counted")

    def test_grpc_calls_are_counted_by_method_and_code(self) -> None:
        if not self.grpc:
            self.skipTest("node and tests/e2e/grpc/node_modules are needed: run scripts/setup")
        client = [shutil.which("node"), str(GRPC_DIR / "client.js"), "--port", self.grpc_port, "--token", TOKENS["acme"]]
        created = subprocess.run(client + ["CreateSession", json.dumps({"bot": "helper"})], capture_output=True,
                                 text=True, timeout=60)
        self.assertEqual(created.returncode, 0, created.stdout + created.stderr)
        missing = subprocess.run(client + ["GetSession", json.dumps({"session_id": "s-nope"})], capture_output=True,
                                 text=True, timeout=60)
        self.assertIn('"ok":false', missing.stdout.replace(" ", ""), missing.stdout + missing.stderr)
        samples = parse_metrics(self.scrape())
        self.assertGreaterEqual(value(samples, "agentrt_grpc_requests_total", method="CreateSession", code="OK"), 1)
        self.assertGreaterEqual(value(samples, "agentrt_grpc_requests_total", method="GetSession", code="NOT_FOUND"), 1)
        self.assertGreaterEqual(value(samples, "agentrt_grpc_request_duration_seconds_count", method="CreateSession"), 1)

    # -- logs -----------------------------------------------------------------------------
    def test_logs_are_json_lines_with_the_session_context_and_no_secret(self) -> None:
        session = self.run_session("effects 1 par 1")
        # A request with a wrong bearer token: the header's value must not be logged either.
        self.assertEqual(self.serve.call("GET", "/v1/sessions", token="wrong-token-" + LLM_KEY).status, 401)
        self.assertTrue(wait_for(lambda: session in self.stderr()), "the activation's debug line")
        lines = [ln for ln in self.stderr().splitlines() if ln.strip()]
        self.assertTrue(lines)
        docs = []
        for line in lines:
            doc = json.loads(line)  # every line is one JSON object
            self.assertRegex(doc["ts"], TS)
            self.assertIn(doc["level"], ("trace", "debug", "info", "warning", "error", "critical"))
            self.assertEqual(doc["worker"], self.serve.worker, line)
            self.assertIsInstance(doc["msg"], str)
            docs.append(doc)
        about = [d for d in docs if d.get("session") == session]
        self.assertTrue(about, "lines about the session carry its id")
        for doc in about:
            self.assertEqual((doc["org"], doc["bot"]), ("acme", "helper"), doc)
        for secret in SECRETS:
            self.assertNotIn(secret, self.stderr(), "a token or key was logged")

    def test_log_level_changes_at_runtime_with_the_admin_token(self) -> None:
        path = "/v1/admin/log-level"
        self.assertError(self.serve.call("PUT", path, {"level": "info"}, org=None), 401, "unauthorized")
        self.assertError(self.serve.call("PUT", path, {"level": "info"}), 401, "unauthorized")  # an org token
        self.assertError(self.serve.call("PUT", path, {"level": "loud"}, token=ADMIN_TOKEN), 400, "invalid_request")
        got = self.serve.call("GET", path, token=ADMIN_TOKEN)
        self.assertEqual((got.status, got.doc), (200, {"level": "debug"}), str(got))
        put = self.serve.call("PUT", path, {"level": "warn"}, token=ADMIN_TOKEN)
        self.assertEqual((put.status, put.doc), (200, {"level": "warn", "previous": "debug"}), str(put))
        try:
            self.assertTrue(wait_for(lambda: "log level changed from debug to warn" in self.stderr()))
            mark = len(self.stderr())
            session = self.run_session("hello at warn")
            time.sleep(0.2)
            quiet = [json.loads(ln) for ln in self.stderr()[mark:].splitlines() if ln.strip()]
            self.assertEqual([d for d in quiet if d["level"] in ("debug", "info")], [],
                             f"nothing below warn after the change (session {session})")
        finally:
            back = self.serve.call("PUT", path, {"level": "debug"}, token=ADMIN_TOKEN)
            self.assertEqual(back.status, 200, str(back))

    def test_without_an_admin_token_the_admin_api_is_not_enabled(self) -> None:
        folder = Path(tempfile.mkdtemp(prefix="agentrt-e2e-serve-noadmin-"))
        self.addCleanup(shutil.rmtree, folder, True)
        (folder / "agents").mkdir()
        (folder / "agents" / "helper.yaml").write_text((self.dir / "agents" / "helper.yaml").read_text())
        other = Serve(write_config(folder, {"helper": "agents/helper.yaml"}, extra={"metrics": {"org_labels": False}}))
        self.addCleanup(other.kill)
        self.assertError(other.call("PUT", "/v1/admin/log-level", {"level": "debug"}, token=ADMIN_TOKEN), 404,
                         "not_enabled")
        created = other.call("POST", "/v1/sessions", {"bot": "helper"})
        self.assertEqual(created.status, 201, str(created))
        reply = other.call("GET", "/metrics", org=None)
        self.assertEqual(reply.status, 200)
        self.assertTrue(wait_for(lambda: "agentrt_sessions{" in other.call("GET", "/metrics", org=None).doc, 12))
        text = other.call("GET", "/metrics", org=None).doc
        self.assertNotIn('org="', text, "metrics.org_labels: false drops the org label")
        self.assertNotIn('bot="', text)
        other.sigterm()
        self.assertEqual(other.proc.finish(30).code, 0)

    def test_an_admin_token_variable_that_is_unset_or_short_stops_serve_with_exit_2(self) -> None:
        folder = class_folder(type(self), "agentrt-e2e-serve-badadmin-")
        (folder / "agents").mkdir()
        (folder / "agents" / "helper.yaml").write_text((self.dir / "agents" / "helper.yaml").read_text())
        config = write_config(folder, {"helper": "agents/helper.yaml"}, extra={"admin_token_env": "E2E_OPS_TOKEN"})
        for env in ({}, {"E2E_OPS_TOKEN": "short-secret"}):
            run = Proc([agentrt_bin(), "serve", "--config", config], clean_env({**TOKEN_ENV, **env}),
                       tempfile.gettempdir()).finish(30)
            self.assertEqual(run.code, 2, run.describe())
            self.assertIn("admin_token_env", run.stderr)
            self.assertIn("E2E_OPS_TOKEN", run.stderr)
            self.assertNotIn("short-secret", run.stderr, "the value is never printed")


def wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


if __name__ == "__main__":
    unittest.main()
