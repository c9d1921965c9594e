"""Reloading `agentrt serve`'s configuration while it runs (docs/serve.md, "Reloading the
configuration").

A changed definition is used by new sessions while a running session keeps the definition it
was pinned to; a broken file and a change only a restart can make are refused with an error
naming the problem, and the server goes on with the configuration in force; SIGHUP reloads at
once when periodic reloads are off, and so does a change of the config_version_key KV entry.
"""

from __future__ import annotations

import os
import signal
import unittest
import urllib.request
from pathlib import Path

from e2e_support import E2ETestCase, definition, to_yaml
from serve_support import ServeProc, token_env, wait_until, write_serve_config


def replace_file(path: Path, text: str) -> None:
    """Writes like a deploy tool does: a new file renamed over the old one, so the server never
    reads half of it (a half-written file is refused, then the whole one applied)."""
    fresh = path.with_name(path.name + ".new")
    fresh.write_text(text)
    os.replace(fresh, path)


def reloads(worker: ServeProc, outcome: str) -> float:
    """agentrt_config_reloads_total{outcome} from the worker's /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{worker.port}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith("agentrt_config_reloads_total{") and f'outcome="{outcome}"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


class ServeReloadTest(E2ETestCase):
    def start(self, interval: str, extra: dict | None = None) -> tuple[ServeProc, str]:
        llm = self.start_llm()
        self.llm_url = llm.base_url
        agent = self.write_definition(definition(llm_url=llm.base_url), "helper.yaml")
        config = write_serve_config(self.dir, db=self.db, bots={"helper": agent},
                                    extra={"config_reload_interval": interval, "log_level": "info", **(extra or {})})
        worker = ServeProc(self.spawn("serve", "--config", config, env={**token_env(), "E2E_LLM_KEY": "k"}, db=False))
        self.addCleanup(lambda: worker.proc.kill9())
        return worker, config

    def rewrite_definition(self, system: str) -> None:
        doc = definition(llm_url=self.llm_url)
        doc["system"] = system
        replace_file(self.dir / "helper.yaml", to_yaml(doc) + "\n")

    def create(self, worker: ServeProc, text: str | None = None) -> dict:
        body: dict = {"bot": "helper"}
        if text is not None:
            body["message"] = {"text": text}
        status, answer = worker.request("POST", "/v1/sessions", body=body)
        self.assertEqual(status, 201, answer)
        return answer["session"]

    def wait_idle(self, worker: ServeProc, session: str, after_seq: int = 0) -> dict:
        """The session once its turn ended (idle, nothing pending, history past after_seq)."""
        got: dict = {}

        def idle() -> bool:
            nonlocal got
            _, got = worker.request("GET", f"/v1/sessions/{session}")
            s = got.get("session", {})
            return s.get("status") == "idle" and s.get("pending_messages") == 0 and s.get("last_seq", 0) > after_seq

        self.assertTrue(wait_until(idle, 30), got)
        return got["session"]

    def stderr(self, worker: ServeProc) -> str:
        """What the worker logged so far (JSON log lines, wherever they went)."""
        return "\n".join(worker.proc.out_lines) + "".join(worker.proc.err_chunks)

    def test_new_sessions_get_the_new_definition_and_running_ones_keep_theirs(self) -> None:
        worker, config = self.start("200ms")
        first = self.create(worker, "hello")
        done = self.wait_idle(worker, first["id"], 1)

        self.rewrite_definition("You are the changed agent.")
        self.assertTrue(wait_until(lambda: reloads(worker, "applied") >= 1, 15), self.stderr(worker))
        second = self.create(worker)
        self.assertNotEqual(second["definition_hash"], first["definition_hash"])
        self.assertIn("configuration reloaded: bot helper: definition " + first["definition_hash"][:12],
                      self.stderr(worker))

        # The first session's next turn still runs the definition it started with.
        status, answer = worker.request("POST", f"/v1/sessions/{first['id']}/messages", body={"text": "again"})
        self.assertIn(status, (200, 201, 202), answer)
        after = self.wait_idle(worker, first["id"], done["last_seq"])
        self.assertEqual(after["definition_hash"], first["definition_hash"])

        # A broken file: refused, said once with where, and the server goes on as it was.
        replace_file(Path(config), Path(config).read_text() + "dispatch: [not, a, mapping\n")
        self.assertTrue(wait_until(lambda: reloads(worker, "refused") >= 1, 15), self.stderr(worker))
        self.assertRegex(self.stderr(worker),
                         r"configuration reload refused, the running configuration stays in force: .*serve\.yaml:\d+")
        third = self.create(worker, "still here")
        self.assertEqual(third["definition_hash"], second["definition_hash"])
        self.wait_idle(worker, third["id"], 1)
        self.assertEqual(reloads(worker, "refused"), 1, "the same problem is reported once")

        # A change only a restart can make (the store) refuses the whole reload, the definition
        # change made with it included.
        (self.dir / "next").mkdir()
        other = write_serve_config(self.dir / "next", db=self.db + "-other",
                                   bots={"helper": str(self.dir / "helper.yaml")},
                                   extra={"config_reload_interval": "200ms", "log_level": "info"})
        replace_file(Path(config), Path(other).read_text())
        self.rewrite_definition("You are a third agent.")
        self.assertTrue(wait_until(lambda: reloads(worker, "refused") >= 2, 15), self.stderr(worker))
        self.assertIn("changed settings that only a restart applies: db", self.stderr(worker))
        self.assertEqual(self.create(worker)["definition_hash"], second["definition_hash"])
        self.assertTrue(worker.alive())
        result = worker.stop()
        self.assertEqual(result.code, 0, result.describe())

    def test_sighup_reloads_at_once_when_periodic_reloads_are_off(self) -> None:
        worker, _ = self.start("off")
        before = self.create(worker)
        self.rewrite_definition("You are the agent after SIGHUP.")
        worker.proc.popen.send_signal(signal.SIGHUP)
        self.assertTrue(wait_until(lambda: reloads(worker, "applied") >= 1, 15), self.stderr(worker))
        self.assertNotEqual(self.create(worker)["definition_hash"], before["definition_hash"])
        result = worker.stop()
        self.assertEqual(result.code, 0, result.describe())

    def test_a_changed_config_version_key_reloads_at_once_when_periodic_reloads_are_off(self) -> None:
        version_key = {"org": "acme", "bot": "helper", "key": "config_version"}
        worker, _ = self.start("off", {"config_version_key": version_key})
        before = self.create(worker)
        self.rewrite_definition("You are the agent of version 2.")
        # Nothing reads the files by itself: the key is unchanged (absent) so far.
        self.assertFalse(wait_until(lambda: reloads(worker, "applied") >= 1, 3))
        self.assertEqual(self.create(worker)["definition_hash"], before["definition_hash"])

        status, answer = worker.request("PUT", "/v1/bots/helper/kv", body={"entries": {"config_version": 2}})
        self.assertEqual(status, 200, answer)
        self.assertTrue(wait_until(lambda: reloads(worker, "applied") >= 1, 15), self.stderr(worker))
        self.assertNotEqual(self.create(worker)["definition_hash"], before["definition_hash"])
        self.assertIn("config_version_key acme/helper/config_version changed", self.stderr(worker))

        # Another org's entry of the same name is another entry: it reloads nothing.
        status, answer = worker.request("PUT", "/v1/bots/helper/kv", org="globex",
                                        body={"entries": {"config_version": 3}})
        self.assertEqual(status, 200, answer)
        self.assertFalse(wait_until(lambda: self.stderr(worker).count("config_version_key acme/helper") > 1, 3))
        result = worker.stop()
        self.assertEqual(result.code, 0, result.describe())

    def test_a_bad_config_version_key_stops_serve_naming_it(self) -> None:
        config = write_serve_config(self.dir, db=self.db, bots={},
                                    extra={"config_version_key": {"org": "acme", "bot": "", "key": "v"}})
        result = self.spawn("serve", "--config", config, env=token_env(), db=False).finish(10)
        self.assertEqual(result.code, 2, result.describe())
        self.assertRegex(result.stderr, r"serve\.yaml:\d+:\d+: config_version_key: kv entry: bot must have 1 to 128 bytes")
        good = write_serve_config(self.dir, db=self.db, bots={})
        env = {**token_env(), "AGENTRT_CONFIG_VERSION_KEY": "acme-only"}
        result = self.spawn("serve", "--config", good, env=env, db=False).finish(10)
        self.assertEqual(result.code, 2, result.describe())
        self.assertIn("AGENTRT_CONFIG_VERSION_KEY: expected org/bot/key", result.stderr)


if __name__ == "__main__":
    unittest.main()
