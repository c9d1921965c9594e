"""Helpers of the e2e tests that run next to DynamoDB Local and fauxqs (tests/aws/with_aws_peers.sh
exports AGENTRT_TEST_DYNAMODB_ENDPOINT and AGENTRT_TEST_SQS_ENDPOINT): the AWS environment of a
serve process, plain AWS JSON 1.0 calls (neither server checks signatures), an SQS FIFO queue,
and a session's history and lease read straight from the DynamoDB table (item shapes in
backends/aws/README.md, "DynamoDB table design")."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from pathlib import Path

from e2e_support import E2ETestCase
from serve_support import ServeProc, token_env, write_serve_config

DYNAMODB_ENDPOINT = os.environ.get("AGENTRT_TEST_DYNAMODB_ENDPOINT", "")
SQS_ENDPOINT = os.environ.get("AGENTRT_TEST_SQS_ENDPOINT", "")


def aws_env(folder: Path, dynamodb_endpoint: str | None = None) -> dict:
    """Static test credentials, no metadata service, no profile files; DynamoDB Local's endpoint."""
    return {"AWS_ACCESS_KEY_ID": "AKIDLOCAL", "AWS_SECRET_ACCESS_KEY": "local-secret",
            "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_SHARED_CREDENTIALS_FILE": str(folder / "none"), "AWS_CONFIG_FILE": str(folder / "none"),
            "AGENTRT_DYNAMODB_ENDPOINT": dynamodb_endpoint or DYNAMODB_ENDPOINT}


def aws_call(endpoint: str, target: str, body: dict, timeout: float = 10) -> dict:
    """One AWS JSON 1.0 call (`target` like "AmazonSQS.SendMessage" or "DynamoDB_20120810.Query")."""
    service = "sqs" if target.startswith("AmazonSQS") else "dynamodb"
    request = urllib.request.Request(
        endpoint, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target,
                 "Authorization": f"AWS4-HMAC-SHA256 Credential=AKIDLOCAL/20260101/us-east-1/{service}/aws4_request, "
                                  "SignedHeaders=host, Signature=00"})
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return json.loads(answer.read() or b"{}")


def sqs(operation: str, body: dict) -> dict:
    return aws_call(SQS_ENDPOINT, f"AmazonSQS.{operation}", body)


def create_fifo_queue(prefix: str = "e2e") -> str:
    """A new FIFO queue on fauxqs; its URL."""
    name = f"{prefix}-{time.time_ns() % 10**12}.fifo"
    return sqs("CreateQueue", {"QueueName": name, "Attributes": {"FifoQueue": "true"}})["QueueUrl"]


def queue_counts(queue_url: str) -> tuple[int, int]:
    """(visible, in flight) messages of a queue."""
    attributes = sqs("GetQueueAttributes", {"QueueUrl": queue_url, "AttributeNames": ["All"]})["Attributes"]
    return int(attributes.get("ApproximateNumberOfMessages", 0)), \
        int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0))


