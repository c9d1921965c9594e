"""`agentrt serve` with `inbox: {kind: sqs}` on fauxqs: a message sent through the HTTP API goes
to the SQS FIFO queue, the worker's consumer moves it into the store and the session runs the
turn; the same message id sent again is accepted and deduplicated (no second turn). The first
message of POST /v1/sessions goes through SQS too, the consumer's counters are on /metrics (valid
for promtool), and a queue that does not exist answers 503 inbox_unavailable, not 400.

Run through tests/aws/with_aws_peers.sh (ctest e2e_serve_sqs_inbox), which starts fauxqs and
exports AGENTRT_TEST_SQS_ENDPOINT; without it the tests FAIL.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import unittest
import urllib.request

from aws_support import SQS_ENDPOINT, aws_env, create_fifo_queue, queue_counts
from e2e_support import E2ETestCase, definition, effect_tool
from serve_support import ServeProc, SseStream, token_env, wait_until, write_serve_config

ENDPOINT = SQS_ENDPOINT


class ServeWithSqsInboxTest(E2ETestCase):
    def setUp(self) -> None:
        super().setUp()
        if not ENDPOINT:
            self.fail("AGENTRT_TEST_SQS_ENDPOINT is not set: run through tests/aws/with_aws_peers.sh")
        self.queue_url = create_fifo_queue()
        self.aws = aws_env(self.dir)

    def start_worker(self, queue_url: str) -> ServeProc:
        llm = self.start_llm()
        tools = self.start_tools()
        agent = self.write_definition(definition(llm_url=llm.base_url, tools=[effect_tool(tools.base_url)]))
        inbox = {"kind": "sqs", "queue_url": queue_url, "endpoint": ENDPOINT, "wait": "1s", "visibility": "5s"}
        config = write_serve_config(self.dir, db=self.db, bots={"effects": agent}, extra={"inbox": inbox})
        worker = ServeProc(self.spawn("serve", "--config", config, env={**token_env(), **self.aws}, db=False))
        self.addCleanup(lambda: worker.proc.kill9())
        return worker

    def test_a_message_through_sqs_runs_a_turn_and_a_repeat_is_deduplicated(self) -> None:
        worker = self.start_worker(self.queue_url)

        status, body = worker.request("POST", "/v1/sessions",
                                      body={"bot": "effects", "message": {"text": "effects 1 par 1", "message_id": "m1"}})
        self.assertEqual(status, 201, body)
        session = body["session"]["id"]
        stream = SseStream(worker.port, session, from_seq=0)
        self.addCleanup(stream.close)
        self.assertTrue(stream.wait_for(lambda e: e["event"] == "turn_completed" and e["data"].get("turn") == 1, 30),
                        f"first turn; got {stream.events[-3:]}")

        status, body = worker.request("POST", f"/v1/sessions/{session}/messages", body={"text": "hello", "message_id": "m2"})
        self.assertEqual(status, 202, body)
        self.assertEqual(body, {"session": session, "message_id": "m2", "accepted": True})
        if not stream.wait_for(lambda e: e["event"] == "turn_completed" and e["data"].get("turn") == 2, 30):
            self.fail(f"no second turn through SQS: {stream.events[-4:]}\n{worker.stop(10).describe()}")

        status, body = worker.request("POST", f"/v1/sessions/{session}/messages", body={"text": "hello", "message_id": "m2"})
        self.assertEqual(status, 202, body)  # SQS drops the repeat; the store would too
        time.sleep(3)
        self.assertFalse(any(e["event"] == "turn_completed" and e["data"].get("turn") == 3 for e in stream.events),
                         "a repeated message id ran no third turn")
        self.assertTrue(wait_until(lambda: worker.request("GET", f"/v1/sessions/{session}")[1]["session"]
                                   ["pending_messages"] == 0, 10))
        self.assertEqual(queue_counts(self.queue_url), (0, 0), "every message was deleted")
        # m1 (the create's first message) and m2 both came through SQS; SQS dropped the repeat.
        with urllib.request.urlopen(f"http://127.0.0.1:{worker.port}/metrics", timeout=10) as answer:
            metrics = answer.read().decode()
        self.assertIn('agentrt_sqs_inbox_messages_total{outcome="moved"} 2', metrics)
        self.assertIn('agentrt_sqs_inbox_messages_total{outcome="received"} 2', metrics)
        promtool = shutil.which("promtool")
        self.assertIsNotNone(promtool, "promtool is missing: run scripts/setup (Debian package prometheus)")
        check = subprocess.run([promtool, "check", "metrics"], input=metrics, capture_output=True, text=True, timeout=60)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertEqual(worker.stop(30).code, 0)

    def test_a_queue_that_does_not_exist_answers_503_not_400(self) -> None:
        missing = self.queue_url.rsplit("/", 1)[0] + "/no-such-queue.fifo"
        worker = self.start_worker(missing)
        status, body = worker.request("POST", "/v1/sessions",
                                      body={"bot": "effects", "message": {"text": "effects 1 par 1", "message_id": "m1"}})
        self.assertEqual((status, body["error"]["code"]), (503, "inbox_unavailable"), body)
        session = body["session"]["id"]
        self.assertIn(f"send it to /v1/sessions/{session}/messages with message_id m1", body["error"]["message"])
        status, body = worker.request("POST", f"/v1/sessions/{session}/messages", body={"text": "hi", "message_id": "m1"})
        self.assertEqual((status, body["error"]["code"]), (503, "inbox_unavailable"), body)
        status, body = worker.request("POST", f"/v1/sessions/{session}/messages", body={"text": "hi", "message_id": "a b"})
        self.assertEqual(status, 400, body)  # the client's own mistake stays a 400
        result = worker.stop(30)
        self.assertEqual(result.code, 0)
        self.assertIn("refused a valid message", result.stderr)


if __name__ == "__main__":
    unittest.main()
