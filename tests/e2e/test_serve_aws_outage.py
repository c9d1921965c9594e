"""Throttling and outages of DynamoDB and SQS under running `agentrt serve` workers.

Two workers reach DynamoDB Local and fauxqs through fault_proxy.FaultProxy; sessions (their
messages sent through SQS) run while the proxies, in turn:
  1. throttle 60% of the requests to both for 4 s: the workers retry and carry on;
  2. drop every DynamoDB connection for ~4 s: /readyz answers 503 naming the store within a
     few seconds, and 200 again after;
  3. drop every SQS connection: /readyz names the inbox queue; a message sent meanwhile is
     refused with 503 (nothing half-sent) and accepted once sent again after;
  4. throttle every DynamoDB request for 3 s: calls give up, /readyz says "throttled".
Then every session completes with a valid history, each tool effect was applied once, and
the queue is empty. About 25 s.

Run through tests/aws/with_aws_peers.sh (ctest e2e_serve_aws_outage); without its endpoints
the tests FAIL.
"""

from __future__ import annotations

import time
import unittest

from aws_support import DYNAMODB_ENDPOINT, SQS_ENDPOINT, AwsServeTestCase, queue_counts
from e2e_support import definition, effect_tool, effects_turn_problems, tool_effect_problems
from fault_proxy import THROTTLING, FaultProxy
from serve_support import ServeProc, create_effects_session, wait_until


class ServeAwsOutageTest(AwsServeTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.ddb = FaultProxy(DYNAMODB_ENDPOINT, THROTTLING["dynamodb"]).start()
        self.addCleanup(self.ddb.stop)
        self.sqs = FaultProxy(SQS_ENDPOINT, THROTTLING["sqs"]).start()
        self.addCleanup(self.sqs.stop)
        self.sessions: dict[str, int] = {}

    def readyz(self, worker: ServeProc) -> tuple[int, str]:
        status, body = worker.request("GET", "/readyz", org=None, timeout=10)
        return status, body.get("error", {}).get("message", body.get("status", ""))

    def assert_readiness(self, workers: list[ServeProc], ready: bool, naming: str = "", timeout: float = 15) -> None:
        def matches(worker: ServeProc) -> bool:
            status, message = self.readyz(worker)
            return status == 200 if ready else (status == 503 and naming in message)
        for worker in workers:
            self.assertTrue(wait_until(lambda: matches(worker), timeout, step=0.2),
                            f"{worker.worker}: /readyz expected {'200' if ready else '503 naming ' + naming!r}, "
                            f"got {self.readyz(worker)}; proxies {self.ddb.counts} {self.sqs.counts}")

    def add_sessions(self, worker: ServeProc, count: int) -> None:
        for _ in range(count):
            i = len(self.sessions)
            n, par = 2 + i % 3, 1 + i % 2
            session = create_effects_session(self, worker, f"effects {n} par {par} #o{i}#", f"m{i}", True)
            self.sessions[session] = n

    def test_throttling_and_outages_of_dynamodb_and_sqs_lose_nothing_and_show_in_readyz(self) -> None:
        llm = self.start_llm(reply_delay=0.1)
        tools = self.start_tools(delay=0.4)
        agent = self.write_definition(definition(llm_url=llm.base_url, tools=[effect_tool(tools.base_url, retries=4)]))
        config = self.config(agent, dynamodb_endpoint=self.ddb.url, sqs_endpoint=self.sqs.url, ttl="2s",
                             heartbeat="500ms")
        workers = [self.start_worker(config), self.start_worker(config)]
        self.assert_readiness(workers, True)

        # 1. Throttling: retried with backoff, the sessions go on.
        self.add_sessions(workers[0], 6)
        self.ddb.set("throttle", 0.6)
        self.sqs.set("throttle", 0.6)
        time.sleep(4)
        self.ddb.set("pass")
        self.sqs.set("pass")
        self.assertGreater(self.ddb.counts["throttled"], 0)

        # 2. DynamoDB gone mid-run: not ready, naming the store; ready again after.
        self.add_sessions(workers[1], 6)
        time.sleep(0.5)
        self.ddb.set("refuse")
        self.assert_readiness(workers, False, f"store (dynamodb table {self.table}) unreachable")
        time.sleep(2)
        self.ddb.set("pass")
        self.assert_readiness(workers, True)

        # 3. SQS gone: not ready, naming the queue; a message sent meanwhile is refused, not lost.
        self.add_sessions(workers[0], 4)
        status, body = workers[1].request("POST", "/v1/sessions", body={"bot": "effects"})
        self.assertEqual(status, 201, body)
        late = body["session"]["id"]
        self.sqs.set("refuse")
        self.assert_readiness(workers, False, "inbox queue (sqs ")
        message = {"text": "effects 2 par 1 #late#", "message_id": "m-late"}
        status, body = workers[1].request("POST", f"/v1/sessions/{late}/messages", body=message)
        self.assertEqual(status, 503, body)
        self.sqs.set("pass")
        self.assert_readiness(workers, True)
        status, body = workers[1].request("POST", f"/v1/sessions/{late}/messages", body=message)
        self.assertEqual(status, 202, body)
        self.sessions[late] = 2

        # 4. DynamoDB throttling every request: calls give up, "throttled"; then it passes again.
        self.ddb.set("throttle", 1.0)
        self.assert_readiness(workers, False, "throttled", timeout=10)
        time.sleep(1)
        self.ddb.set("pass")
        self.assert_readiness(workers, True)

        store = self.store
        sessions = list(self.sessions)
        if not wait_until(lambda: set(sessions) <= store.completed(sessions), 60, step=0.5):
            self.fail(f"not completed: {sorted(set(sessions) - store.completed(sessions))}; proxies {self.ddb.counts} "
                      f"{self.sqs.counts}\n" + "\n".join(w.stop(10).describe()[-3000:] for w in workers))
        for worker in workers:
            result = worker.stop(60)
            self.assertEqual(result.code, 0, result.describe()[-3000:])
        requests, effect_keys = tools.snapshot(), tools.effect_keys()
        for session, n in self.sessions.items():
            events = store.history(session)
            self.assertEqual(effects_turn_problems(events, n) + tool_effect_problems(session, events, requests, effect_keys),
                             [], f"session {session}")
        self.assertEqual(queue_counts(self.queue_url), (0, 0), "every message left the queue")
        print(f"\n[outage] {len(self.sessions)} sessions; dynamodb proxy {self.ddb.counts}, sqs proxy {self.sqs.counts}")


if __name__ == "__main__":
    unittest.main()
