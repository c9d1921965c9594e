#include "core/replay/replay_engine.hpp"

#include <gtest/gtest.h>

#include "core/replay/testing/synthetic_history.hpp"

namespace agentrt {
namespace {

using json = nlohmann::json;
using testing::HistoryRecorder;
using testing::synthetic_definition;
using testing::synthetic_history;

// Removes events[index] and renumbers the rest, as if the history never had it.
void erase_event(History& h, std::size_t index) {
  h.events.erase(h.events.begin() + static_cast<std::ptrdiff_t>(index));
  for (std::size_t i = 0; i < h.events.size(); ++i) h.events[i].seq = EventSeq{static_cast<std::int64_t>(i) + 1};
}

std::size_t index_of(const History& h, EventType type, std::size_t from = 0) {
  for (std::size_t i = from; i < h.events.size(); ++i) {
    if (h.events[i].type == type) return i;
  }
  ADD_FAILURE() << "no " << event_type_name(type) << " in the history";
  return 0;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(ReplayEngine, ARecordedHistoryReplaysOnItsOwnDefinition) {
  const auto def = synthetic_definition();
  const History h = synthetic_history(def, 10, "synthetic");
  const auto out = replay_history(h, nullptr);
  EXPECT_EQ(out.status, ReplayStatus::ok) << out.error << (out.divergence ? out.divergence->summary : "");
  EXPECT_EQ(out.events, static_cast<std::int64_t>(h.events.size()));
  EXPECT_TRUE(out.notes.empty());
}

TEST(ReplayEngine, AToolThatNowNeedsApprovalDivergesAtItsFirstCall) {
  const auto old_def = synthetic_definition();
  const History h = synthetic_history(old_def, 3, "synthetic");
  const auto new_def = synthetic_definition("", "    requires_approval: true\n");
  const auto out = replay_history(h, &new_def);
  ASSERT_EQ(out.status, ReplayStatus::diverged);
  const Divergence& d = *out.divergence;
  const std::size_t first_call = index_of(h, EventType::ToolRequested);
  EXPECT_EQ(d.seq, h.events[first_call].seq.value);
  EXPECT_EQ(d.kind, Divergence::Kind::different_decision);
  EXPECT_EQ(d.recorded["type"], "ToolRequested");
  EXPECT_EQ(d.expected["type"], "InputRequested");
  EXPECT_EQ(d.expected["data"]["kind"], "approval");
  EXPECT_EQ(d.summary, "event " + std::to_string(d.seq) + ": the history recorded ToolRequested, this build decided InputRequested");
  EXPECT_TRUE(contains(d.diff, "-type: \"ToolRequested\"\n+type: \"InputRequested\"\n")) << d.diff;
  EXPECT_TRUE(contains(d.diff, " data.call_id: \"a1\"\n")) << d.diff;
  EXPECT_TRUE(contains(d.diff, "+data.kind: \"approval\"\n")) << d.diff;
}

TEST(ReplayEngine, ThePatchedDefinitionReplaysOldHistoriesAndNewOnesTakeThePatch) {
  const auto old_def = synthetic_definition();
  const History old_history = synthetic_history(old_def, 3, "old");
  const auto patched = synthetic_definition("patches:\n  - {id: approve-lookup, tools: {lookup: {requires_approval: true}}}\n");
  const auto out = replay_history(old_history, &patched);
  EXPECT_EQ(out.status, ReplayStatus::ok) << (out.divergence ? out.divergence->diff : out.error);
  ASSERT_EQ(out.notes.size(), 2u);
  EXPECT_TRUE(contains(out.notes[1], "patch approve-lookup: no marker")) << out.notes[1];

  // A new session records the marker and asks for approval; its history replays on the patched
  // definition and diverges on the old one, which does not know the patch.
  HistoryRecorder r(patched);
  r.input(EventType::Marker, {{"patch", "approve-lookup"}});
  r.message("hello");
  r.reply("", json::array({HistoryRecorder::call("c1", "lookup", R"({"q":"a"})")}));
  EXPECT_EQ(r.events().back().type, EventType::InputRequested);
  const History new_history = r.history("new");
  EXPECT_EQ(replay_history(new_history, nullptr).status, ReplayStatus::ok);
  EXPECT_EQ(replay_history(new_history, &old_def).status, ReplayStatus::diverged);
}

TEST(ReplayEngine, ADecisionTheDeciderDidNotMakeDiverges) {
  const auto def = synthetic_definition();
  History h = synthetic_history(def, 2, "synthetic");
  // A second OutputEmitted where the decider decided TurnCompleted.
  const std::size_t output = index_of(h, EventType::OutputEmitted);
  h.events.insert(h.events.begin() + static_cast<std::ptrdiff_t>(output) + 1, h.events[output]);
  for (std::size_t i = 0; i < h.events.size(); ++i) h.events[i].seq = EventSeq{static_cast<std::int64_t>(i) + 1};
  auto out = replay_history(h, nullptr);
  ASSERT_EQ(out.status, ReplayStatus::diverged);
  EXPECT_EQ(out.divergence->seq, static_cast<std::int64_t>(output) + 2);
  EXPECT_EQ(out.divergence->kind, Divergence::Kind::different_decision);

  // A decision after the session completed its turn and nothing was decided.
  History extra = synthetic_history(def, 1, "synthetic");
  extra.events.push_back(Event{EventSeq{static_cast<std::int64_t>(extra.events.size()) + 1}, EventType::OutputEmitted, 0,
                               {{"text", "unsolicited"}}});
  out = replay_history(extra, nullptr);
  ASSERT_EQ(out.status, ReplayStatus::diverged);
  EXPECT_EQ(out.divergence->kind, Divergence::Kind::unexpected_decision);
  EXPECT_TRUE(out.divergence->expected.is_null());
  EXPECT_TRUE(contains(out.divergence->summary, "this build decided nothing"));
}

TEST(ReplayEngine, ADecisionMissingFromTheHistoryDivergesAtTheNextInput) {
  const auto def = synthetic_definition();
  History h = synthetic_history(def, 2, "synthetic");
  const std::size_t llm = index_of(h, EventType::LlmRequested);
  erase_event(h, llm);  // the LlmCompleted that follows now answers a request never recorded
  const auto out = replay_history(h, nullptr);
  ASSERT_EQ(out.status, ReplayStatus::diverged);
  EXPECT_EQ(out.divergence->kind, Divergence::Kind::missing_decision);
  EXPECT_EQ(out.divergence->seq, static_cast<std::int64_t>(llm) + 1);
  EXPECT_EQ(out.divergence->recorded["type"], "LlmCompleted");
  EXPECT_EQ(out.divergence->expected["type"], "LlmRequested");
  EXPECT_TRUE(contains(out.divergence->summary, "this build decided LlmRequested before this LlmCompleted"));
}

TEST(ReplayEngine, BatchedMessagesMayPrecedeTheirCommands) {
  const auto def = synthetic_definition();
  HistoryRecorder r(def);
  r.message("first");
  History h = r.history("batched");
  // The executor's inbox batch: [message, message, LlmRequested]; the second one is queued.
  const Event llm = h.events.back();
  h.events.back() = Event{llm.seq, EventType::MessageReceived, llm.time_ms, {{"message_id", "m9"}, {"text", "second"}}};
  h.events.push_back(Event{EventSeq{llm.seq.value + 1}, llm.type, llm.time_ms, llm.data});
  const auto out = replay_history(h, nullptr);
  EXPECT_EQ(out.status, ReplayStatus::ok) << (out.divergence ? out.divergence->summary : out.error);
}

TEST(ReplayEngine, TheEndOfTheHistory) {
  const auto def = synthetic_definition();
  // Interrupted after an input, before its decisions were recorded: a note.
  History interrupted = synthetic_history(def, 1, "synthetic");
  const std::size_t last_input = index_of(interrupted, EventType::LlmCompleted, index_of(interrupted, EventType::ToolCompleted));
  interrupted.events.resize(last_input + 1);
  auto out = replay_history(interrupted, nullptr);
  EXPECT_EQ(out.status, ReplayStatus::ok);
  ASSERT_EQ(out.notes.size(), 1u);
  EXPECT_TRUE(contains(out.notes[0], "interrupted")) << out.notes[0];
  EXPECT_TRUE(contains(out.notes[0], "OutputEmitted")) << out.notes[0];

  // Decisions recorded after the last input, but not all of them: a divergence.
  History cut = synthetic_history(def, 1, "synthetic");
  cut.events.pop_back();  // TurnCompleted
  out = replay_history(cut, nullptr);
  ASSERT_EQ(out.status, ReplayStatus::diverged);
  EXPECT_EQ(out.divergence->kind, Divergence::Kind::missing_decision);
  EXPECT_TRUE(out.divergence->recorded.is_null());
  EXPECT_EQ(out.divergence->expected["type"], "TurnCompleted");
  EXPECT_EQ(out.divergence->seq, static_cast<std::int64_t>(cut.events.size()) + 1);
  EXPECT_TRUE(contains(out.divergence->diff, "--- history (the history ends here)")) << out.divergence->diff;
}

TEST(ReplayEngine, AnEditedDefinitionIsAnError) {
  const auto def = synthetic_definition();
  History h = synthetic_history(def, 1, "edited.json");
  h.definition["system"] = "edited";
  auto out = replay_history(h, nullptr);
  EXPECT_EQ(out.status, ReplayStatus::error);
  EXPECT_TRUE(contains(out.error, "edited.json: the recorded definition hashes to")) << out.error;
  h.definition["tools"] = "nope";
  out = replay_history(h, nullptr);
  EXPECT_EQ(out.status, ReplayStatus::error);
  EXPECT_TRUE(contains(out.error, "edited.json: recorded definition:")) << out.error;
}

TEST(ReplayEngine, MalformedDecisionDataIsAnError) {
  const auto def = synthetic_definition();
  History h = synthetic_history(def, 1, "bad.json");
  const std::size_t request = index_of(h, EventType::ToolRequested);
  // A recorded decision is compared with the decider's before the decider reads its fields, so
  // a malformed one is reported as a divergence, not a crash.
  h.events[request].data.erase("call_id");
  const auto out = replay_history(h, nullptr);
  EXPECT_EQ(out.status, ReplayStatus::diverged);
  EXPECT_TRUE(contains(out.divergence->diff, "+data.call_id: \"a1\"")) << out.divergence->diff;
}

TEST(ReplayEngine, JsonReportIsStable) {
  const auto def = synthetic_definition();
  const History h = synthetic_history(def, 1, "one.json");
  const auto ok = to_json(replay_history(h, nullptr));
  EXPECT_EQ(ok, (json{{"name", "one.json"}, {"status", "ok"}, {"events", h.events.size()}}));
  const auto new_def = synthetic_definition("", "    requires_approval: true\n");
  const auto diverged = to_json(replay_history(h, &new_def));
  EXPECT_EQ(diverged["status"], "diverged");
  for (const char* key : {"kind", "seq", "recorded", "expected", "summary", "diff"}) {
    EXPECT_TRUE(diverged["divergence"].contains(key)) << key;
  }
  const auto error = to_json(replay_error("x.json", "x.json: broken"));
  EXPECT_EQ(error, (json{{"name", "x.json"}, {"status", "error"}, {"events", 0}, {"error", "x.json: broken"}}));
}

}  // namespace
}  // namespace agentrt
