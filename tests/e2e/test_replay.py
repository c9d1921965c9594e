"""`agentrt replay` (docs/versioning.md, docs/cli.md): the golden corpus testdata/histories
replays on this build; a changed definition diverges at the right event unless the change is
behind a patch; a new session records its patch markers; --session / --all replay the store;
--json is a stable report; bad input (corrupt file, newer format, gaps, unknown event types,
unknown session, bad flags) gets a clear error and the right exit status."""

from __future__ import annotations

import json
import shutil
import unittest
from pathlib import Path

from e2e_support import EXIT_FAILED, EXIT_OK, EXIT_USAGE, EXIT_WAITING, SOURCE_DIR, E2ETestCase, RunResult

CORPUS = SOURCE_DIR / "testdata" / "histories"
SOURCES = CORPUS / "sources"
PATCHED = SOURCES / "agent_v2_patched.yaml"
UNPATCHED = SOURCES / "agent_v2_unpatched.yaml"
ORIGINAL = SOURCES / "agent.yaml"


def corpus() -> dict[str, dict]:
    return {p.name: json.loads(p.read_text()) for p in sorted(CORPUS.glob("*.json"))}


def first_lookup_seq(doc: dict) -> int | None:
    """The seq of the first ToolRequested of `lookup`, or None."""
    for e in doc["events"]:
        if e["type"] == "ToolRequested" and e["data"]["name"] == "lookup":
            return e["seq"]
    return None


def has_marker(doc: dict, patch: str) -> bool:
    return any(e["type"] == "Marker" and e["data"].get("patch") == patch for e in doc["events"])


class ReplayTest(E2ETestCase):
    def replay(self, *args: str, db: bool = False) -> RunResult:
        return self.agentrt("replay", *args, db=db)

    def replay_report(self, *args: str, code: int, db: bool = False) -> dict:
        run = self.replay(*args, "--json", db=db)
        self.assertExit(run, code)
        return json.loads(run.stdout)

    def by_name(self, report: dict) -> dict[str, dict]:
        return {Path(h["name"]).name: h for h in report["histories"]}


class GoldenCorpus(ReplayTest):
    def test_the_corpus_replays_on_this_build(self) -> None:
        docs = corpus()
        self.assertGreaterEqual(len(docs), 11, "the corpus lost histories")
        run = self.replay(str(CORPUS))
        self.assertExit(run, EXIT_OK)
        for name in docs:
            self.assertIn(f"ok        {CORPUS / name} ({len(docs[name]['events'])} events)", run.stdout)
        self.assertIn(f"replayed {len(docs)} histories", run.stdout)
        report = self.replay_report(str(CORPUS), code=EXIT_OK)
        self.assertEqual((report["ok"], report["diverged"], report["errors"]), (len(docs), 0, 0))
        for h in report["histories"]:
            self.assertEqual(set(h) - {"notes"}, {"name", "status", "events"}, h)

    def test_the_corpus_covers_what_it_must(self) -> None:
        docs = corpus()

        def types(name: str) -> list[str]:
            return [e["type"] for e in docs[name]["events"]]

        def data(name: str, type_: str) -> list[dict]:
            return [e["data"] for e in docs[name]["events"] if e["type"] == type_]

        self.assertIn("ToolCompleted", types("tool_call.json"))
        self.assertIn(["ToolRequested", "ToolRequested"], [types("parallel_tools.json")[i:i + 2]
                                                            for i in range(len(types("parallel_tools.json")))])
        self.assertEqual(data("approval_yes.json", "InputRequested")[0]["kind"], "approval")
        self.assertIn("restart", [d["name"] for d in data("approval_yes.json", "ToolRequested")])
        self.assertNotIn("ToolRequested", types("approval_no.json"))
        self.assertEqual(data("ask_human.json", "InputRequested")[0]["kind"], "question")
        self.assertIn("TimerFired", types("sleep.json"))
        self.assertEqual(data("tool_failure_retries.json", "ToolFailed")[0]["attempts"], 2)
        self.assertEqual(types("invalid_tool_call.json").count("LlmCompleted"), 3)
        self.assertIn("max_steps_per_turn", data("budget_failed.json", "SessionFailed")[0]["reason"])
        self.assertEqual(docs["budget_failed.json"]["session"]["status"], "failed")
        self.assertEqual(types("multi_turn.json").count("TurnCompleted"), 3)
        self.assertTrue(has_marker(docs["patched_approval.json"], "approve-lookup"))


