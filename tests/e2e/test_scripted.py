"""`agentrt run` offline with the scripted provider (docs/scripted-provider.md): exit statuses
0/3/1/2, the --json line protocol, the session line, several turns, and usage errors and bad
definitions (exit 2, the message names the file and the line)."""

from __future__ import annotations

import unittest

from e2e_support import EXIT_FAILED, EXIT_OK, EXIT_USAGE, EXIT_WAITING, E2ETestCase

SCRIPT = """\
turns:
  - match: "use the tool"
    replies:
      - content: "Calling the tool."
        tool_calls:
          - {name: keyecho, arguments: {n: 1}}
      - content: "the tool answered"
  - match: "question"
    replies:
      - tool_calls:
          - {name: ask_human, arguments: {question: "Your name?"}}
      - content: "thanks for answering"
  - match: "exhaust"
    replies:
      - tool_calls:
          - {name: keyecho, arguments: {n: 2}}
  - replies:
      - content: "hello from the script"
"""

AGENT = """\
name: scripted-agent
version: 1
model:
  provider: scripted
  script: replies.yaml
system: You are a scripted test agent.
tools:
  - name: keyecho
    description: Prints its idempotency key.
    parameters: {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    command:
      argv: ["sh", "-c", "cat >/dev/null; printf '%s' \\"$AGENTRT_IDEMPOTENCY_KEY\\""]
      timeout: 10s
  - name: ask_human
    builtin: ask_human
"""


class ScriptedRunTest(E2ETestCase):
    def setUp(self) -> None:
        super().setUp()
        (self.dir / "replies.yaml").write_text(SCRIPT)
        self.agent = self.write_definition(AGENT)

    def test_answer_exit_0_and_json_protocol(self) -> None:
        run = self.run_agent(self.agent, "hi there", "--org", "acme", "--bot", "helper", "--message-id", "m-1")
        self.assertExit(run, EXIT_OK)
        session = self.assertJsonProtocol(run, "idle", EXIT_OK)
        first = run.lines[0]
        self.assertEqual((first["org"], first["bot"]), ("acme", "helper"))
        self.assertRegex(first["definition_hash"], r"^[0-9a-f]{64}$")
        self.assertEqual(run.tokens(), "hello from the script", "tokens stream the answer")
        events = self.assertValidHistory(session, "hello from the script")
        started = events[0]["data"]
        self.assertEqual((started.get("org"), started.get("bot"), started.get("definition_hash")),
                         ("acme", "helper", first["definition_hash"]))
        received = [e["data"] for e in events if e["type"] == "MessageReceived"]
        self.assertEqual(received, [{"message_id": "m-1", "text": "hi there"}])
        self.assertEqual([e["seq"] for e in run.events()], [e["seq"] for e in events],
                         "one event line per appended event")

    def test_command_tool_gets_the_idempotency_key_and_a_second_turn(self) -> None:
        run = self.run_agent(self.agent, "please use the tool")
        self.assertExit(run, EXIT_OK)
        session = self.assertJsonProtocol(run, "idle", EXIT_OK)
        events = self.assertValidHistory(session, "the tool answered")
        requested = [e for e in events if e["type"] == "ToolRequested"]
        completed = [e for e in events if e["type"] == "ToolCompleted"]
        self.assertEqual(len(requested), 1)
        self.assertEqual(completed[0]["data"].get("output"), f"{session}:{requested[0]['seq']}")
        # The next message starts turn 2 of the same session.
        again = self.resume(session, "hi again")
        self.assertExit(again, EXIT_OK)
        events = self.assertValidHistory(session, "hello from the script")
        self.assertEqual([e["data"].get("turn") for e in events if e["type"] == "TurnCompleted"], [1, 2])

    def test_question_exit_3_then_answer(self) -> None:
        run = self.run_agent(self.agent, "a question for you")
        self.assertExit(run, EXIT_WAITING)
        session = self.assertJsonProtocol(run, "waiting_for_input", EXIT_WAITING)
        self.assertEqual((run.result["waiting_for"]["kind"], run.result["waiting_for"]["prompt"]),
                         ("question", "Your name?"))
        answered = self.resume(session, "Carol")
        self.assertExit(answered, EXIT_OK)
        self.assertValidHistory(session, "thanks for answering")
        events = self.history(session)
        asked = next(e["seq"] for e in events if e["type"] == "InputRequested")
        self.assertIn("Carol", [e["data"].get("text") for e in events[asked:] if e["type"] == "MessageReceived"],
                      "the answer is recorded after the question")

    def test_exhausted_script_fails_with_exit_1(self) -> None:
        run = self.run_agent(self.agent, "exhaust it")
        self.assertExit(run, EXIT_FAILED)
        session = self.assertJsonProtocol(run, "failed", EXIT_FAILED)
        self.assertIn("script", run.result.get("error", ""), run.result)
        self.assertEqual(self.history(session)[-1]["type"], "SessionFailed")
        plain = self.agentrt("run", "--session", session)
        self.assertNotEqual(plain.code, EXIT_OK, "a failed session does not run again\n" + plain.describe())

    def test_plain_output(self) -> None:
        run = self.agentrt("run", self.agent, "--message", "hi")
        self.assertExit(run, EXIT_OK)
        lines = run.stdout.rstrip("\n").splitlines()
        self.assertIn("hello from the script", run.stdout)
        self.assertRegex(lines[-1], r"^session: \S+$")
        self.assertEqual(self.history(lines[-1].split(": ", 1)[1])[-1]["type"], "TurnCompleted")


