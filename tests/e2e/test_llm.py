"""The OpenAI-compatible provider through `agentrt run`: configuration overrides, streaming,
transient faults, a failing peer, and invalid tool calls fed back to the model."""

from __future__ import annotations

import unittest
from pathlib import Path

from e2e_support import EXIT_FAILED, EXIT_OK, E2ETestCase, definition, effect_tool

DEAD_URL = "http://127.0.0.1:9/v1"  # discard port: nothing listens


class LlmConfigTest(E2ETestCase):
    def setUp(self) -> None:
        super().setUp()
        self.llm = self.start_llm()

    def assertKeyNotLeaked(self, key: str, *runs) -> None:  # noqa: N802
        for run in runs:
            self.assertNotIn(key, run.stdout)
            self.assertNotIn(key, run.stderr)
        for path in Path(self.dir).iterdir():
            if path.name.startswith("agentrt.db"):
                self.assertNotIn(key.encode(), path.read_bytes(), f"the API key is stored in {path.name}")

    def test_definition_key_env_and_base_url(self) -> None:
        agent = self.write_definition(definition(llm_url=self.llm.base_url, api_key_env="E2E_LLM_KEY"))
        run = self.run_agent(agent, "hello", env={"E2E_LLM_KEY": "sk-from-definition-env"})
        self.assertExit(run, EXIT_OK)
        session = self.assertJsonProtocol(run, "idle", EXIT_OK)
        self.assertValidHistory(session, "echo: hello")
        self.assertEqual([r.headers.get("Authorization") for r in self.llm.chat_requests()],
                         ["Bearer sk-from-definition-env"])
        self.assertEqual(run.tokens(), "echo: hello", "the streamed tokens make up the answer")
        self.assertKeyNotLeaked("sk-from-definition-env", run)

    def test_environment_overrides_the_definition(self) -> None:
        agent = self.write_definition(definition(llm_url=DEAD_URL))
        run = self.run_agent(agent, "hello", env={"AGENTRT_LLM_BASE_URL": self.llm.base_url,
                                                  "AGENTRT_LLM_API_KEY": "sk-from-env",
                                                  "E2E_LLM_KEY": "sk-definition-loses"})
        self.assertExit(run, EXIT_OK)
        self.assertEqual([r.headers.get("Authorization") for r in self.llm.chat_requests()], ["Bearer sk-from-env"])
        self.assertKeyNotLeaked("sk-from-env", run)

    def test_flags_override_the_environment(self) -> None:
        agent = self.write_definition(definition(llm_url=DEAD_URL))
        run = self.run_agent(agent, "hello", "--llm-base-url", self.llm.base_url, "--llm-api-key", "sk-from-flag",
                             env={"AGENTRT_LLM_BASE_URL": DEAD_URL, "AGENTRT_LLM_API_KEY": "sk-env-loses"})
        self.assertExit(run, EXIT_OK)
        self.assertEqual([r.headers.get("Authorization") for r in self.llm.chat_requests()], ["Bearer sk-from-flag"])
        self.assertKeyNotLeaked("sk-from-flag", run)

    def test_db_from_environment(self) -> None:
        agent = self.write_definition(definition(llm_url=self.llm.base_url))
        other_db = str(Path(self.dir) / "from-env.db")
        run = self.spawn("run", agent, "--message", "hello", "--json", db=False,
                         env={"AGENTRT_DB": other_db}).finish(60)
        self.assertExit(run, EXIT_OK)
        self.db = other_db
        self.assertValidHistory(run.session, "echo: hello")

    def test_plain_output_streams_the_answer(self) -> None:
        agent = self.write_definition(definition(llm_url=self.llm.base_url))
        run = self.agentrt("run", agent, "--message", "hello there")
        self.assertExit(run, EXIT_OK)
        lines = run.stdout.rstrip("\n").splitlines()
        self.assertIn("echo: hello there", run.stdout)
        self.assertRegex(lines[-1], r"^session: \S+$")