class DynamoDbSessions:
    """Reads sessions of one agentrt table the way the tests read the SQLite file: the history
    [{seq, type, time_ms, data}], the lease (owner, epoch, expires_ms), which sessions have
    completed their turn. Consistent reads, so a test sees every acknowledged write."""

    def __init__(self, table: str, endpoint: str | None = None):
        self.table = table
        self.endpoint = endpoint or DYNAMODB_ENDPOINT
        self._done: set[str] = set()  # sessions seen completed (one turn each: it stays so)

    def _call(self, operation: str, body: dict) -> dict:
        return aws_call(self.endpoint, f"DynamoDB_20120810.{operation}", {"TableName": self.table, **body}
                        if operation != "BatchGetItem" else body)

    def history(self, session: str) -> list[dict]:
        events: list[dict] = []
        start = None
        while True:
            body = {"KeyConditionExpression": "pk = :pk AND begins_with(sk, :e)", "ConsistentRead": True,
                    "ExpressionAttributeValues": {":pk": {"S": f"S#{session}"}, ":e": {"S": "E#"}}}
            if start:
                body["ExclusiveStartKey"] = start
            page = self._call("Query", body)
            for item in page.get("Items", []):
                if "#P#" in item["sk"]["S"]:
                    raise AssertionError(f"{session}: a split event ({item['sk']['S']}): not expected in these tests")
                events.append({"seq": int(item["seq"]["N"]), "type": item["type"]["S"],
                               "time_ms": int(item["time"]["N"]), "data": json.loads(item["data"]["S"])})
            start = page.get("LastEvaluatedKey")
            if not start:
                return events

    def _metas(self, sessions: list[str]) -> dict[str, dict]:
        """META items of the sessions (BatchGetItem by 100, unprocessed keys asked again)."""
        found: dict[str, dict] = {}
        for i in range(0, len(sessions), 100):
            keys = [{"pk": {"S": f"S#{s}"}, "sk": {"S": "META"}} for s in sessions[i:i + 100]]
            while keys:
                answer = self._call("BatchGetItem", {"RequestItems": {self.table: {"Keys": keys, "ConsistentRead": True}}})
                for item in answer.get("Responses", {}).get(self.table, []):
                    found[item["pk"]["S"][2:]] = item
                keys = answer.get("UnprocessedKeys", {}).get(self.table, {}).get("Keys", [])
        return found

    def lease(self, session: str) -> tuple[str, int, int]:
        item = self._metas([session]).get(session, {})
        owner = item.get("owner", {}).get("S", "")
        return owner, int(item.get("epoch", {}).get("N", 0)), int(item.get("expires", {}).get("N", 0)) if owner else 0

    def completed(self, sessions: list[str]) -> set[str]:
        """The sessions whose last event is TurnCompleted."""
        todo = [s for s in sessions if s not in self._done]
        metas = self._metas(todo)
        last = {s: int(m["last_seq"]["N"]) for s, m in metas.items()}
        for i in range(0, len(todo), 100):
            keys = [{"pk": {"S": f"S#{s}"}, "sk": {"S": f"E#{last[s]:020d}"}} for s in todo[i:i + 100] if s in last]
            while keys:
                answer = self._call("BatchGetItem", {"RequestItems": {self.table: {"Keys": keys, "ConsistentRead": True}}})
                for item in answer.get("Responses", {}).get(self.table, []):
                    if item["type"]["S"] == "TurnCompleted":
                        self._done.add(item["pk"]["S"][2:])
                keys = answer.get("UnprocessedKeys", {}).get(self.table, {}).get("Keys", [])
        return {s for s in sessions if s in self._done}


class AwsServeTestCase(E2ETestCase):
    """A test case of serve on DynamoDB Local + fauxqs: a fresh table (`agentrt admin
    create-tables`) and FIFO queue per test, the AWS environment, `store` to read the table,
    `config()` for serve and `start_worker()`. Fails without the peers' endpoints."""

    def setUp(self) -> None:
        super().setUp()
        if not DYNAMODB_ENDPOINT or not SQS_ENDPOINT:
            self.fail("AGENTRT_TEST_DYNAMODB_ENDPOINT/AGENTRT_TEST_SQS_ENDPOINT are not set: "
                      "run through tests/aws/with_aws_peers.sh")
        self.aws = aws_env(self.dir)
        self.table = f"e2e-{os.getpid()}-{self._testMethodName[-12:]}"
        run = self.agentrt("admin", "create-tables", "--table", self.table, "--json", env=self.aws, db=False)
        self.assertEqual(run.code, 0, run.describe())
        self.queue_url = create_fifo_queue()
        self.store = DynamoDbSessions(self.table)

    def config(self, agent: str, *, dynamodb_endpoint: str = "", sqs_endpoint: str = "", **kwargs) -> str:
        """serve on the table and the SQS inbox (endpoints: the peers', or a proxy's) with the bot
        "effects"; a short visibility timeout, so a message held by a killed worker's consumer
        comes back soon. kwargs go to write_serve_config."""
        inbox = {"kind": "sqs", "queue_url": self.queue_url, "endpoint": sqs_endpoint or SQS_ENDPOINT,
                 "wait": "1s", "visibility": "5s"}
        store = {"kind": "dynamodb", "table": self.table}
        if dynamodb_endpoint:
            store["endpoint"] = dynamodb_endpoint
        return write_serve_config(self.dir, db=self.db, bots={"effects": agent}, extra={"store": store, "inbox": inbox},
                                  **kwargs)

    def start_worker(self, config: str) -> ServeProc:
        worker = ServeProc(self.spawn("serve", "--config", config, env={**token_env(), **self.aws}, db=False))
        self.addCleanup(lambda: worker.proc.kill9())
        return worker
