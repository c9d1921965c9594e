#include "core/decider/decider.hpp"

#include <gtest/gtest.h>

namespace agentrt {
namespace {

using json = nlohmann::json;

ToolDefinition http_tool(const std::string& name) {
  ToolDefinition t;
  t.name = name;
  t.description = "test tool " + name;
  t.kind = ToolKind::http;
  t.parameters = json::parse(R"({"type":"object","properties":{"q":{"type":"string"}},"required":["q"]})");
  t.http.url = "http://127.0.0.1:1/" + name;
  return t;
}

ToolDefinition builtin(const std::string& name, ToolKind kind, json parameters) {
  ToolDefinition t;
  t.name = name;
  t.kind = kind;
  t.parameters = std::move(parameters);
  return t;
}

AgentDefinition test_definition() {
  AgentDefinition d;
  d.name = "test";
  d.system = "You are a test agent.";
  d.tools.push_back(http_tool("lookup"));
  d.tools.push_back(http_tool("write"));
  d.tools.back().requires_approval = true;
  d.tools.push_back(builtin("ask_human", ToolKind::ask_human,
                            json::parse(R"({"type":"object","properties":{"question":{"type":"string"}},"required":["question"]})")));
  d.tools.push_back(builtin("sleep", ToolKind::sleep,
                            json::parse(R"({"type":"object","properties":{"seconds":{"type":"number"}},"required":["seconds"]})")));
  d.policies.max_steps_per_turn = 10;
  d.policies.max_invalid_replies = 2;
  return d;
}

json tool_call(const std::string& id, const std::string& name, const std::string& arguments) {
  return {{"id", id}, {"name", name}, {"arguments", arguments}};
}

// Plays the executor: feeds outside events, records every decided command as its event.
class Session {
 public:
  explicit Session(AgentDefinition d = test_definition()) : def(std::move(d)) {}

  // Feeds one outside event and records the resulting commands; returns the recorded commands.
  std::vector<Command> input(EventType type, json data, std::int64_t advance_ms = 10) {
    now_ms += advance_ms;
    auto decision = apply(type, std::move(data));
    EXPECT_FALSE(decision.divergence) << *decision.divergence;
    return record_outbox();
  }

  std::vector<Command> record_outbox() {
    std::vector<Command> recorded;
    while (!state.outbox.empty()) {
      Command c = state.outbox.front();
      recorded.push_back(c);
      auto more = apply(c.type, c.data);
      EXPECT_FALSE(more.divergence) << *more.divergence;
    }
    return recorded;
  }

  Decision apply(EventType type, json data) {
    Event e{EventSeq{++seq}, type, now_ms, std::move(data)};
    history.push_back(e);
    return decide(state, e, def);
  }

  std::vector<Command> message(const std::string& text, std::int64_t advance_ms = 10) {
    return input(EventType::MessageReceived, {{"message_id", "m" + std::to_string(seq)}, {"text", text}}, advance_ms);
  }
  std::vector<Command> llm(const std::string& content, json calls = json::array(), long long tokens = 10,
                           std::int64_t advance_ms = 10) {
    return input(EventType::LlmCompleted,
                 {{"content", content}, {"tool_calls", calls}, {"tokens_in", tokens}, {"tokens_out", tokens}},
                 advance_ms);
  }

