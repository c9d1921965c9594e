#include "core/runtime/session_tracer.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace agentrt {
namespace {

using nlohmann::json;

constexpr const char* kTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

class ManualClock final : public Clock {
 public:
  std::int64_t wall_ms() const override { return 1'700'000'000'000 + elapsed_ms; }
  std::chrono::steady_clock::time_point monotonic() const override {
    return std::chrono::steady_clock::time_point{} + std::chrono::milliseconds(elapsed_ms);
  }
  std::int64_t elapsed_ms = 0;
};

class RecordingSink final : public SpanSink {
 public:
  void export_span(Span span) override { spans.push_back(std::move(span)); }
  [[nodiscard]] const Span& named(const std::string& name) const {
    for (const auto& span : spans) {
      if (span.name == name) return span;
    }
    throw std::out_of_range("no span named " + name);
  }
  std::vector<Span> spans;
};

std::map<std::string, SpanAttributeValue> attributes_of(const Span& span) {
  std::map<std::string, SpanAttributeValue> by_key;
  for (const auto& [key, value] : span.attributes) by_key.emplace(key.str(), value);
  return by_key;
}

class SessionTracerTest : public ::testing::Test {
 protected:
  SessionTracer tracer() {
    return SessionTracer(sink_, clock_, session_, {"worker-a", "acme", "helpdesk", "gpt-test", "openai", 3, "inbox"});
  }
  SessionState state(SessionStatus status, std::int64_t turn, std::int64_t turn_started_ms,
                     const std::string& traceparent = kTraceparent) {
    SessionState s;
    s.status = status;
    s.turn = turn;
    s.turn_started_ms = turn_started_ms;
    s.traceparent = traceparent;
    return s;
  }
  static Event event(std::int64_t seq, EventType type, json data = json::object()) {
    return Event{EventSeq{seq}, type, 0, std::move(data)};
  }

