#include "core/inspect/session_report.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/inspect/inspect_test_support.hpp"
#include "core/inspect/session_list.hpp"

namespace agentrt {
namespace {

using inspect_testing::HistoryRecorder;
using inspect_testing::tool_call;
using json = nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kSecret = "sk-live-0123456789abcdefghij";

SessionInspector::Live live(const HistoryRecorder& h, SessionStatus status) {
  SessionInspector::Live l;
  l.record.id = SessionId{"s-1"};
  l.record.org = OrgId{"acme"};
  l.record.bot = BotId{"helpdesk"};
  l.record.definition_hash = h.def.content_hash;
  l.record.status = status;
  l.record.last_seq = EventSeq{static_cast<std::int64_t>(h.events.size())};
  l.record.created_ms = h.events.front().time_ms;
  l.record.updated_ms = h.events.back().time_ms;
  l.lease = Lease{l.record.id, "", LeaseEpoch{1}, 0};
  return l;
}

SessionReport report_of(const HistoryRecorder& h, SessionStatus status, std::int64_t now_ms,
                        SessionInspector::Live* custom = nullptr) {
  SessionInspector inspector(h.def, "");
  inspector.add_events(h.events);
  const auto l = custom != nullptr ? *custom : live(h, status);
  return inspector.report(l, now_ms, {}, "/tmp/agentrt.db");
}

TEST(SessionReport, ToolCallsAreLinkedToTheirResultsWithDurationsAndTokens) {
  HistoryRecorder h;
  h.start({{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}});
  h.message("My VPN is down");
  h.llm("", json::array({tool_call("call_1", "lookup", R"({"user":"bob","api_key":"abc-123-secret"})")}));
  h.input(EventType::ToolCompleted,
          {{"call_id", "call_1"}, {"output", std::string(R"({"status":"down","token":")") + kSecret + "\"}"},
           {"attempts", 2}},
          500);
  h.llm("Your VPN is down; I filed a ticket.");
  ASSERT_EQ(h.state.status, SessionStatus::idle);

  const auto r = report_of(h, SessionStatus::idle, h.now_ms + 60'000);
  EXPECT_EQ(r.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(r.definition_name, "helpdesk");
  EXPECT_EQ(r.definition_version, 3);
  EXPECT_EQ(r.tokens_in, 240);
  EXPECT_EQ(r.tokens_out, 60);
  EXPECT_FALSE(r.history_problem);
  EXPECT_FALSE(r.stuck);
  EXPECT_THAT(r.why.summary, HasSubstr("idle since"));
  EXPECT_THAT(r.why.summary, HasSubstr("(1m0s ago)"));

  const TimelineEntry* completed = nullptr;
  const TimelineEntry* llm = nullptr;
  for (const auto& e : r.timeline) {
    if (e.type == EventType::ToolCompleted) completed = &e;
    if (e.type == EventType::LlmCompleted && llm == nullptr) llm = &e;
  }
  ASSERT_NE(completed, nullptr);
  ASSERT_NE(llm, nullptr);
  EXPECT_EQ(completed->duration_ms, 500);
  EXPECT_THAT(completed->summary, HasSubstr("lookup call_1, 2 attempts: "));
  EXPECT_EQ(llm->duration_ms, 1'200);
  EXPECT_THAT(llm->summary, HasSubstr("120 in + 30 out tokens, 1 tool call: lookup("));

  const auto text = render_report(r);
  const auto doc = report_to_json(r).dump();
  for (const auto& shown : {text, doc}) {
    EXPECT_THAT(shown, Not(HasSubstr(kSecret)));
    EXPECT_THAT(shown, Not(HasSubstr("abc-123-secret")));
    EXPECT_THAT(shown, HasSubstr("[redacted]"));
  }
  EXPECT_THAT(text, HasSubstr("trace:      4bf92f3577b34da6a3ce929d0e0e4736"));
  EXPECT_THAT(text, HasSubstr("definition: helpdesk v3"));
}

TEST(SessionReport, WaitingForApprovalSaysWhichCallAndSinceWhen) {
  HistoryRecorder h;
  h.start();
  h.message("write the file");
  h.llm("", json::array({tool_call("call_w", "write", R"({"path":"/etc/motd"})")}));
  ASSERT_EQ(h.state.status, SessionStatus::waiting_for_input);
  const auto asked_at = h.events.back().time_ms;

  const auto r = report_of(h, SessionStatus::waiting_for_input, asked_at + 300'000);
  ASSERT_TRUE(r.why.waiting);
  EXPECT_EQ(r.why.waiting->call_id, "call_w");
  EXPECT_EQ(r.why.waiting->kind, "approval");
  EXPECT_EQ(r.why.waiting->since_ms, asked_at);
  EXPECT_THAT(r.why.summary, HasSubstr("waiting for input since"));
  EXPECT_THAT(r.why.summary, HasSubstr("(5m0s ago): approval of write (call_w)"));
  const auto doc = report_to_json(r);
  EXPECT_EQ(doc["why"]["waiting_for"]["call_id"], "call_w");
  EXPECT_EQ(doc["session"]["status"], "waiting_for_input");
  EXPECT_EQ(doc["session"]["status_since_ms"], asked_at);
}

TEST(SessionReport, RunningToolCallShowsItsAgeAndBudget) {
  HistoryRecorder h;
  h.start();
  h.message("look it up");
  h.llm("", json::array({tool_call("call_1", "lookup", R"({"q":"x"})")}));
  ASSERT_EQ(h.state.status, SessionStatus::running);
  const auto requested_at = h.events.back().time_ms;

  const auto r = report_of(h, SessionStatus::running, requested_at + 3'000);
  ASSERT_EQ(r.why.tools.size(), 1U);
  const auto& t = r.why.tools[0];
  EXPECT_EQ(t.name, "lookup");
  EXPECT_EQ(t.since_ms, requested_at);
  EXPECT_EQ(t.timeout_ms, 5'000);
  EXPECT_EQ(t.attempts, 3);
  EXPECT_EQ(t.budget_ms, 15'000 + 200 + 400);  // 3 x 5s + backoffs before tries 2 and 3
  EXPECT_THAT(r.why.summary, HasSubstr("1 tool call in flight: lookup (call_1, seq 5) for 3.0s [timeout 5.0s x 3]"));
  // Nobody holds the lease: a running session without an owner is stuck.
  ASSERT_TRUE(r.stuck);
  EXPECT_EQ(r.stuck->kind, StuckKind::owner_gone);
  EXPECT_EQ(report_to_json(r)["stuck"]["kind"], "owner_gone");
}

TEST(SessionReport, SleepingShowsTheDueTimeAndFailedTheReason) {
  HistoryRecorder h;
  h.start();
  h.message("nap");
  h.llm("", json::array({tool_call("call_s", "sleep", R"({"seconds":60})")}));
  ASSERT_EQ(h.state.status, SessionStatus::sleeping);
  const auto due = h.events.back().time_ms + 60'000;
  const auto asleep = report_of(h, SessionStatus::sleeping, due - 30'000);
  ASSERT_EQ(asleep.why.timers.size(), 1U);
  EXPECT_EQ(asleep.why.timers[0].due_ms, due);
  EXPECT_THAT(asleep.why.summary, HasSubstr("asleep until"));
  EXPECT_THAT(asleep.why.summary, HasSubstr("(in 30s)"));

  HistoryRecorder failed;
  failed.start();
  failed.message("hi");
  failed.input(EventType::LlmFailed, {{"error", "HTTP 401 from the model: Authorization: Bearer abcdefghijklmnop"}});
  ASSERT_EQ(failed.state.status, SessionStatus::failed);
  const auto r = report_of(failed, SessionStatus::failed, failed.now_ms + 1'000);
  ASSERT_TRUE(r.why.last_error);
  EXPECT_EQ(r.why.last_error->type, "SessionFailed");
  EXPECT_THAT(r.why.summary, HasSubstr("failed since"));
  EXPECT_THAT(render_report(r), Not(HasSubstr("abcdefghijklmnop")));
}

TEST(SessionReport, ADefinitionThatCannotBeReadStillShowsTheTimeline) {
  HistoryRecorder h;
  h.start();
  h.message("hello");
  SessionInspector inspector(std::nullopt, "definition abc not found");
  inspector.add_events(h.events);
  const auto r = inspector.report(live(h, SessionStatus::running), h.now_ms, {}, "db");
  ASSERT_TRUE(r.history_problem);
  EXPECT_THAT(*r.history_problem, HasSubstr("definition abc not found"));
  EXPECT_EQ(r.timeline.size(), h.events.size());
  EXPECT_EQ(r.definition_name, "helpdesk");  // from SessionStarted
}

TEST(SessionReport, FollowingAddsOnlyNewEvents) {
  HistoryRecorder h;
  h.start();
  h.message("hello");
  SessionInspector inspector(h.def, "");
  const std::vector<Event> first(h.events.begin(), h.events.begin() + 2);
  EXPECT_EQ(inspector.add_events(first).size(), 2U);
  const auto added = inspector.add_events(h.events);  // a re-read that overlaps
  ASSERT_EQ(added.size(), h.events.size() - 2);
  EXPECT_EQ(added.front().seq, 3);
  EXPECT_EQ(inspector.last_seq(), static_cast<std::int64_t>(h.events.size()));
}

TEST(SessionReport, AGapInTheHistoryIsReported) {
  HistoryRecorder h;
  h.start();
  h.message("hello");
  auto events = h.events;
  events.erase(events.begin() + 1);
  SessionInspector inspector(h.def, "");
  inspector.add_events(events);
  const auto r = inspector.report(live(h, SessionStatus::running), h.now_ms, {}, "db");
  ASSERT_TRUE(r.history_problem);
  EXPECT_THAT(*r.history_problem, HasSubstr("expected seq 2, found 3"));
}

TEST(SessionList, TableAndJsonShowTheLastEventAndDefinition) {
  SessionListRow row;
  row.record.id = SessionId{"s-1"};
  row.record.org = OrgId{"acme"};
  row.record.bot = BotId{"helpdesk"};
  row.record.status = SessionStatus::waiting_for_input;
  row.record.updated_ms = 1'000;
  row.record.definition_hash = "abcdef0123456789";
  row.last_event = Event{EventSeq{7}, EventType::InputRequested, 1'000, json::object()};
  row.definition_name = "helpdesk";
  row.definition_version = 2;
  const auto table = render_session_table({row}, 61'000);
  EXPECT_THAT(table, HasSubstr("ID   ORG   BOT       STATUS             SINCE     LAST EVENT         DEFINITION"));
  EXPECT_THAT(table, HasSubstr("s-1  acme  helpdesk  waiting_for_input  1m0s ago  InputRequested #7  helpdesk@2"));
  const auto doc = session_list_to_json({row});
  EXPECT_EQ(doc[0]["last_event"]["type"], "InputRequested");
  EXPECT_EQ(doc[0]["definition"]["version"], 2);
  EXPECT_EQ(render_session_table({}, 0), "no sessions match\n");
}

}  // namespace
}  // namespace agentrt
