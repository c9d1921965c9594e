"""The kv_get/kv_put built-in tools through `agentrt run` (docs/definitions.md, built-in tools):
the scripted model saves a value in one session and reads it in another session of the same
bot; the entry lives in the SQLite database's kv table under the session's org and bot; each
call is recorded as ToolRequested/ToolCompleted, and `agentrt replay` of the history succeeds
after the KV is emptied, since replay reads the recorded results and never touches the KV.
"""

from __future__ import annotations

import json
import sqlite3
import unittest

from e2e_support import EXIT_OK, E2ETestCase, read_history

SCRIPT = """
turns:
  - match: "save"
    replies:
      - tool_calls:
          - {name: remember, arguments: {entries: {region: "eu", seats: 3}}}
      - content: "saved"
  - match: "recall"
    replies:
      - tool_calls:
          - {name: recall, arguments: {keys: [region, absent]}}
      - content: "recalled"
"""

AGENT = """
name: kv-agent
version: 1
model:
  provider: scripted
  name: fake
  script: replies.yaml
system: You keep notes.
tools:
  - {name: remember, builtin: kv_put}
  - {name: recall, builtin: kv_get}
"""


class KvToolsTest(E2ETestCase):
    def kv_rows(self) -> list[tuple]:
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10)
        try:
            return con.execute("SELECT org, bot, key, value FROM kv ORDER BY key").fetchall()
        finally:
            con.close()

    def completed(self, session: str) -> list[dict]:
        return [json.loads(e["data"]["output"]) for e in read_history(self.db, session) if e["type"] == "ToolCompleted"]

    def test_a_value_saved_by_one_session_is_read_by_the_next_and_replay_needs_no_kv(self) -> None:
        (self.dir / "replies.yaml").write_text(SCRIPT)
        agent = self.write_definition(AGENT)
        saved = self.run_agent(agent, "save my region", "--org", "acme")
        self.assertEqual(saved.code, EXIT_OK, saved.describe())
        self.assertEqual(self.kv_rows(), [("acme", "kv-agent", "region", '"eu"'), ("acme", "kv-agent", "seats", "3")])
        self.assertEqual(self.completed(saved.session), [{"written": 2}])

        recalled = self.run_agent(agent, "recall it", "--org", "acme")
        self.assertEqual(recalled.code, EXIT_OK, recalled.describe())
        self.assertEqual(self.completed(recalled.session), [{"entries": {"region": "eu"}, "missing": ["absent"]}])
        other_org = self.run_agent(agent, "recall it", "--org", "globex")
        self.assertEqual(other_org.code, EXIT_OK, other_org.describe())
        self.assertEqual(self.completed(other_org.session), [{"entries": {}, "missing": ["region", "absent"]}])

        con = sqlite3.connect(self.db, timeout=10)
        try:
            con.execute("DELETE FROM kv")
            con.commit()
        finally:
            con.close()
        replayed = self.agentrt("replay", "--session", recalled.session)
        self.assertEqual(replayed.code, EXIT_OK, replayed.describe())


if __name__ == "__main__":
    unittest.main()
