"""`agentrt serve` with Kafka on librdkafka's mock cluster (a process: kafka_mock_broker), and
kafkajs as the independent client on the other side: a record kafkajs produces becomes a
signal that runs a turn, a poison record reaches the dead-letter topic with its reason, and
kafkajs reads the session's lifecycle events (keyed by session, traceparent header).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import unittest
from pathlib import Path

from e2e_support import E2ETestCase, definition
from serve_support import ServeProc, SseStream, token_env, wait_until, write_serve_config

CLIENT_DIR = Path(__file__).resolve().parent / "kafka"
NODE = shutil.which("node")
BROKER = os.environ.get("AGENTRT_KAFKA_MOCK_BROKER", "")


def kafkajs_ready() -> bool:
    return NODE is not None and (CLIENT_DIR / "node_modules" / "kafkajs").is_dir()


@unittest.skipUnless(kafkajs_ready(), "needs node and `npm ci --prefix tests/e2e/kafka` (scripts/setup)")
class ServeWithKafkaTest(E2ETestCase):
    def setUp(self) -> None:
        super().setUp()
        self.assertTrue(BROKER, "AGENTRT_KAFKA_MOCK_BROKER is not set (ctest sets it)")
        self.broker = subprocess.Popen([BROKER, "1", "200", "tickets", "2", "agentrt-dlq", "1", "agentrt-lifecycle", "1"],
                                       stdout=subprocess.PIPE, text=True)
        self.addCleanup(self.stop_broker)
        line = self.broker.stdout.readline()
        self.assertTrue(line.startswith("BOOTSTRAP "), line)
        self.bootstrap = line.split()[1]

    def stop_broker(self) -> None:
        self.broker.terminate()
        try:
            self.broker.wait(10)
        except subprocess.TimeoutExpired:
            self.broker.kill()
            self.broker.wait()

    def kafkajs(self, *args: str, timeout: float = 60) -> list[str]:
        done = subprocess.run([NODE, str(CLIENT_DIR / "client.mjs"), args[0], self.bootstrap, *args[1:]],
                              capture_output=True, text=True, timeout=timeout, env=dict(os.environ))
        self.assertEqual(done.returncode, 0, f"kafkajs {args}: {done.stdout}\n{done.stderr}")
        return done.stdout.splitlines()

    def records(self, topic: str, count: int, timeout_ms: int = 20000) -> list[dict]:
        lines = self.kafkajs("consume", topic, str(count), str(timeout_ms), timeout=timeout_ms / 1000 + 30)
        return [json.loads(line) for line in lines if line.startswith("{")]

    def test_kafkajs_records_become_signals_and_lifecycle_events_come_back(self) -> None:
        llm = self.start_llm()
        agent = self.write_definition(definition(llm_url=llm.base_url))
        kafka = {"brokers": self.bootstrap, "group_id": "agentrt-e2e", "dead_letter_topic": "agentrt-dlq",
                 "lifecycle_topic": "agentrt-lifecycle",
                 "routes": [{"topic": "tickets", "org": "acme", "bot": "echo", "session_from": "key",
                             "signal": "ticket_updated"}]}
        config = write_serve_config(self.dir, db=self.db, bots={"echo": agent}, extra={"kafka": kafka})
        worker = ServeProc(self.spawn("serve", "--config", config, env=token_env(), db=False))
        self.addCleanup(lambda: worker.proc.kill9())

        status, body = worker.request("POST", "/v1/sessions", body={"bot": "echo", "message": {"text": "hello"}})
        self.assertEqual(status, 201, body)
        session = body["session"]["id"]
        stream = SseStream(worker.port, session, from_seq=0)
        self.addCleanup(stream.close)
        self.assertTrue(stream.wait_for(lambda e: e["event"] == "turn_completed" and e["data"].get("turn") == 1, 30))

        self.kafkajs("produce", "tickets", session, '{"ticket": 42, "state": "closed"}')
        if not stream.wait_for(lambda e: e["event"] == "turn_completed" and e["data"].get("turn") == 2, 60):
            self.fail(f"no turn from the Kafka record: {stream.events[-4:]}\n{worker.stop(10).describe()}")
        prompts = [json.dumps(r.body) for r in llm.chat_requests()]
        self.assertTrue(any('[signal ticket_updated] {\\"state\\":\\"closed\\",\\"ticket\\":42}' in p for p in prompts),
                        prompts[-1])

        self.kafkajs("produce", "tickets", "s-nobody", "{}")
        letters = self.records("agentrt-dlq", 1)
        self.assertEqual(len(letters), 1, letters)
        self.assertEqual(letters[0]["key"], "s-nobody")
        self.assertEqual(letters[0]["headers"].get("agentrt-dlq-reason"), "unknown_session", letters[0])
        self.assertTrue(letters[0]["headers"].get("agentrt-dlq-source", "").startswith("tickets:"), letters[0])

        events = self.records("agentrt-lifecycle", 3)
        types = [json.loads(e["value"])["type"] for e in events]
        self.assertEqual(types, ["session.created", "session.turn_completed", "session.turn_completed"], events)
        for e in events:
            self.assertEqual(e["key"], session)
            doc = json.loads(e["value"])
            self.assertEqual((doc["session"], doc["org"], doc["bot"]), (session, "acme", "echo"))
            if "traceparent" in e["headers"]:
                self.assertRegex(e["headers"]["traceparent"], r"^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$")
        self.assertEqual([json.loads(e["value"]).get("turn") for e in events[1:]], [1, 2])

        def metrics() -> str:
            import urllib.request
            with urllib.request.urlopen(f"http://127.0.0.1:{worker.port}/metrics", timeout=10) as answer:
                return answer.read().decode()
        self.assertTrue(wait_until(lambda: 'agentrt_kafka_dead_letters_total{reason="unknown_session"} 1' in metrics(), 10))
        text = metrics()
        self.assertIn('agentrt_kafka_records_total{outcome="signal"} 1', text)
        self.assertTrue(re.search(r'agentrt_kafka_lifecycle_events_total\{outcome="queued"\} [3-9]', text), text)
        self.assertEqual(worker.stop(30).code, 0)

    def test_a_bad_kafka_config_stops_serve_before_it_connects(self) -> None:
        agent = self.write_definition(definition())
        kafka = {"brokers": self.bootstrap, "routes": [{"topic": "tickets", "org": "acme", "signal": "t"}]}
        config = write_serve_config(self.dir, db=self.db, bots={"echo": agent}, extra={"kafka": kafka})
        run = self.agentrt("serve", "--config", config, env=token_env(), db=False, timeout=30)
        self.assertEqual(run.code, 2, run.describe())
        self.assertIn("kafka.dead_letter_topic: required with routes", run.stderr)
        self.assertNotIn("kafka consumer", run.stderr)  # nothing was opened
        run = self.agentrt("serve", "--config", config, "--kafka-brokers", "", env=token_env(), db=False, timeout=30)
        self.assertEqual(run.code, 2, run.describe())
        self.assertIn("kafka.brokers: required with routes", run.stderr)