  AgentDefinition def;
  SessionState state;
  std::vector<Event> history;
  std::int64_t seq = 0;
  std::int64_t now_ms = 1'000'000;
};

std::vector<EventType> types(const std::vector<Command>& commands) {
  std::vector<EventType> t;
  for (const auto& c : commands) t.push_back(c.type);
  return t;
}

TEST(Decider, MessageOnIdleStartsTurnWithLlmCall) {
  Session s;
  auto out = s.message("hello");
  ASSERT_EQ(types(out), std::vector{EventType::LlmRequested});
  EXPECT_EQ(out[0].data["turn"], 1);
  EXPECT_EQ(out[0].data["step"], 1);
  EXPECT_EQ(s.state.status, SessionStatus::running);
  EXPECT_TRUE(s.state.llm_in_flight);
  EXPECT_EQ(s.state.messages.back()["content"], "hello");
}

TEST(Decider, ReplyWithoutToolsEmitsOutputAndCompletesTurn) {
  Session s;
  s.message("hello");
  auto out = s.llm("hi there");
  ASSERT_EQ(types(out), (std::vector{EventType::OutputEmitted, EventType::TurnCompleted}));
  EXPECT_EQ(out[0].data["text"], "hi there");
  EXPECT_EQ(s.state.status, SessionStatus::idle);
  EXPECT_EQ(s.state.tokens_in_total, 10);
}

TEST(Decider, ParallelToolCallsAreRequestedTogetherAndResultsGoBackInOrder) {
  Session s;
  s.message("look up two things");
  auto out = s.llm("", json::array({tool_call("a", "lookup", R"({"q":"x"})"), tool_call("b", "lookup", R"({"q":"y"})")}));
  ASSERT_EQ(types(out), (std::vector{EventType::ToolRequested, EventType::ToolRequested}));
  EXPECT_EQ(out[1].data["arguments"]["q"], "y");
  // b finishes first: nothing happens until a is done too.
  EXPECT_TRUE(s.input(EventType::ToolCompleted, {{"call_id", "b"}, {"output", "B"}}).empty());
  EXPECT_EQ(s.state.status, SessionStatus::running);
  auto next = s.input(EventType::ToolCompleted, {{"call_id", "a"}, {"output", "A"}});
  ASSERT_EQ(types(next), std::vector{EventType::LlmRequested});
  EXPECT_EQ(next[0].data["step"], 4);  // llm, 2 tools, llm
  const auto& m = s.state.messages;
  ASSERT_GE(m.size(), 4u);
  EXPECT_EQ(m[m.size() - 2]["tool_call_id"], "a");
  EXPECT_EQ(m[m.size() - 2]["content"], "A");
  EXPECT_EQ(m[m.size() - 1]["tool_call_id"], "b");
}

TEST(Decider, IdempotencyKeySeqIsTheToolRequestedSeq) {
  Session s;
  s.message("go");
  s.llm("", json::array({tool_call("a", "lookup", R"({"q":"x"})")}));
  const PendingCall* call = s.state.find_call("a");
  ASSERT_NE(call, nullptr);
  EXPECT_EQ(call->stage, PendingCall::Stage::running);
  EXPECT_EQ(s.history[static_cast<size_t>(call->request_seq - 1)].type, EventType::ToolRequested);
}

TEST(Decider, ToolFailureGoesBackToTheModelAsAnError) {
  Session s;
  s.message("go");
  s.llm("", json::array({tool_call("a", "lookup", R"({"q":"x"})")}));
  auto out = s.input(EventType::ToolFailed, {{"call_id", "a"}, {"error", "HTTP 500"}});
  ASSERT_EQ(types(out), std::vector{EventType::LlmRequested});
  EXPECT_EQ(s.state.messages.back()["content"], "error: HTTP 500");
}

TEST(Decider, UnknownToolIsSentBackToTheModel) {
  Session s;
  s.message("go");
  auto out = s.llm("", json::array({tool_call("a", "nope", "{}")}));
  ASSERT_EQ(types(out), std::vector{EventType::LlmRequested});
  const auto error = s.state.messages.back()["content"].get<std::string>();
  EXPECT_NE(error.find("unknown tool 'nope'"), std::string::npos) << error;
  EXPECT_NE(error.find("lookup"), std::string::npos) << error;
}

TEST(Decider, InvalidJsonAndSchemaViolationsAreSentBack) {
  Session s;
  s.message("go");
  s.llm("", json::array({tool_call("a", "lookup", "{not json")}));
  EXPECT_NE(s.state.messages.back()["content"].get<std::string>().find("not valid JSON"), std::string::npos);
  s.llm("", json::array({tool_call("b", "lookup", R"({"q":5})")}));
  EXPECT_NE(s.state.messages.back()["content"].get<std::string>().find("do not match its parameters"), std::string::npos);
  EXPECT_EQ(s.state.invalid_replies_in_turn, 2);
}

TEST(Decider, OneInvalidCallRejectsTheWholeReply) {
  Session s;
  s.message("go");
  auto out = s.llm("", json::array({tool_call("a", "lookup", R"({"q":"x"})"), tool_call("b", "nope", "{}")}));
  ASSERT_EQ(types(out), std::vector{EventType::LlmRequested});  // nothing ran
  EXPECT_NE(s.state.messages[s.state.messages.size() - 2]["content"].get<std::string>().find("not run"),
            std::string::npos);
}

TEST(Decider, TooManyInvalidRepliesFailTheSession) {
  Session s;  // max_invalid_replies = 2
  s.message("go");
  s.llm("", json::array({tool_call("a", "nope", "{}")}));
  s.llm("", json::array({tool_call("b", "nope", "{}")}));
  auto out = s.llm("", json::array({tool_call("c", "nope", "{}")}));
  ASSERT_EQ(types(out), std::vector{EventType::SessionFailed});
  EXPECT_NE(out[0].data["reason"].get<std::string>().find("invalid tool calls 3 times"), std::string::npos);
  EXPECT_EQ(s.state.status, SessionStatus::failed);
}

TEST(Decider, AValidReplyResetsTheInvalidCounter) {
  Session s;
  s.message("go");
  s.llm("", json::array({tool_call("a", "nope", "{}")}));
  s.llm("", json::array({tool_call("b", "lookup", R"({"q":"x"})")}));
  EXPECT_EQ(s.state.invalid_replies_in_turn, 0);
}

TEST(Decider, AskHumanWaitsForInputAndTheAnswerBecomesTheResult) {
  Session s;
  s.message("go");
  auto out = s.llm("", json::array({tool_call("q1", "ask_human", R"({"question":"Which printer?"})")}));
  ASSERT_EQ(types(out), std::vector{EventType::InputRequested});
  EXPECT_EQ(out[0].data["kind"], "question");
  EXPECT_EQ(out[0].data["prompt"], "Which printer?");
  EXPECT_EQ(s.state.status, SessionStatus::waiting_for_input);
  auto next = s.message("the one on floor 3");
  ASSERT_EQ(types(next), std::vector{EventType::LlmRequested});
  EXPECT_EQ(s.state.messages.back()["role"], "tool");
  EXPECT_EQ(s.state.messages.back()["content"], "the one on floor 3");
}

TEST(Decider, ApprovedCallRuns) {
  Session s;
  s.message("go");
  auto out = s.llm("", json::array({tool_call("w", "write", R"({"q":"x"})")}));
  ASSERT_EQ(types(out), std::vector{EventType::InputRequested});
  EXPECT_EQ(out[0].data["kind"], "approval");
  auto next = s.message("Yes");
  ASSERT_EQ(types(next), std::vector{EventType::ToolRequested});
  EXPECT_EQ(s.state.status, SessionStatus::running);
}

TEST(Decider, DeniedCallIsReportedToTheModel) {
  Session s;
  s.message("go");
  s.llm("", json::array({tool_call("w", "write", R"({"q":"x"})")}));
  auto next = s.message("no, not today");
  ASSERT_EQ(types(next), std::vector{EventType::LlmRequested});
  EXPECT_EQ(s.state.messages.back()["content"], "the user denied this call: no, not today");
}

TEST(Decider, HumansAreAskedOnlyAfterRunningCallsFinish) {
  Session s;
  s.message("go");
  auto out = s.llm("", json::array({tool_call("a", "lookup", R"({"q":"x"})"), tool_call("w", "write", R"({"q":"y"})")}));
  ASSERT_EQ(types(out), std::vector{EventType::ToolRequested});
  auto next = s.input(EventType::ToolCompleted, {{"call_id", "a"}, {"output", "A"}});
  ASSERT_EQ(types(next), std::vector{EventType::InputRequested});
}

TEST(Decider, SleepStartsADurableTimer) {
  Session s;
  s.message("go");
  auto out = s.llm("", json::array({tool_call("z", "sleep", R"({"seconds":90})")}));
  ASSERT_EQ(types(out), std::vector{EventType::TimerStarted});
  EXPECT_EQ(out[0].data["duration_ms"], 90'000);
  EXPECT_EQ(s.state.status, SessionStatus::sleeping);
  EXPECT_EQ(s.state.find_call("z")->due_ms, s.now_ms + 90'000);
  auto next = s.input(EventType::TimerFired, {{"call_id", "z"}}, 90'000);
  ASSERT_EQ(types(next), std::vector{EventType::LlmRequested});
  EXPECT_EQ(s.state.status, SessionStatus::running);
}

TEST(Decider, StepBudgetStopsARunawayLoop) {
  Session s;
  s.def.policies.max_steps_per_turn = 5;
  s.message("loop");
  std::vector<Command> out;
  for (int i = 0; i < 10 && s.state.status == SessionStatus::running; ++i) {
    out = s.llm("", json::array({tool_call("c" + std::to_string(i), "lookup", R"({"q":"x"})")}));
    if (s.state.status != SessionStatus::running) break;
    out = s.input(EventType::ToolCompleted, {{"call_id", "c" + std::to_string(i)}, {"output", "again"}});
  }
  ASSERT_EQ(s.state.status, SessionStatus::failed);
  EXPECT_NE(s.state.failure_reason.find("max_steps_per_turn=5"), std::string::npos) << s.state.failure_reason;
  EXPECT_LE(s.state.steps_in_turn, 5);
}

TEST(Decider, TokenBudgetStopsTheTurn) {
  Session s;
  s.def.policies.max_tokens_per_turn = 100;
  s.message("go");
  auto out = s.llm("a long answer", json::array(), 60);
  ASSERT_EQ(types(out), std::vector{EventType::SessionFailed});
  EXPECT_NE(out[0].data["reason"].get<std::string>().find("max_tokens_per_turn=100"), std::string::npos);
}

TEST(Decider, TurnTimeoutFailsALateReply) {
  Session s;
  s.def.policies.turn_timeout = std::chrono::minutes(5);
  s.message("go");
  auto out = s.llm("too late", json::array(), 10, 6 * 60'000);
  ASSERT_EQ(types(out), std::vector{EventType::SessionFailed});
  EXPECT_NE(out[0].data["reason"].get<std::string>().find("turn timeout"), std::string::npos);
}

TEST(Decider, TurnTimeoutExcludesWaitingForAHumanAndSleeping) {
  Session s;
  s.def.policies.turn_timeout = std::chrono::minutes(5);
  s.message("go");
  s.llm("", json::array({tool_call("q", "ask_human", R"({"question":"?"})")}));
  s.message("answer after an hour", 3'600'000);
  s.llm("", json::array({tool_call("z", "sleep", R"({"seconds":7200})")}));
  s.input(EventType::TimerFired, {{"call_id", "z"}}, 7'200'000);
  auto out = s.llm("done");
  ASSERT_EQ(types(out), (std::vector{EventType::OutputEmitted, EventType::TurnCompleted}));
}

TEST(Decider, MessageDuringATurnIsQueuedForTheNextTurn) {
  Session s;
  s.message("first");
  EXPECT_TRUE(s.message("second").empty());
  EXPECT_EQ(s.state.queued.size(), 1u);
  auto out = s.llm("answer one");
  ASSERT_EQ(types(out), (std::vector{EventType::OutputEmitted, EventType::TurnCompleted, EventType::LlmRequested}));
  EXPECT_EQ(s.state.turn, 2);
  EXPECT_EQ(s.state.messages.back()["content"], "second");
}

TEST(Decider, LlmFailureFailsTheSession) {
  Session s;
  s.message("go");
  auto out = s.input(EventType::LlmFailed, {{"error", "HTTP 401 unauthorized"}});
  ASSERT_EQ(types(out), std::vector{EventType::SessionFailed});
  EXPECT_EQ(s.state.failure_reason, "LLM call failed: HTTP 401 unauthorized");
}

TEST(Decider, CancelledSessionIgnoresLateResults) {
  Session s;
  s.message("go");
  s.llm("", json::array({tool_call("a", "lookup", R"({"q":"x"})")}));
  EXPECT_TRUE(s.input(EventType::SessionCancelled, {{"reason", "operator"}}).empty());
  EXPECT_EQ(s.state.status, SessionStatus::cancelled);
  EXPECT_TRUE(s.input(EventType::ToolCompleted, {{"call_id", "a"}, {"output", "late"}}).empty());
  EXPECT_TRUE(s.message("hello?").empty());
  EXPECT_EQ(s.state.status, SessionStatus::cancelled);
}

TEST(Decider, DuplicateResultIsIgnored) {
  Session s;
  s.message("go");
  s.llm("", json::array({tool_call("a", "lookup", R"({"q":"x"})"), tool_call("b", "lookup", R"({"q":"y"})")}));
  s.input(EventType::ToolCompleted, {{"call_id", "a"}, {"output", "A"}});
  EXPECT_TRUE(s.input(EventType::ToolCompleted, {{"call_id", "a"}, {"output", "A again"}}).empty());
  EXPECT_EQ(s.state.find_call("a")->output, "A");
}

TEST(Decider, RecordedDecisionThatDiffersIsADivergence) {
  Session s;
  s.message("go");
  s.now_ms += 10;
  s.apply(EventType::LlmCompleted, {{"content", ""}, {"tool_calls", json::array({tool_call("a", "lookup", R"({"q":"x"})")})}});
  auto d = s.apply(EventType::ToolRequested, {{"call_id", "a"}, {"name", "lookup"}, {"arguments", {{"q", "DIFFERENT"}}}});
  ASSERT_TRUE(d.divergence);
  EXPECT_NE(d.divergence->find("history recorded ToolRequested"), std::string::npos) << *d.divergence;
  EXPECT_NE(d.divergence->find("DIFFERENT"), std::string::npos);
}

TEST(Decider, DecisionWithNothingExpectedIsADivergence) {
  Session s;
  auto d = s.apply(EventType::LlmRequested, {{"turn", 1}, {"step", 1}});
  ASSERT_TRUE(d.divergence);
  EXPECT_NE(d.divergence->find("expected nothing"), std::string::npos);
}

TEST(Decider, CheckpointRoundTripContinuesIdentically) {
  Session a;
  a.message("go");
  a.llm("", json::array({tool_call("x", "lookup", R"({"q":"1"})"), tool_call("w", "write", R"({"q":"2"})")}));
  Session b;
  b.state = session_state_from_json(to_json(a.state));
  b.seq = a.seq;
  b.now_ms = a.now_ms;
  EXPECT_EQ(to_json(a.state), to_json(b.state));
  auto out_a = a.input(EventType::ToolCompleted, {{"call_id", "x"}, {"output", "X"}});
  auto out_b = b.input(EventType::ToolCompleted, {{"call_id", "x"}, {"output", "X"}});
  EXPECT_EQ(out_a, out_b);
  EXPECT_EQ(to_json(a.state), to_json(b.state));
}

TEST(Decider, ReplayingTheHistoryRebuildsTheSameState) {
  Session live;
  live.message("go");
  live.llm("", json::array({tool_call("x", "lookup", R"({"q":"1"})")}));
  live.input(EventType::ToolCompleted, {{"call_id", "x"}, {"output", "X"}});
  live.llm("done");
  SessionState replayed;
  for (const auto& e : live.history) {
    auto d = decide(replayed, e, live.def);
    ASSERT_FALSE(d.divergence) << *d.divergence;
  }
  EXPECT_EQ(to_json(replayed), to_json(live.state));
}

TEST(Decider, ReplayWithADefinitionThatNowNeedsApprovalDiverges) {
  Session live;
  live.message("go");
  live.llm("", json::array({tool_call("x", "lookup", R"({"q":"1"})")}));
  AgentDefinition changed = test_definition();
  changed.tools[0].requires_approval = true;
  SessionState replayed;
  std::optional<std::string> divergence;
  for (const auto& e : live.history) {
    auto d = decide(replayed, e, changed);
    if (d.divergence) {
      divergence = d.divergence;
      break;
    }
  }
  ASSERT_TRUE(divergence);
  EXPECT_NE(divergence->find("InputRequested"), std::string::npos) << *divergence;
}

TEST(Decider, StateFromMalformedCheckpointThrows) {
  EXPECT_THROW(session_state_from_json(json::parse(R"({"status":"dancing","last_seq":1})")), json::exception);
  EXPECT_THROW(session_state_from_json(json::parse(R"({"status":"idle"})")), json::exception);
}

TEST(Decider, LlmMessagesStartWithTheSystemPrompt) {
  Session s;
  s.message("hello");
  auto m = llm_messages(s.state, s.def);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0]["role"], "system");
  EXPECT_EQ(m[0]["content"], "You are a test agent.");
  auto tools = llm_tool_specs(s.def);
  ASSERT_EQ(tools.size(), 4u);
  EXPECT_EQ(tools[0]["function"]["name"], "lookup");
}

TEST(Decider, RetryRunsAFailedTurnAgainWithFreshBudgets) {
  Session s;
  s.def.policies.max_steps_per_turn = 2;
  s.message("go");
  s.llm("", json::array({tool_call("a", "lookup", R"({"q":"x"})"), tool_call("b", "lookup", R"({"q":"y"})")}));
  ASSERT_EQ(s.state.status, SessionStatus::failed);  // 1 LLM call + 2 tools > 2 steps
  const auto transcript_size = s.state.messages.size();
  s.def.policies.max_steps_per_turn = 10;
  auto out = s.input(EventType::SessionRetried, {{"by", "oncall"}, {"reason", "budget raised"}});
  ASSERT_EQ(types(out), std::vector{EventType::LlmRequested});
  EXPECT_EQ(s.state.status, SessionStatus::running);
  EXPECT_EQ(s.state.steps_in_turn, 1);
  EXPECT_TRUE(s.state.failure_reason.empty());
  // The assistant message whose calls never ran is gone: the transcript stays well-formed.
  EXPECT_EQ(s.state.messages.size(), transcript_size - 1);
  EXPECT_EQ(s.state.messages.back()["role"], "user");
}

TEST(Decider, RetryOfARunningSessionChangesNothing) {
  Session s;
  s.message("go");
  EXPECT_TRUE(s.input(EventType::SessionRetried, {{"by", "x"}, {"reason", "y"}}).empty());
  EXPECT_EQ(s.state.steps_in_turn, 1);
}

TEST(Decider, MarkersAreRememberedSorted) {
  Session s;
  s.input(EventType::Marker, {{"patch", "b-change"}});
  s.input(EventType::Marker, {{"patch", "a-change"}});
  s.input(EventType::Marker, {{"patch", "b-change"}});
  EXPECT_EQ(s.state.patches, (std::vector<std::string>{"a-change", "b-change"}));
  EXPECT_TRUE(s.state.has_patch("a-change"));
  EXPECT_FALSE(s.state.has_patch("c-change"));
  EXPECT_EQ(session_state_from_json(to_json(s.state)).patches, s.state.patches);
}

TEST(Decider, ApprovalAnswers) {
  EXPECT_TRUE(is_approval("yes"));
  EXPECT_TRUE(is_approval(" Y "));
  EXPECT_TRUE(is_approval("Approve."));
  EXPECT_FALSE(is_approval("no"));
  EXPECT_FALSE(is_approval("yes but later"));
  EXPECT_FALSE(is_approval(""));
}

}  // namespace
}  // namespace agentrt