class UsageAndDefinitionErrorTest(E2ETestCase):
    def setUp(self) -> None:
        super().setUp()
        (self.dir / "replies.yaml").write_text(SCRIPT)

    def assertUsage(self, run, *patterns: str) -> None:  # noqa: N802
        self.assertExit(run, EXIT_USAGE)
        self.assertEqual(run.stdout.strip(), "", "errors go to stderr")
        for pattern in patterns:
            self.assertRegex(run.stderr, pattern, run.describe())

    def test_unknown_key_names_file_and_line(self) -> None:
        agent = self.write_definition(AGENT.replace("      timeout: 10s\n", "      timout: 10s\n"), "typo.yaml")
        self.assertUsage(self.run_agent(agent, "hi"), r"typo\.yaml:13\b", r"timout")

    def test_unknown_provider_names_file_and_line(self) -> None:
        agent = self.write_definition(AGENT.replace("provider: scripted", "provider: opnai"), "provider.yaml")
        self.assertUsage(self.run_agent(agent, "hi"), r"provider\.yaml:4\b", r"opnai")

    def test_yaml_syntax_error_names_file_and_line(self) -> None:
        agent = self.write_definition(AGENT.replace("system: You", "system: [You"), "syntax.yaml")
        self.assertUsage(self.run_agent(agent, "hi"), r"syntax\.yaml:\d+")

    def test_bad_script_names_the_script(self) -> None:
        (self.dir / "broken.yaml").write_text("turns:\n  - replies:\n      - content: [unclosed\n")
        agent = self.write_definition(AGENT.replace("script: replies.yaml", "script: broken.yaml"), "agent2.yaml")
        self.assertUsage(self.run_agent(agent, "hi"), r"broken\.yaml")

    def test_missing_definition_file(self) -> None:
        self.assertUsage(self.run_agent(str(self.dir / "nope.yaml"), "hi"), r"nope\.yaml")

    def test_usage_errors(self) -> None:
        agent = self.write_definition(AGENT)
        self.assertUsage(self.agentrt("run", db=False))
        self.assertUsage(self.agentrt("run", agent, "--message", "hi", "--no-such-flag"), r"no-such-flag")
        self.assertUsage(self.agentrt("no-such-command", db=False))

    def test_unknown_session(self) -> None:
        run = self.agentrt("run", "--session", "no-such-session", "--message", "hi")
        self.assertIn(run.code, (EXIT_FAILED, EXIT_USAGE), run.describe())
        self.assertIn("no-such-session", run.stderr, "the error names the session")


if __name__ == "__main__":
    unittest.main()