class DefinitionChanges(ReplayTest):
    def test_a_change_without_a_patch_diverges_at_the_first_lookup(self) -> None:
        report = self.replay_report(str(CORPUS), "--definition", str(UNPATCHED), code=EXIT_FAILED)
        histories = self.by_name(report)
        diverged = 0
        for name, doc in corpus().items():
            seq = first_lookup_seq(doc)
            h = histories[name]
            if seq is None or has_marker(doc, "approve-lookup"):
                self.assertEqual(h["status"], "ok", h)
                continue
            diverged += 1
            self.assertEqual(h["status"], "diverged", h)
            d = h["divergence"]
            self.assertEqual(d["seq"], seq, f"{name}: {d['summary']}")
            self.assertEqual(d["recorded"]["data"]["name"], "lookup")
            if name == "parallel_tools.json":
                # lookup now waits for approval; its sibling call (status) is requested alone first.
                self.assertEqual(d["expected"]["type"], "ToolRequested")
                self.assertEqual(d["expected"]["data"]["name"], "status")
                continue
            self.assertEqual((d["recorded"]["type"], d["expected"]["type"]), ("ToolRequested", "InputRequested"))
            self.assertEqual(d["expected"]["data"]["kind"], "approval")
            self.assertEqual(d["summary"], f"event {seq}: the history recorded ToolRequested, this build decided "
                                           "InputRequested")
        self.assertGreaterEqual(diverged, 5)
        self.assertEqual(report["diverged"], diverged)

    def test_the_same_change_behind_a_patch_replays_everything(self) -> None:
        report = self.replay_report(str(CORPUS), "--definition", str(PATCHED), code=EXIT_OK)
        self.assertEqual(report["diverged"] + report["errors"], 0)
        notes = self.by_name(report)["tool_call.json"]["notes"]
        self.assertIn("patch approve-lookup: no marker in this history, so it takes the old branch", notes)

    def test_dropping_a_patch_that_sessions_use_diverges(self) -> None:
        report = self.replay_report(str(CORPUS), "--definition", str(ORIGINAL), code=EXIT_FAILED)
        histories = self.by_name(report)
        self.assertEqual(report["diverged"], 1)
        d = histories["patched_approval.json"]["divergence"]
        self.assertEqual((d["recorded"]["type"], d["expected"]["type"]), ("InputRequested", "ToolRequested"))

    def test_the_human_report_shows_a_readable_diff(self) -> None:
        run = self.replay(str(CORPUS / "tool_call.json"), "--definition", str(UNPATCHED))
        self.assertExit(run, EXIT_FAILED)
        seq = first_lookup_seq(corpus()["tool_call.json"])
        self.assertIn(f"DIVERGED  {CORPUS / 'tool_call.json'}", run.stdout)
        self.assertIn(f"  event {seq}: the history recorded ToolRequested, this build decided InputRequested\n", run.stdout)
        self.assertIn(f"    --- history (event {seq})\n    +++ this build\n", run.stdout)
        self.assertIn('    -type: "ToolRequested"\n    +type: "InputRequested"\n', run.stdout)
        self.assertIn('    +data.kind: "approval"\n', run.stdout)
        self.assertIn("replayed 1 histories", run.stdout)
        self.assertIn("0 ok, 1 diverged, 0 errors", run.stdout)


