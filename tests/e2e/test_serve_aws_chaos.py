"""The chaos and fencing tests of test_serve_workers.py on DynamoDB + SQS: three `agentrt serve`
workers on one DynamoDB Local table with the SQS FIFO inbox on fauxqs. Sessions are created
through the HTTP API without a message; each message is then sent through the API, which puts
it on the queue, and some worker's consumer moves it into the store.

THE CHAOS TEST: a random worker is killed with SIGKILL every 1.5-3 s and a new one started.
Every session completes, every history is valid, the tool server applied exactly one effect
per ToolRequested (per Idempotency-Key), every message left the queue. Sized for DynamoDB
Local on 2 shared cores: 60 sessions of 2-4 tool calls created over 20 s, kills during the
first 22 s (6-10 kills), everything done within 90 s (about 25 s in practice, the whole file
about 50 s; AGENTRT_E2E_CHAOS_SESSIONS changes the count, AGENTRT_E2E_SEED replays a kill
schedule).

THE FENCING TEST: a worker stopped with SIGSTOP mid-tool-call past its lease; another takes the
session over and finishes it; the first, resumed, is fenced and abandons the session.

Run through tests/aws/with_aws_peers.sh (ctest e2e_serve_aws_chaos); without its endpoints the
tests FAIL.
"""

from __future__ import annotations

import os
import unittest

from aws_support import AwsServeTestCase, queue_counts
from e2e_support import definition, effect_tool
from serve_support import ChaosPlan, assert_chaos_effects_once, first_try_hangs, run_chaos, run_sigstop_fencing, wait_until

SESSIONS = int(os.environ.get("AGENTRT_E2E_CHAOS_SESSIONS", "60"))


class ServeChaosOnAwsTest(AwsServeTestCase):
    def test_chaos_kill9_workers_on_dynamodb_and_sqs_every_session_completes_once(self) -> None:
        llm = self.start_llm(reply_delay=0.1)
        tools = self.start_tools(delay=0.3)
        agent = self.write_definition(definition(llm_url=llm.base_url, tools=[effect_tool(tools.base_url, retries=4)]))
        config = self.config(agent, ttl="2s", heartbeat="500ms", poll="200ms", max_active=16)
        plan = ChaosPlan(sessions=SESSIONS, create_s=20.0, chaos_s=22.0, deadline_s=90.0, min_kills=5,
                         message_after_create=True)
        out = run_chaos(self, plan, self.store, lambda: self.start_worker(config))
        self.assertGreaterEqual(out.taken_over, 1, "kills interrupted sessions that other workers then finished")
        assert_chaos_effects_once(self, out, self.store, llm, tools)
        self.assertTrue(wait_until(lambda: queue_counts(self.queue_url) == (0, 0), 10),
                        f"every message left the queue: {queue_counts(self.queue_url)}")

    def test_sigstopped_worker_on_dynamodb_is_fenced_after_takeover(self) -> None:
        llm = self.start_llm()
        tools = self.start_tools(delay=first_try_hangs(4.0))
        agent = self.write_definition(definition(llm_url=llm.base_url, tools=[effect_tool(tools.base_url, timeout="30s")]))
        config = self.config(agent, ttl="1500ms", heartbeat="500ms")
        run_sigstop_fencing(self, self.store, lambda: self.start_worker(config), tools, message_after_create=True)
        self.assertEqual(queue_counts(self.queue_url), (0, 0), "every message left the queue")


if __name__ == "__main__":
    unittest.main()