class LlmFaultTest(E2ETestCase):
    def setUp(self) -> None:
        super().setUp()
        self.llm = self.start_llm()
        self.agent = self.write_definition(definition(llm_url=self.llm.base_url))

    def test_429_with_retry_after_then_success(self) -> None:
        self.llm.fail_next(2, 429, retry_after="0")
        run = self.run_agent(self.agent, "hello")
        self.assertExit(run, EXIT_OK)
        session = self.assertJsonProtocol(run, "idle", EXIT_OK)
        self.assertValidHistory(session, "echo: hello")
        self.assertEqual([r.status for r in self.llm.chat_requests()], [429, 429, 200])

    def test_500_then_success(self) -> None:
        self.llm.fail_next(2, 500)
        run = self.run_agent(self.agent, "hello")
        self.assertExit(run, EXIT_OK)
        self.assertValidHistory(self.assertJsonProtocol(run, "idle", EXIT_OK), "echo: hello")
        self.assertEqual([r.status for r in self.llm.chat_requests()], [500, 500, 200])

    def test_llm_that_keeps_failing_fails_the_session(self) -> None:
        self.llm.fail_next(50, 500)
        agent = self.write_definition(definition(llm_url=self.llm.base_url,
                                                 model_retry={"attempts": 3, "initial_backoff": "50ms"}), "fast.yaml")
        run = self.run_agent(agent, "hello")
        self.assertExit(run, EXIT_FAILED)
        session = self.assertJsonProtocol(run, "failed", EXIT_FAILED)
        self.assertIn("500", run.result.get("error", ""), f"the error says what the LLM answered: {run.result}")
        self.assertEqual(self.history(session)[-1]["type"], "SessionFailed")
        self.assertEqual(len(self.llm.chat_requests()), 3, "a 500 is retried up to retry.attempts")

    def test_wrong_key_fails_at_once_without_leaking_it(self) -> None:
        self.llm.required_key = "sk-the-right-one"
        run = self.run_agent(self.agent, "hello", env={"E2E_LLM_KEY": "sk-the-wrong-one"})
        self.assertExit(run, EXIT_FAILED)
        self.assertJsonProtocol(run, "failed", EXIT_FAILED)
        self.assertIn("401", run.result.get("error", ""), run.result)
        self.assertEqual(len(self.llm.chat_requests()), 1, "a 401 is not retried")
        self.assertNotIn("sk-the-wrong-one", run.stdout + run.stderr)


class InvalidToolCallTest(E2ETestCase):
    """Invalid tool calls go back to the model; more than max_invalid_replies in a row fail the turn."""

    def setUp(self) -> None:
        super().setUp()
        self.llm = self.start_llm()
        self.tools = self.start_tools()
        self.agent = self.write_definition(definition(
            llm_url=self.llm.base_url, tools=[effect_tool(self.tools.base_url)],
            policies={"max_steps_per_turn": 40, "max_invalid_replies": 2}))

    def errors_fed_back(self) -> list[str]:
        last = self.llm.chat_requests()[-1].body["messages"]
        return [m["content"] for m in last if m["role"] == "tool"]

    def test_model_corrects_itself(self) -> None:
        for directive, hint in (("bad args 2", "/n"), ("bad json 2", "JSON"), ("unknown tool 2", "no_such_tool")):
            with self.subTest(directive=directive):
                before = len(self.tools.snapshot())
                run = self.run_agent(self.agent, directive)
                self.assertExit(run, EXIT_OK)
                session = self.assertJsonProtocol(run, "idle", EXIT_OK)
                self.assertValidHistory(session, "fixed after 2")
                requests = self.tools.snapshot()[before:]
                self.assertEqual([r.body for r in requests], [{"n": 1}], "only the valid call reached the tool")
                fed_back = self.errors_fed_back()
                self.assertEqual(len(fed_back), 3, "two errors and one result went back to the model")
                for error in fed_back[:2]:
                    self.assertIn(hint, error, f"the error tells the model what was wrong: {error!r}")
        self.assertEqual(self.llm.protocol_errors, [])

    def test_too_many_invalid_replies_fail_the_turn(self) -> None:
        run = self.run_agent(self.agent, "bad args 3")
        self.assertExit(run, EXIT_FAILED)
        session = self.assertJsonProtocol(run, "failed", EXIT_FAILED)
        error = run.result.get("error", "")
        self.assertIn("invalid", error, run.result)
        self.assertIn("max_invalid_replies", error, "the reason names the policy")
        self.assertEqual(self.tools.snapshot(), [])
        events = self.history(session)
        self.assertEqual(events[-1]["type"], "SessionFailed")
        self.assertEqual(len(self.llm.chat_requests()), 3)


if __name__ == "__main__":
    unittest.main()
