"""Streaming across workers through Redis pub/sub (output_hub: redis).

An API-only worker A (dispatch.max_active_sessions: 0) serves an SSE client; worker B runs the
session; both share the database and a real redis-server. Tokens are never stored, so a client
on A can only see B's tokens live through Redis: with the in-process hub it gets none. B reads
the session's pinned definition through the Redis cache (agentrt:def:<hash>). Then
Redis is killed mid-session: both workers keep working from the store (/readyz 200 but
"degraded", agentrt_redis_up 0, durable events still reach the client, in order), and when
Redis returns the tokens flow again.

The KV reads through Redis too: a value written on one worker is seen on the other at once
(its in-process cache is told through agentrt:invalidate, well before that cache's 5 s TTL);
and a worker that applies a new configuration tells the other, which reloads although its own
periodic reloads are off.
"""

from __future__ import annotations

import time
import unittest
import urllib.request
from pathlib import Path

from e2e_support import E2ETestCase, definition, effect_tool, read_history, to_yaml
from redis_support import RedisServer, redis_available
from serve_support import ServeProc, SseStream, expected_stream, token_env, wait_until, write_serve_config


def metric(text: str, name: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return None


@unittest.skipUnless(redis_available(), "needs redis-server (scripts/setup)")
class ServeRedisTest(E2ETestCase):
    def setUp(self) -> None:
        super().setUp()
        self.redis = RedisServer()
        self.addCleanup(self.redis.close)
        llm = self.start_llm(reply_delay=0.2)
        tools = self.start_tools(delay=0.2)
        self.agent_doc = definition(llm_url=llm.base_url, tools=[effect_tool(tools.base_url)])
        agent = self.write_definition(self.agent_doc)
        self.agent_path = Path(agent)
        hub = {"output_hub": "redis", "redis": {"url": self.redis.url, "connect_timeout": "300ms",
                                                "command_timeout": "500ms"}}
        # The runner reads its files every 200 ms; the API worker never does by itself.
        runner = write_serve_config(self.dir, db=self.db, bots={"effects": agent}, max_active=16,
                                    extra={**hub, "config_reload_interval": "200ms"})
        (self.dir / "runner.yaml").write_text(Path(runner).read_text())
        write_serve_config(self.dir, db=self.db, bots={"effects": agent}, max_active=0,
                           extra={**hub, "config_reload_interval": "off"})
        (self.dir / "api.yaml").write_text((self.dir / "serve.yaml").read_text())
        self.api = self.start_worker(str(self.dir / "api.yaml"))
        self.runner = self.start_worker(str(self.dir / "runner.yaml"))

    def start_worker(self, config: str) -> ServeProc:
        worker = ServeProc(self.spawn("serve", "--config", config, env=token_env(), db=False))
        self.addCleanup(lambda: worker.proc.kill9())
        return worker

    def readyz(self, worker: ServeProc) -> tuple[int, dict]:
        return worker.request("GET", "/readyz", org=None)

    def redis_up(self, worker: ServeProc) -> float | None:
        with urllib.request.urlopen(f"http://127.0.0.1:{worker.port}/metrics", timeout=10) as response:
            return metric(response.read().decode(), "agentrt_redis_up")

    def assertInOrderAndComplete(self, stream: SseStream, session: str) -> None:  # noqa: N802
        got = stream.durable()
        seqs = [seq for seq, _ in got]
        self.assertEqual(seqs, sorted(set(seqs)), f"durable events repeated or reordered: {got}")
        history = read_history(self.db, session)
        self.assertEqual(got, [e for e in expected_stream(history) if e[0] <= seqs[-1]], "the stream differs from the history")

    def test_a_client_on_one_worker_streams_a_session_on_another_and_survives_a_redis_outage(self) -> None:
        self.assertTrue(wait_until(lambda: "degraded" not in self.readyz(self.api)[1], 10), self.readyz(self.api))
        self.assertEqual(self.redis_up(self.api), 1.0)
        status, body = self.api.request("POST", "/v1/sessions", body={"bot": "effects", "message": {"text": "effects 2 par 1"}})
        self.assertEqual(status, 201, body)
        session = body["session"]["id"]
        stream = SseStream(self.api.port, session)
        self.addCleanup(stream.close)
        self.assertTrue(stream.wait_for(lambda e: e["event"] == "turn_completed", 30), stream.events)
        tokens = [e for e in stream.events if e["event"] == "token"]
        self.assertTrue(tokens, f"live tokens from the other worker came through Redis: {stream.events}")
        self.assertInOrderAndComplete(stream, session)
        self.assertEqual(len(self.redis.keys("agentrt:def:*")), 1, "the runner read the pinned definition through the cache")

        # Redis dies: both workers go on from the store and say they are degraded.
        self.redis.stop()
        self.assertTrue(wait_until(lambda: "degraded" in self.readyz(self.api)[1], 10))
        status, ready = self.readyz(self.api)
        self.assertEqual(status, 200, "Redis is optional: still ready")
        self.assertEqual(ready["degraded"][0]["name"], "redis")
        self.assertIn(f"127.0.0.1:{self.redis.port}", ready["degraded"][0]["detail"])
        self.assertEqual(self.redis_up(self.api), 0.0)
        status, body = self.api.request("POST", f"/v1/sessions/{session}/messages", body={"text": "effects 1 par 1"})
        self.assertEqual(status, 202, body)
        self.assertTrue(stream.wait_for(lambda e: e["event"] == "turn_completed" and e["data"]["turn"] == 2, 30),
                        stream.events)
        self.assertInOrderAndComplete(stream, session)
        self.assertFalse(stream.closed.is_set(), "the stream stays open through the outage")

        # Redis returns: live again, tokens included.
        self.redis.start()
        self.assertTrue(wait_until(lambda: "degraded" not in self.readyz(self.api)[1]
                                   and "degraded" not in self.readyz(self.runner)[1], 15))
        self.assertEqual(self.redis_up(self.api), 1.0)
        before = len([e for e in stream.events if e["event"] == "token"])
        status, body = self.api.request("POST", f"/v1/sessions/{session}/messages", body={"text": "hello again"})
        self.assertEqual(status, 202, body)
        self.assertTrue(stream.wait_for(lambda e: e["event"] == "turn_completed" and e["data"]["turn"] == 3, 30),
                        stream.events)
        self.assertGreater(len([e for e in stream.events if e["event"] == "token"]), before, "tokens flow again")
        self.assertInOrderAndComplete(stream, session)

    def kv_get(self, worker: ServeProc, key: str) -> object:
        status, body = worker.request("GET", f"/v1/bots/effects/kv?key={key}")
        self.assertEqual(status, 200, body)
        return body["entries"].get(key)

    def test_kv_writes_on_one_worker_are_seen_on_the_other_at_once(self) -> None:
        self.assertTrue(wait_until(lambda: "degraded" not in self.readyz(self.api)[1]
                                   and "degraded" not in self.readyz(self.runner)[1], 10))
        status, body = self.api.request("PUT", "/v1/bots/effects/kv", body={"entries": {"plan": "silver"}})
        self.assertEqual(status, 200, body)
        self.assertEqual(self.kv_get(self.runner, "plan"), "silver")
        self.assertEqual(self.kv_get(self.runner, "plan"), "silver")  # now in the runner's own cache
        self.assertEqual(len(self.redis.keys("agentrt:kv:*")), 1, "the read went through Redis")
        for value in ("gold", "platinum"):
            status, body = self.api.request("PUT", "/v1/bots/effects/kv", body={"entries": {"plan": value}})
            self.assertEqual(status, 200, body)
            written = time.monotonic()
            self.assertTrue(wait_until(lambda v=value: self.kv_get(self.runner, "plan") == v, 10))
            self.assertLess(time.monotonic() - written, 4.0, "seen before the in-process cache's 5 s TTL")
        # The runner's read put the value in Redis: the API worker, which never read it, gets it there.
        self.assertEqual(self.kv_get(self.api, "plan"), "platinum")
        with urllib.request.urlopen(f"http://127.0.0.1:{self.api.port}/metrics", timeout=10) as response:
            scraped = response.read().decode()
        redis_hits = [line for line in scraped.splitlines()
                      if line.startswith("agentrt_kv_cache_lookups_total{") and 'layer="redis"' in line
                      and 'outcome="hit"' in line]
        self.assertTrue(redis_hits and float(redis_hits[0].rsplit(" ", 1)[1]) >= 1, scraped)
        # Another org never sees it, through any cache.
        status, body = self.runner.request("GET", "/v1/bots/effects/kv?key=plan", org="globex")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["entries"], {})

    def test_a_reload_on_one_worker_makes_the_other_reload(self) -> None:
        self.assertTrue(wait_until(lambda: "degraded" not in self.readyz(self.api)[1]
                                   and "degraded" not in self.readyz(self.runner)[1], 10))
        status, before = self.api.request("POST", "/v1/sessions", body={"bot": "effects"})
        self.assertEqual(status, 201, before)
        changed = dict(self.agent_doc, system="You are the agent after the rollout.")
        fresh = self.agent_path.with_name(self.agent_path.name + ".new")
        fresh.write_text(to_yaml(changed) + "\n")
        fresh.replace(self.agent_path)

        def api_has_new_definition() -> bool:
            status, after = self.api.request("POST", "/v1/sessions", body={"bot": "effects"})
            self.assertEqual(status, 201, after)
            return after["session"]["definition_hash"] != before["session"]["definition_hash"]

        self.assertTrue(wait_until(api_has_new_definition, 15),
                        "the runner applied the change and told the API worker, whose own reloads are off")

    def test_bad_redis_settings_stop_serve_naming_them(self) -> None:
        api = str(self.dir / "api.yaml")
        bad_url = self.spawn("serve", "--config", api, "--redis-url", "http://127.0.0.1:1", env=token_env(), db=False)
        result = bad_url.finish(10)
        self.assertEqual(result.code, 2, result.describe())
        self.assertIn("redis.url", result.stderr)
        env = dict(token_env(), AGENTRT_REDIS_PASSWORD_ENV="AGENTRT_TEST_UNSET_REDIS_PASSWORD")
        no_password = self.spawn("serve", "--config", api, env=env, db=False)
        result = no_password.finish(10)
        self.assertEqual(result.code, 2, result.describe())
        self.assertIn("AGENTRT_TEST_UNSET_REDIS_PASSWORD", result.stderr)


if __name__ == "__main__":
    unittest.main()
