#include "core/stream/output_event.hpp"

#include <gtest/gtest.h>

namespace agentrt {
namespace {

using json = nlohmann::json;

Event event(std::int64_t seq, EventType type, json data, std::int64_t time_ms = 1'000) {
  return Event{EventSeq{seq}, type, time_ms, std::move(data)};
}

TEST(OutputEvent, EachClientVisibleEventKeepsItsSeqAndFields) {
  auto tool = output_event_of(event(7, EventType::ToolRequested, {{"call_id", "c1"}, {"name", "lookup"}, {"arguments", {{"q", 1}}}}));
  ASSERT_TRUE(tool);
  EXPECT_EQ(tool->seq, 7);
  EXPECT_EQ(tool->kind, "tool_started");
  EXPECT_TRUE(tool->durable);
  EXPECT_EQ(tool->data, (json{{"call_id", "c1"}, {"name", "lookup"}, {"arguments", {{"q", 1}}}}));

  auto done = output_event_of(event(8, EventType::ToolCompleted, {{"call_id", "c1"}, {"output", "42"}, {"attempts", 2}}));
  ASSERT_TRUE(done);
  EXPECT_EQ(done->kind, "tool_finished");
  EXPECT_EQ(done->data["ok"], true);
  EXPECT_EQ(done->data["output"], "42");

  auto failed = output_event_of(event(9, EventType::ToolFailed, {{"call_id", "c1"}, {"error", "timeout"}}));
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->data["ok"], false);
  EXPECT_EQ(failed->data["error"], "timeout");

  auto waiting = output_event_of(event(10, EventType::InputRequested, {{"call_id", "c2"}, {"kind", "approval"}, {"prompt", "ok?"}}));
  ASSERT_TRUE(waiting);
  EXPECT_EQ(waiting->kind, "waiting");
  EXPECT_EQ(waiting->data["kind"], "approval");

  auto output = output_event_of(event(11, EventType::OutputEmitted, {{"text", "hello"}}));
  ASSERT_TRUE(output);
  EXPECT_EQ(output->kind, "output");
  EXPECT_EQ(output->data, (json{{"text", "hello"}}));
}

TEST(OutputEvent, StatusChangesSayTheStatus) {
  auto sleeping = output_event_of(event(3, EventType::TimerStarted, {{"call_id", "t"}, {"duration_ms", 500}}, 2'000));
  ASSERT_TRUE(sleeping);
  EXPECT_EQ(sleeping->kind, "status");
  EXPECT_EQ(sleeping->data["status"], "sleeping");
  EXPECT_EQ(sleeping->data["due_ms"], 2'500);
  EXPECT_EQ(output_event_of(event(4, EventType::TimerFired, {{"call_id", "t"}}))->data["status"], "running");
  EXPECT_EQ(output_event_of(event(5, EventType::SessionCompleted, json::object()))->data["status"], "completed");
  auto failed = output_event_of(event(6, EventType::SessionFailed, {{"reason", "budget"}}));
  EXPECT_EQ(failed->data, (json{{"status", "failed"}, {"reason", "budget"}}));
  auto cancelled = output_event_of(event(7, EventType::SessionCancelled, {{"reason", "r"}, {"by", "ops"}, {"mode", "cancel"}}));
  EXPECT_EQ(cancelled->data["status"], "cancelled");
  EXPECT_FALSE(cancelled->data.contains("by"));  // who cancelled is for operators, not clients
}

TEST(OutputEvent, InternalEventsHaveNoOutput) {
  for (auto type : {EventType::SessionStarted, EventType::LlmRequested, EventType::LlmCompleted, EventType::LlmFailed,
                    EventType::Marker}) {
    EXPECT_FALSE(output_event_of(event(2, type, json::object()))) << event_type_name(type);
  }
}

TEST(OutputEvent, MissingOrMistypedFieldsStayAbsentInsteadOfThrowing) {
  auto output = output_event_of(event(2, EventType::OutputEmitted, json::object()));
  ASSERT_TRUE(output);
  EXPECT_EQ(output->data, json::object());
  auto sleeping = output_event_of(event(3, EventType::TimerStarted, {{"duration_ms", "soon"}}));
  ASSERT_TRUE(sleeping);
  EXPECT_FALSE(sleeping->data.contains("due_ms"));
  auto odd = output_event_of(event(4, EventType::MessageReceived, json::array({1, 2})));
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->data, json::object());
}

TEST(OutputEvent, TokensAreNotDurableAndFollowTheLastDurableSeq) {
  const auto token = token_event(12, "Hel");
  EXPECT_FALSE(token.durable);
  EXPECT_EQ(token.seq, 12);
  EXPECT_EQ(token.kind, "token");
  EXPECT_EQ(to_json(token), (json{{"seq", 12}, {"kind", "token"}, {"text", "Hel"}}));
  EXPECT_EQ(approximate_bytes(token_event(1, std::string(1000, 'x'))) - approximate_bytes(token_event(1, "")), 1000U);
}

}  // namespace
}  // namespace agentrt
