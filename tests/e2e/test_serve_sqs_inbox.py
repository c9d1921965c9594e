"""`agentrt serve` with `inbox: {kind: sqs}` on fauxqs: a message sent through the HTTP API goes
to the SQS FIFO queue, the worker's consumer moves it into the store and the session runs the
turn; the same message id sent again is accepted and deduplicated (no second turn).

Run through tests/aws/with_aws_peers.sh (ctest e2e_serve_sqs_inbox), which starts fauxqs and
exports AGENTRT_TEST_SQS_ENDPOINT; without it the tests FAIL.
"""

from __future__ import annotations

import time
import unittest

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

    def test_a_message_through_sqs_runs_a_turn_and_a_repeat_is_deduplicated(self) -> None:
        llm = self.start_llm()
        tools = self.start_tools()
        agent = self.write_definition(definition(llm_url=llm.base_url, tools=[effect_tool(tools.base_url)]))
        inbox = {"kind": "sqs", "queue_url": self.queue_url, "endpoint": ENDPOINT, "wait": "1s", "visibility": "5s"}
        config = write_serve_config(self.dir, db=self.db, bots={"effects": agent}, extra={"inbox": inbox})
        worker = ServeProc(self.spawn("serve", "--config", config, env={**token_env(), **self.aws}, db=False))
        self.addCleanup(lambda: worker.proc.kill9())

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
        self.assertEqual(worker.stop(30).code, 0)


if __name__ == "__main__":
    unittest.main()