  ManualClock clock_;
  RecordingSink sink_;
  SessionId session_{"s-1"};
  SessionTrace trace_ = *SessionTrace::of("s-1", kTraceparent, "");
};

TEST_F(SessionTracerTest, ATurnWithAnLlmCallAndAToolCallIsOneTree) {
  auto t = tracer();
  t.on_state(session_, state(SessionStatus::idle, 0, 0));
  clock_.elapsed_ms = 10;
  t.on_event(session_, event(3, EventType::MessageReceived, {{"message_id", "m-1"}, {"text", "hi"}}));
  t.on_event(session_, event(4, EventType::LlmRequested, {{"turn", 1}, {"step", 1}}));
  t.on_state(session_, state(SessionStatus::running, 1, 1'700'000'000'010));
  clock_.elapsed_ms = 30;
  t.on_event(session_, event(5, EventType::LlmCompleted, {{"tokens_in", 12}, {"tokens_out", 7}, {"finish_reason", "tool_calls"}}));
  t.on_event(session_, event(6, EventType::ToolRequested, {{"call_id", "c-1"}, {"name", "lookup"}}));
  clock_.elapsed_ms = 45;
  t.on_event(session_, event(7, EventType::ToolFailed, {{"call_id", "c-1"}, {"error", "HTTP 500"}, {"attempts", 3}}));
  t.on_event(session_, event(8, EventType::TurnCompleted, {{"turn", 1}}));
  t.on_state(session_, state(SessionStatus::idle, 1, 1'700'000'000'010));
  clock_.elapsed_ms = 50;
  t.finish("");

  ASSERT_EQ(sink_.spans.size(), 4u);
  const auto& turn = sink_.named("agentrt.turn");
  EXPECT_EQ(turn.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(turn.span_id, trace_.turn_span_id(1'700'000'000'010));
  EXPECT_EQ(turn.parent_span_id, trace_.root_span_id());
  EXPECT_EQ(turn.start_ns, 1'700'000'000'010'000'000);
  EXPECT_EQ(turn.end_ns, 1'700'000'000'045'000'000);

  const auto& llm = sink_.named("chat gpt-test");
  EXPECT_EQ(llm.span_id, trace_.llm_span_id(4));  // what the runner sent as traceparent
  EXPECT_EQ(llm.parent_span_id, turn.span_id);
  EXPECT_EQ(llm.kind, SpanKind::client);
  EXPECT_EQ(llm.end_ns - llm.start_ns, 20'000'000);
  auto a = attributes_of(llm);
  EXPECT_EQ(std::get<std::int64_t>(a.at("gen_ai.usage.input_tokens")), 12);
  EXPECT_EQ(std::get<std::int64_t>(a.at("gen_ai.usage.output_tokens")), 7);
  EXPECT_EQ(std::get<SpanText>(a.at("gen_ai.request.model")), "gpt-test");
  EXPECT_EQ(llm.status, SpanStatus::ok);

  const auto& tool = sink_.named("tool lookup");
  EXPECT_EQ(tool.span_id, trace_.tool_span_id(6));
  EXPECT_EQ(tool.parent_span_id, turn.span_id);
  EXPECT_EQ(tool.status, SpanStatus::error);
  EXPECT_EQ(tool.status_message, "HTTP 500");
  a = attributes_of(tool);
  EXPECT_EQ(std::get<std::int64_t>(a.at("agentrt.tool.retries")), 2);
  EXPECT_EQ(std::get<SpanText>(a.at("agentrt.tool.outcome")), "failed");

  const auto& activation = sink_.named("agentrt.activation");
  EXPECT_EQ(activation.parent_span_id, trace_.root_span_id());
  EXPECT_EQ(activation.end_ns - activation.start_ns, 50'000'000);
  EXPECT_EQ(std::get<SpanText>(attributes_of(activation).at("agentrt.worker")), "worker-a");
  EXPECT_EQ(activation.status, SpanStatus::ok);
}

// Production ids and model names are past the small-string buffer: the tracer shares them
// among its spans (SpanText::shared), and every span still carries the whole text.
TEST_F(SessionTracerTest, LongIdsAndModelNamesReachEverySpanWhole) {
  const SessionId session{"01JDXQ7ZK3M8P4R6T9V2W5Y7Z0"};
  const std::string worker = "serve:ip-10-0-12-34.internal:4711";
  const std::string model = "claude-3-5-sonnet-20241022";
  SessionTracer t(sink_, clock_, session, {worker, "acme-corporation-eu", "helpdesk", model, "anthropic", 3, "inbox"});
  t.on_state(session, state(SessionStatus::running, 1, 1'700'000'000'010));
  t.on_event(session, event(4, EventType::LlmRequested, {{"turn", 1}, {"step", 1}}));
  t.on_event(session, event(5, EventType::LlmCompleted, {{"tokens_in", 1}, {"tokens_out", 1}, {"finish_reason", "stop"}}));
  t.on_event(session, event(6, EventType::TurnCompleted, {{"turn", 1}}));
  t.finish("");

  ASSERT_EQ(sink_.spans.size(), 3u);
  const auto& llm = sink_.named("chat " + model);
  EXPECT_EQ(std::get<SpanText>(attributes_of(llm).at("gen_ai.request.model")), model);
  EXPECT_EQ(std::get<SpanText>(attributes_of(llm).at("gen_ai.system")), "anthropic");
  for (const auto& span : sink_.spans) {
    EXPECT_EQ(std::get<SpanText>(attributes_of(span).at("agentrt.session")), session.str()) << span.name;
    EXPECT_EQ(std::get<SpanText>(attributes_of(span).at("agentrt.worker")), worker) << span.name;
  }
  EXPECT_EQ(std::get<SpanText>(attributes_of(sink_.named("agentrt.activation")).at("agentrt.org")), "acme-corporation-eu");
}

TEST_F(SessionTracerTest, AResumedActivationClosesTheSpansAnEarlierOwnerOpenedUnderTheSameIds) {
  auto loaded = state(SessionStatus::running, 2, 1'699'999'999'000);
  loaded.llm_in_flight = true;
  loaded.llm_request_seq = 9;
  PendingCall running;
  running.call_id = "c-7";
  running.name = "refund";
  running.stage = PendingCall::Stage::running;
  running.request_seq = 8;
  loaded.calls.push_back(running);

  auto t = tracer();
  t.on_state(session_, loaded);
  clock_.elapsed_ms = 5;
  t.on_event(session_, event(10, EventType::ToolCompleted, {{"call_id", "c-7"}, {"output", "ok"}, {"attempts", 1}}));
  t.on_event(session_, event(11, EventType::LlmCompleted, {{"tokens_in", 1}, {"tokens_out", 1}}));
  t.on_event(session_, event(12, EventType::TurnCompleted, {{"turn", 2}}));
  t.finish("lease lost");

  const auto& tool = sink_.named("tool refund");
  EXPECT_EQ(tool.span_id, trace_.tool_span_id(8));
  EXPECT_TRUE(std::get<bool>(attributes_of(tool).at("agentrt.resumed")));
  const auto& llm = sink_.named("chat gpt-test");
  EXPECT_EQ(llm.span_id, trace_.llm_span_id(9));
  const auto& turn = sink_.named("agentrt.turn");
  EXPECT_EQ(turn.span_id, trace_.turn_span_id(1'699'999'999'000));
  EXPECT_EQ(turn.start_ns, 1'699'999'999'000'000'000);  // when the turn began, on the earlier owner
  EXPECT_EQ(llm.parent_span_id, turn.span_id);
  const auto& activation = sink_.named("agentrt.activation");
  EXPECT_EQ(activation.status, SpanStatus::error);
  EXPECT_EQ(activation.status_message, "lease lost");
}

TEST_F(SessionTracerTest, AFailedSessionEndsItsTurnWithAnError) {
  auto t = tracer();
  t.on_state(session_, state(SessionStatus::running, 1, 1'700'000'000'000));
  t.on_event(session_, event(5, EventType::SessionFailed, {{"reason", "budget exceeded"}}));
  ASSERT_EQ(sink_.spans.size(), 1u);
  EXPECT_EQ(sink_.spans[0].status, SpanStatus::error);
  EXPECT_EQ(sink_.spans[0].status_message, "session failed: budget exceeded");
}

TEST_F(SessionTracerTest, NothingIsExportedForAnUnsampledOrUntracedSession) {
  {
    auto t = tracer();
    t.on_state(session_, state(SessionStatus::running, 1, 1, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"));
    t.on_event(session_, event(2, EventType::LlmRequested));
    t.on_event(session_, event(3, EventType::LlmCompleted));
    t.on_event(session_, event(4, EventType::TurnCompleted));
    t.finish("");
  }
  {
    auto t = tracer();
    t.on_state(session_, state(SessionStatus::running, 1, 1, ""));
    t.on_event(session_, event(2, EventType::LlmRequested));
    t.on_event(session_, event(3, EventType::LlmCompleted));
    t.finish("");
  }
  EXPECT_TRUE(sink_.spans.empty());
}

TEST_F(SessionTracerTest, TheRootSpanHangsUnderTheCreatorsSpanOrIsARoot) {
  SessionTracer::export_session_root(sink_, trace_, "acme", "helpdesk", 42);
  ASSERT_EQ(sink_.spans.size(), 1u);
  EXPECT_EQ(sink_.spans[0].span_id, trace_.root_span_id());
  EXPECT_EQ(sink_.spans[0].parent_span_id, "00f067aa0ba902b7");
  auto own = trace_;
  own.context.span_id = std::string(own.root_span_id().str());  // a trace the API began itself
  SessionTracer::export_session_root(sink_, own, "acme", "helpdesk", 42);
  EXPECT_EQ(sink_.spans[1].parent_span_id, "");
}

}  // namespace
}  // namespace agentrt