class StoreAndNewSessions(ReplayTest):
    def test_a_new_session_records_its_patch_marker_and_replays_from_the_store(self) -> None:
        run = self.run_agent(str(PATCHED), "any vpn-ticket for me?")
        self.assertExit(run, EXIT_WAITING)  # the patch: lookup now needs approval
        session = run.session
        events = self.history(session)
        self.assertEqual([e["type"] for e in events[:2]], ["SessionStarted", "Marker"])
        self.assertEqual(events[1]["data"], {"patch": "approve-lookup"})
        self.assertExit(self.replay("--session", session, db=True), EXIT_OK)
        diverged = self.replay("--session", session, "--definition", str(ORIGINAL), db=True)
        self.assertExit(diverged, EXIT_FAILED)
        self.assertIn("this build decided ToolRequested", diverged.stdout)

    def test_all_sessions_of_the_store(self) -> None:
        for message in ("hello", "any vpn-ticket?"):
            self.assertExit(self.run_agent(str(ORIGINAL), message), EXIT_OK)
        report = self.replay_report("--all", code=EXIT_OK, db=True)
        self.assertEqual(report["ok"], 2)
        self.assertTrue(all(h["name"].startswith("session s-") for h in report["histories"]), report)
        unknown = self.replay("--session", "s-missing", db=True)
        self.assertExit(unknown, EXIT_USAGE)
        self.assertIn("agentrt replay: session s-missing not found in", unknown.stderr)


class BadInput(ReplayTest):
    def write_variant(self, name: str, change) -> Path:
        doc = json.loads((CORPUS / "tool_call.json").read_text())
        change(doc)
        path = self.dir / name
        path.write_text(json.dumps(doc))
        return path

    def test_each_bad_history_is_named_with_its_problem(self) -> None:
        (self.dir / "corrupt.json").write_text('{"format": "agentrt.history/1", "events": [')
        newer = self.write_variant("newer.json", lambda d: d.update(format="agentrt.history/2"))
        gap = self.write_variant("gap.json", lambda d: d["events"].pop(3))
        unknown = self.write_variant("unknown.json", lambda d: d["events"][2].update(type="ToolExploded"))
        (self.dir / "notes.txt").write_text("not a history: ignored")
        report = self.replay_report(str(self.dir), code=EXIT_FAILED)
        self.assertEqual((report["ok"], report["diverged"], report["errors"]), (0, 0, 4))
        errors = {Path(h["name"]).name: h["error"] for h in report["histories"]}
        self.assertIn(f"{self.dir / 'corrupt.json'}: not valid JSON: ", errors["corrupt.json"])
        self.assertEqual(errors["newer.json"], f"{newer}: history format agentrt.history/2 is newer than this build "
                                               "of agentrt reads (agentrt.history/1); replay it with a newer agentrt")
        self.assertEqual(errors["gap.json"], f"{gap}: events[3] has seq 5, expected 4 (events must be numbered 1, 2, "
                                             "3, ... without gaps)")
        self.assertEqual(errors["unknown.json"], f"{unknown}: events[2] (seq 3): unknown event type \"ToolExploded\" "
                                                 "(written by a newer agentrt, or the file was edited)")
        human = self.replay(str(newer))
        self.assertExit(human, EXIT_FAILED)
        self.assertIn(f"error     {newer}: history format agentrt.history/2 is newer", human.stdout)

    def test_an_edited_definition_is_refused(self) -> None:
        edited = self.write_variant("edited.json", lambda d: d["definition"].update(system="edited"))
        report = self.replay_report(str(edited), code=EXIT_FAILED)
        self.assertIn("the recorded definition hashes to", report["histories"][0]["error"])

    def test_usage_errors_exit_2(self) -> None:
        cases = {
            (): "give exactly one of FILE or DIR",
            (str(CORPUS), "--all"): "give exactly one of FILE or DIR",
            (str(self.dir / "missing.json"),): f"cannot read {self.dir / 'missing.json'}: No such file or directory",
            (str(self.dir),): f"no *.json or *.jsonl histories in {self.dir}",
            (str(CORPUS), "--definition", str(self.dir / "nope.yaml")): "nope.yaml",
        }
        for args, message in cases.items():
            run = self.replay(*args)
            self.assertExit(run, EXIT_USAGE)
            self.assertIn(message, run.stderr, args)

    def test_json_lines_histories_replay_too(self) -> None:
        doc = json.loads((CORPUS / "approval_yes.json").read_text())
        events = doc.pop("events")
        lines = [json.dumps(doc)] + [json.dumps(e) for e in events]
        (self.dir / "approval_yes.jsonl").write_text("\n".join(lines) + "\n")
        shutil.copy(CORPUS / "sleep.json", self.dir / "sleep.json")
        report = self.replay_report(str(self.dir), code=EXIT_OK)
        self.assertEqual(report["ok"], 2)


if __name__ == "__main__":
    unittest.main()
