"""`agentrt serve --store dynamodb` on Amazon DynamoDB Local: `agentrt admin create-tables`
(twice: idempotent), then a session's turn through the HTTP API (a tool call against the tool
server, the answer streamed over SSE), a second message to the same session, and a serve
refused on a table that create-tables never made; `agentrt export --store dynamodb` of the session.

Run through tests/aws/with_aws_peers.sh (ctest e2e_serve_dynamodb), which starts DynamoDB Local
and exports AGENTRT_TEST_DYNAMODB_ENDPOINT; without it the tests FAIL.
"""

from __future__ import annotations

import json
import time
import unittest

from aws_support import DYNAMODB_ENDPOINT, aws_env
from e2e_support import E2ETestCase, definition, effect_tool
from serve_support import ServeProc, SseStream, token_env, wait_until, write_serve_config

ENDPOINT = DYNAMODB_ENDPOINT


class ServeOnDynamoDbTest(E2ETestCase):
    def setUp(self) -> None:
        super().setUp()
        if not ENDPOINT:
            self.fail("AGENTRT_TEST_DYNAMODB_ENDPOINT is not set: run through tests/aws/with_aws_peers.sh")
        self.table = f"e2e-{int(time.time() * 1000) % 10**9}-{self._testMethodName[-12:]}"
        self.aws = aws_env(self.dir)

    def create_tables(self) -> dict:
        run = self.agentrt("admin", "create-tables", "--table", self.table, "--json", env=self.aws, db=False)
        self.assertEqual(run.code, 0, run.describe())
        return json.loads(run.stdout.strip().splitlines()[-1])

    def test_create_tables_is_idempotent_and_serve_runs_turns_on_dynamodb(self) -> None:
        self.assertEqual(self.create_tables(), {"table": self.table, "outcome": "created", "status": "ACTIVE"})
        self.assertEqual(self.create_tables()["outcome"], "existed")

        llm = self.start_llm()
        tools = self.start_tools()
        agent = self.write_definition(definition(llm_url=llm.base_url, tools=[effect_tool(tools.base_url)]))
        config = write_serve_config(self.dir, db=self.db, bots={"effects": agent},
                                    extra={"store": {"kind": "dynamodb", "table": self.table}})
        worker = ServeProc(self.spawn("serve", "--config", config, env={**token_env(), **self.aws}, db=False))
        self.addCleanup(lambda: worker.proc.kill9())

        status, body = worker.request("POST", "/v1/sessions",
                                      body={"bot": "effects", "message": {"text": "effects 2 par 1", "message_id": "m1"}})
        self.assertEqual(status, 201, body)
        session = body["session"]["id"]
        stream = SseStream(worker.port, session, from_seq=0)
        self.addCleanup(stream.close)
        self.assertTrue(stream.wait_for(lambda e: e["event"] == "output" and "done 2" in json.dumps(e["data"]), 30),
                        f"the turn's answer streamed; got {stream.events[-3:]}")
        self.assertTrue(wait_until(lambda: worker.request("GET", f"/v1/sessions/{session}")[1]["session"]["status"]
                                   == "idle", 10))
        self.assertEqual(len(tools.effects), 2, "each tool effect applied once")

        status, body = worker.request("POST", f"/v1/sessions/{session}/messages", body={"text": "hello", "message_id": "m2"})
        self.assertEqual(status, 202, body)
        if not stream.wait_for(lambda e: e["event"] == "turn_completed" and e["data"].get("turn") == 2, 30):
            self.fail(f"no second turn: {worker.request('GET', f'/v1/sessions/{session}')} {stream.events[-4:]}\n"
                      f"{worker.stop(10).describe()}")
        status, body = worker.request("POST", f"/v1/sessions/{session}/messages", body={"text": "hello", "message_id": "m2"})
        self.assertEqual((status, body["error"]["code"]), (409, "duplicate_message"), body)  # dedup is forever
        status, body = worker.request("GET", "/v1/sessions?limit=10")
        self.assertEqual(status, 200, body)
        self.assertEqual([s["id"] for s in body["sessions"]], [session])

        # The KV API on DynamoDB (BatchWriteItem/BatchGetItem), scoped by the token's org.
        entries = {f"k{i}": {"i": i} for i in range(30)}  # over one BatchWriteItem (25)
        self.assertEqual(worker.request("PUT", "/v1/bots/effects/kv", body={"entries": entries}),
                         (200, {"bot": "effects", "written": 30}))
        query = "&".join(f"key=k{i}" for i in range(31))
        status, body = worker.request("GET", f"/v1/bots/effects/kv?{query}")
        self.assertEqual((status, body["entries"], body["missing"]), (200, entries, ["k30"]))
        status, body = worker.request("GET", "/v1/bots/effects/kv?key=k1", org="globex")
        self.assertEqual((status, body["entries"]), (200, {}))
        self.assertEqual(worker.stop(30).code, 0)

        # agentrt export reads the history from the DynamoDB table (the document replay reads).
        run = self.agentrt("export", session, "--store", "dynamodb", "--dynamodb-table", self.table, env=self.aws,
                           db=False)
        self.assertEqual(run.code, 0, run.describe())
        exported = json.loads(run.stdout)
        types = [e["type"] for e in exported["events"]]
        self.assertEqual(types[0], "SessionStarted")
        self.assertEqual(types.count("TurnCompleted"), 2)
        self.assertEqual(exported["session"]["id"], session)
        run = self.agentrt("export", "s-nope", "--store", "dynamodb", "--dynamodb-table", self.table, env=self.aws,
                           db=False)
        self.assertEqual(run.code, 2, run.describe())

    def test_serve_refuses_a_table_without_the_schema(self) -> None:
        llm = self.start_llm()
        agent = self.write_definition(definition(llm_url=llm.base_url))
        config = write_serve_config(self.dir, db=self.db, bots={"echo": agent})
        run = self.spawn("serve", "--config", config, "--store", "dynamodb", "--dynamodb-table", self.table,
                         env={**token_env(), **self.aws}, db=False).finish(30)
        self.assertEqual(run.code, 1, run.describe())
        self.assertIn("agentrt admin create-tables", run.stderr)
        self.assertIn(self.table, run.stderr)


if __name__ == "__main__":
    unittest.main()
