"""The KV endpoints of `agentrt serve` (docs/serve.md, "KV"): GET/PUT/DELETE /v1/bots/{bot}/kv.

Entries round-trip as JSON; the org is the token's, so another org's token sees nothing of
acme's entries (and its writes never touch them); two bots of one org are two scopes; every
bad request gets its documented status and code and writes nothing (checked on the SQLite
file, opened read-only); entries survive a restart of serve.
"""

from __future__ import annotations

import sqlite3
import unittest
import urllib.parse

from e2e_support import E2ETestCase, definition
from serve_support import ServeProc, token_env, write_serve_config

MAX_BODY = 200_000  # room for a value over 64 KiB, so the KV bound (not the body's) refuses it


class ServeKvTest(E2ETestCase):
    def setUp(self) -> None:
        super().setUp()
        agent = self.write_definition(definition())
        self.config = write_serve_config(self.dir, db=self.db, bots={"support": agent, "sales": agent},
                                         extra={"http": {"max_body_bytes": MAX_BODY}})
        self.worker = self.start_worker()

    def start_worker(self) -> ServeProc:
        worker = ServeProc(self.spawn("serve", "--config", self.config, env=token_env(), db=False))
        self.addCleanup(lambda: worker.proc.kill9())
        return worker

    def get(self, *keys: str, org: str | None = "acme", bot: str = "support") -> tuple[int, dict]:
        query = urllib.parse.urlencode([("key", k) for k in keys])
        return self.worker.request("GET", f"/v1/bots/{bot}/kv?{query}", org=org)

    def put(self, entries, org: str | None = "acme", bot: str = "support") -> tuple[int, dict]:
        return self.worker.request("PUT", f"/v1/bots/{bot}/kv", org=org, body={"entries": entries})

    def delete(self, *keys: str, org: str | None = "acme", bot: str = "support") -> tuple[int, dict]:
        query = urllib.parse.urlencode([("key", k) for k in keys])
        return self.worker.request("DELETE", f"/v1/bots/{bot}/kv?{query}", org=org)

    def rows(self) -> list[tuple]:
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10)
        try:
            return con.execute("SELECT org, bot, key, value FROM kv ORDER BY org, bot, key").fetchall()
        finally:
            con.close()

    def assertError(self, answer: tuple[int, dict], status: int, code: str) -> None:  # noqa: N802
        self.assertEqual(answer[0], status, answer)
        self.assertEqual(answer[1].get("error", {}).get("code"), code, answer)

    def test_entries_round_trip_and_missing_keys_are_listed(self) -> None:
        values = {"plan": {"tier": "gold", "seats": 12}, "note": "été ☕", "flag": True, "nothing": None,
                  "odd key & = / ?": [1, 2.5, "x"]}
        status, body = self.put(values)
        self.assertEqual((status, body), (200, {"bot": "support", "written": 5}))
        status, body = self.get(*values.keys(), "absent", "plan")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["entries"], values)
        self.assertEqual(body["missing"], ["absent"])
        status, body = self.put({"plan": {"tier": "platinum"}})
        self.assertEqual(status, 200, body)
        self.assertEqual(self.get("plan")[1]["entries"], {"plan": {"tier": "platinum"}})
        status, body = self.delete("plan", "never-there")
        self.assertEqual((status, body), (200, {"bot": "support", "erased": 2}))
        status, body = self.get("plan", "flag")
        self.assertEqual(body["entries"], {"flag": True})
        self.assertEqual(body["missing"], ["plan"])

    def test_another_orgs_token_sees_and_touches_nothing_of_ours(self) -> None:
        self.assertEqual(self.put({"secret": "acme only"})[0], 200)
        status, body = self.get("secret", org="globex")
        self.assertEqual((status, body["entries"], body["missing"]), (200, {}, ["secret"]))
        self.assertEqual(self.put({"secret": "globex's own"}, org="globex")[0], 200)
        self.assertEqual(self.delete("secret", org="globex")[0], 200)
        self.assertEqual(self.get("secret")[1]["entries"], {"secret": "acme only"})
        self.assertEqual(self.get("secret", org="globex")[1]["entries"], {})
        self.assertEqual(self.rows(), [("acme", "support", "secret", '"acme only"')])

    def test_two_bots_of_one_org_are_two_scopes(self) -> None:
        self.assertEqual(self.put({"k": "support"})[0], 200)
        self.assertEqual(self.put({"k": "sales"}, bot="sales")[0], 200)
        self.assertEqual(self.get("k")[1]["entries"], {"k": "support"})
        self.assertEqual(self.get("k", bot="sales")[1]["entries"], {"k": "sales"})

    def test_bad_requests_get_their_documented_errors_and_write_nothing(self) -> None:
        self.assertError(self.get("a", org=None), 401, "unauthorized")
        self.assertError(self.get("a", org="not-a-real-token-0123456789"), 401, "unauthorized")
        self.assertError(self.put({"a": 1}, org=None), 401, "unauthorized")
        self.assertError(self.get("a", bot="nobody"), 404, "unknown_bot")
        self.assertError(self.put({"a": 1}, bot="nobody"), 404, "unknown_bot")
        self.assertError(self.worker.request("GET", "/v1/bots/support/kv"), 400, "invalid_request")
        self.assertEqual(self.worker.request("GET", "/v1/bots/support/kv?key=%zz")[0], 400)
        self.assertError(self.get("k" * 513), 400, "invalid_request")
        self.assertError(self.get(""), 400, "invalid_request")
        self.assertError(self.get(*[f"k{i}" for i in range(251)]), 400, "invalid_request")
        self.assertError(self.delete(), 400, "invalid_request")
        self.assertError(self.put({}), 400, "invalid_request")
        self.assertError(self.put(["a"]), 400, "invalid_request")
        self.assertError(self.worker.request("PUT", "/v1/bots/support/kv", body=b"{not json"), 400, "invalid_json")
        self.assertError(self.worker.request("PUT", "/v1/bots/support/kv", body={"entries": {"a": 1}, "extra": 2}),
                         400, "invalid_request")
        status, body = self.put({"fine": 1, "big": "v" * 70_000})
        self.assertError((status, body), 400, "invalid_request")
        self.assertIn("65536", body["error"]["message"])
        self.assertError(self.put({"fine": 1, "k" * 600: 1}), 400, "invalid_request")
        self.assertEqual(self.rows(), [])

    def test_entries_survive_a_restart(self) -> None:
        self.assertEqual(self.put({"kept": {"n": 1}})[0], 200)
        self.worker.stop()
        self.worker = self.start_worker()
        self.assertEqual(self.get("kept")[1]["entries"], {"kept": {"n": 1}})


if __name__ == "__main__":
    unittest.main()
