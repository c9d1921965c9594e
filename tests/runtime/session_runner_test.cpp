// SessionRunner: one turn at a time over the memory store, a scripted fake LLM and a fake
// tool runner (tests/runtime/runner_fakes.hpp). Durability (write-ahead, fencing, recovery,
// checkpoints) is in session_runner_durability_test.cpp.
#include <algorithm>
#include <chrono>
#include <memory>
#include <thread>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/trace/session_trace.hpp"
#include "tests/runtime/runner_test_support.hpp"

namespace agentrt::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;
using std::chrono::milliseconds;

// The tool result the decider gave back to the model for `call_id`, from one LLM request.
std::optional<std::string> tool_message(const RecordedLlmRequest& request, const std::string& call_id) {
  for (const auto& m : request.messages) {
    if (m.value("role", "") == "tool" && m.value("tool_call_id", "") == call_id) return m.value("content", "");
  }
  return std::nullopt;
}

// Makes the next `count` tool calls finish together: each waits on one gate, which the last
// call to start opens, so every result reaches the runner before it next looks. The gate lives
// in the closure that `tools` keeps, so it outlives every call.
void finish_together(FakeToolRunner& tools, int count) {
  tools.on_call = [count, started = 0, gate = std::shared_ptr<boost::asio::steady_timer>{}](
                      const std::string&) mutable -> boost::asio::awaitable<void> {
    if (!gate) {
      gate = std::make_shared<boost::asio::steady_timer>(co_await boost::asio::this_coro::executor,
                                                         boost::asio::steady_timer::time_point::max());
    }
    if (++started == count) {
      gate->cancel();
      co_return;
    }
    boost::system::error_code ec;
    co_await gate->async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  };
}

class SessionRunnerTurnTest : public SessionRunnerTest {
 protected:
  void SetUp() override { start(); }
};

TEST_F(SessionRunnerTurnTest, OneToolCallTurnRecordsEveryStepInOrder) {
  send("what is x?");
  llm_.reply_tool_calls({tool_call("c1", "lookup", R"({"q":"x"})")});
  llm_.reply_text("x is 42");

  auto outcome = run();
  ASSERT_TRUE(outcome.ok()) << outcome.error().to_string();
  EXPECT_THAT(types(), ElementsAre("SessionStarted", "MessageReceived", "LlmRequested", "LlmCompleted", "ToolRequested",
                                   "ToolCompleted", "LlmRequested", "LlmCompleted", "OutputEmitted", "TurnCompleted"));
  EXPECT_EQ(outcome->state.status, SessionStatus::idle);
  EXPECT_EQ(outcome->state.last_seq, 10);
  const auto stored = record();
  EXPECT_EQ(stored.status, SessionStatus::idle);
  EXPECT_EQ(stored.last_seq, EventSeq{10});
  EXPECT_FALSE(stored.wake_at_ms.has_value());

  ASSERT_EQ(tools_.calls.size(), 1U);
  EXPECT_EQ(tools_.calls[0].tool, "lookup");
  EXPECT_EQ(tools_.calls[0].arguments, (json{{"q", "x"}}));
  EXPECT_THAT(command_tools_.calls, IsEmpty());
  ASSERT_EQ(llm_.requests.size(), 2U);
  EXPECT_EQ(tool_message(llm_.requests[1], "c1"), std::optional<std::string>{R"(lookup result for {"q":"x"})"});
  EXPECT_EQ(first_of(EventType::OutputEmitted).data, (json{{"text", "x is 42"}}));
  EXPECT_EQ(first_of(EventType::MessageReceived).data, (json{{"message_id", "m-1"}, {"text", "what is x?"}}));
  auto pending = run_sync(store_->pending_messages(kSession, 10));
  ASSERT_TRUE(pending.ok());
  EXPECT_THAT(*pending, IsEmpty());  // consumed together with its MessageReceived
}

TEST_F(SessionRunnerTurnTest, IdempotencyKeysAreSessionColonSeqOfTheRequest) {
  send("first");
  llm_.reply_tool_calls({tool_call("c1", "lookup", R"({"q":"a"})")});
  llm_.reply_text("one");
  ASSERT_TRUE(run().ok());
  send("second", "m-2");
  llm_.reply_tool_calls({tool_call("c2", "lookup", R"({"q":"b"})")});
  llm_.reply_text("two");
  auto outcome = run();
  ASSERT_TRUE(outcome.ok()) << outcome.error().to_string();

  std::vector<std::string> tool_requested_keys;
  std::vector<std::string> llm_requested_keys;
  for (const auto& e : history()) {
    if (e.type == EventType::ToolRequested) tool_requested_keys.push_back("s-1:" + std::to_string(e.seq.value));
    if (e.type == EventType::LlmRequested) llm_requested_keys.push_back("s-1:" + std::to_string(e.seq.value));
  }
  ASSERT_EQ(tools_.calls.size(), 2U);
  EXPECT_EQ(tools_.calls[0].idempotency_key, "s-1:5");  // ToolRequested is event 5 of the first turn
  EXPECT_THAT(tool_requested_keys, ElementsAre(tools_.calls[0].idempotency_key, tools_.calls[1].idempotency_key));
  std::vector<std::string> llm_keys;
  for (const auto& r : llm_.requests) llm_keys.push_back(r.idempotency_key);
  EXPECT_THAT(llm_keys, ElementsAreArray(llm_requested_keys));
  EXPECT_EQ(llm_keys.front(), "s-1:3");
}

constexpr const char* kSessionTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

class SessionRunnerTraceTest : public SessionRunnerTest {
 protected:
  void SetUp() override {
    auto started = started_event(clock_.wall_ms());
    started.data["traceparent"] = kSessionTraceparent;
    start({started});
  }
};

TEST_F(SessionRunnerTraceTest, OutboundCallsCarryTheSessionsTraceWithTheirOwnSpan) {
  send("what is x?");
  llm_.reply_tool_calls({tool_call("c1", "lookup", R"({"q":"x"})")});
  llm_.reply_text("x is 42");
  ASSERT_TRUE(run().ok());
  const auto trace = *SessionTrace::of("s-1", kSessionTraceparent, "");
  ASSERT_EQ(llm_.requests.size(), 2U);
  EXPECT_EQ(llm_.requests[0].traceparent, trace.traceparent_for(trace.llm_span_id(3)));
  EXPECT_EQ(llm_.requests[1].traceparent, trace.traceparent_for(trace.llm_span_id(7)));
  ASSERT_EQ(tools_.calls.size(), 1U);
  EXPECT_EQ(tools_.calls[0].traceparent, "00-4bf92f3577b34da6a3ce929d0e0e4736-" + std::string(trace.tool_span_id(5).str()) + "-01");
}

TEST_F(SessionRunnerTurnTest, ASessionWithoutATraceSendsNoTraceparent) {
  send("what is x?");
  llm_.reply_tool_calls({tool_call("c1", "lookup", R"({"q":"x"})")});
  llm_.reply_text("x is 42");
  ASSERT_TRUE(run().ok());
  EXPECT_EQ(llm_.requests.at(0).traceparent, "");
  EXPECT_EQ(tools_.calls.at(0).traceparent, "");
}

TEST_F(SessionRunnerTurnTest, ParallelToolCallsOfOneReplyRunConcurrently) {
  tools_.delay = milliseconds(100);
  send("look up a and b");
  llm_.reply_tool_calls({tool_call("c1", "lookup", R"({"q":"a"})"), tool_call("c2", "lookup", R"({"q":"b"})")});
  llm_.reply_text("both found");

  auto outcome = run();
  ASSERT_TRUE(outcome.ok()) << outcome.error().to_string();
  EXPECT_EQ(tools_.max_in_flight, 2);
  ASSERT_EQ(tools_.calls.size(), 2U);  // each call once, also when both finish together
  EXPECT_NE(tools_.calls[0].idempotency_key, tools_.calls[1].idempotency_key);
  EXPECT_THAT(types(), ElementsAreArray(std::vector<std::string>{
                           "SessionStarted", "MessageReceived", "LlmRequested", "LlmCompleted", "ToolRequested",
                           "ToolRequested", "ToolCompleted", "ToolCompleted", "LlmRequested", "LlmCompleted",
                           "OutputEmitted", "TurnCompleted"}));
  ASSERT_EQ(llm_.requests.size(), 2U);
  EXPECT_TRUE(tool_message(llm_.requests[1], "c1").has_value());
  EXPECT_TRUE(tool_message(llm_.requests[1], "c2").has_value());
}

// Results that finished together are recorded in one append (one fsync), with the history that
// recording them one by one writes: each result, then what the decider does after it.
TEST_F(SessionRunnerTurnTest, ToolResultsThatFinishTogetherAreRecordedInOneAppend) {
  finish_together(tools_, 3);
  send("look up a, b and c");
  llm_.reply_tool_calls({tool_call("c1", "lookup", R"({"q":"a"})"), tool_call("c2", "lookup", R"({"q":"b"})"),
                         tool_call("c3", "lookup", R"({"q":"c"})")});
  llm_.reply_text("all found");
  const auto appends_before = store_->append_count();

  auto outcome = run();
  ASSERT_TRUE(outcome.ok()) << outcome.error().to_string();
  EXPECT_THAT(types(), ElementsAreArray(std::vector<std::string>{
                           "SessionStarted", "MessageReceived", "LlmRequested", "LlmCompleted", "ToolRequested",
                           "ToolRequested", "ToolRequested", "ToolCompleted", "ToolCompleted", "ToolCompleted",
                           "LlmRequested", "LlmCompleted", "OutputEmitted", "TurnCompleted"}));
  // The message with the first request; the reply with its three requests; the three results
  // with the next request; the answer with the turn's end. One append per result would be 6.
  EXPECT_EQ(store_->append_count() - appends_before, 4U);
  ASSERT_EQ(llm_.requests.size(), 2U);
  for (const auto* id : {"c1", "c2", "c3"}) EXPECT_TRUE(tool_message(llm_.requests[1], id).has_value()) << id;
}

// A wide fan-out's results are recorded 32 at a time, so one append stays a bounded write
// (DynamoDB takes 100 items per transaction).
TEST_F(SessionRunnerTurnTest, AtMost32ResultsAreRecordedInOneAppend) {
  definition_.policies.max_steps_per_turn = 100;  // 40 tool calls and two LLM calls
  finish_together(tools_, 40);
  send("look up forty things");
  std::vector<LlmToolCall> calls;
  for (int i = 0; i < 40; ++i) calls.push_back(tool_call("c" + std::to_string(i), "lookup", R"({"q":"x"})"));
  llm_.reply_tool_calls(calls);
  llm_.reply_text("all found");
  const auto appends_before = store_->append_count();

  auto outcome = run();
  ASSERT_TRUE(outcome.ok()) << outcome.error().to_string();
  EXPECT_EQ(tools_.calls.size(), 40U);
  // The message; the reply with its 40 requests; 32 results; 8 results with the next request;
  // the answer with the turn's end.
  EXPECT_EQ(store_->append_count() - appends_before, 5U);
  const auto recorded = types();
  EXPECT_EQ(std::count(recorded.begin(), recorded.end(), "ToolCompleted"), 40);
  ASSERT_GE(recorded.size(), 3U);
  EXPECT_EQ(recorded[recorded.size() - 3], "LlmCompleted");
  ASSERT_EQ(llm_.requests.size(), 2U);
  EXPECT_TRUE(tool_message(llm_.requests[1], "c39").has_value());
}

TEST_F(SessionRunnerTurnTest, SleepWaitsAndRecordsTimerFired) {
  send("nap");
  llm_.reply_tool_calls({tool_call("c1", "sleep", R"({"seconds":0.05})")});
  llm_.reply_text("rested");

  const auto started = std::chrono::steady_clock::now();
  auto outcome = run();
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(outcome.ok()) << outcome.error().to_string();
  EXPECT_GE(elapsed, milliseconds(45));  // it waited (due times are whole wall-clock ms)
  EXPECT_THAT(types(), ElementsAre("SessionStarted", "MessageReceived", "LlmRequested", "LlmCompleted", "TimerStarted",
                                   "TimerFired", "LlmRequested", "LlmCompleted", "OutputEmitted", "TurnCompleted"));
  const auto timer = first_of(EventType::TimerStarted);
  EXPECT_EQ(timer.data, (json{{"call_id", "c1"}, {"duration_ms", 50}}));
  EXPECT_GE(first_of(EventType::TimerFired).time_ms, timer.time_ms + 50);
  EXPECT_EQ(outcome->state.status, SessionStatus::idle);
  EXPECT_THAT(tools_.calls, IsEmpty());  // sleep is the runtime's own
}

TEST_F(SessionRunnerTurnTest, SleepWithoutWaitingReturnsSleepingThenResumesAtTheDueTime) {
  send("nap");
  llm_.reply_tool_calls({tool_call("c1", "sleep", R"({"seconds":0.2})")});
  llm_.reply_text("rested");

  RunOptions no_wait;
  no_wait.wait_for_timers = false;
  no_wait.timer_horizon_ms = 0;
  auto sleeping = run(no_wait);
  ASSERT_TRUE(sleeping.ok()) << sleeping.error().to_string();
  EXPECT_EQ(sleeping->state.status, SessionStatus::sleeping);
  EXPECT_EQ(types().back(), "TimerStarted");
  const auto timer = first_of(EventType::TimerStarted);
  EXPECT_EQ(record().status, SessionStatus::sleeping);
  EXPECT_EQ(record().wake_at_ms, std::optional<std::int64_t>{timer.time_ms + 200});
  EXPECT_EQ(llm_.requests.size(), 1U);

  // As a serve worker claims it once due: without waiting for timers, a due one fires at once.
  while (clock_.wall_ms() < timer.time_ms + 200) std::this_thread::sleep_for(milliseconds(10));
  auto woken = run(no_wait);
  ASSERT_TRUE(woken.ok()) << woken.error().to_string();
  EXPECT_EQ(woken->state.status, SessionStatus::idle);
  EXPECT_GE(first_of(EventType::TimerFired).time_ms, timer.time_ms + 200);
  EXPECT_EQ(types().back(), "TurnCompleted");
  EXPECT_FALSE(record().wake_at_ms.has_value());
}

TEST_F(SessionRunnerTurnTest, AskHumanWaitsForInputThenTheAnswerCompletesTheTurn) {
  send("paint it");
  llm_.reply_tool_calls({tool_call("c1", "ask_human", R"({"question":"which colour?"})")});
  auto waiting = run();
  ASSERT_TRUE(waiting.ok()) << waiting.error().to_string();
  EXPECT_EQ(waiting->state.status, SessionStatus::waiting_for_input);
  EXPECT_EQ(record().status, SessionStatus::waiting_for_input);
  const auto asked = first_of(EventType::InputRequested);
  EXPECT_EQ(asked.data.value("kind", ""), "question");
  EXPECT_EQ(asked.data.value("prompt", ""), "which colour?");
  EXPECT_EQ(types().back(), "InputRequested");

  send("blue", "m-2");
  llm_.reply_text("painted blue");
  auto done = run();
  ASSERT_TRUE(done.ok()) << done.error().to_string();
  EXPECT_EQ(done->state.status, SessionStatus::idle);
  EXPECT_EQ(first_of(EventType::OutputEmitted).data, (json{{"text", "painted blue"}}));
  ASSERT_EQ(llm_.requests.size(), 2U);
  EXPECT_EQ(tool_message(llm_.requests[1], "c1"), std::optional<std::string>{"blue"});
  EXPECT_THAT(tools_.calls, IsEmpty());
}

TEST_F(SessionRunnerTurnTest, LlmErrorBecomesLlmFailedThenSessionFailed) {
  send("hi");
  llm_.reply_error(Error{Errc::invalid, "HTTP 400: unknown model"});
  auto outcome = run();
  ASSERT_TRUE(outcome.ok()) << outcome.error().to_string();  // a failed session is a result, not a run error
  EXPECT_EQ(outcome->state.status, SessionStatus::failed);
  EXPECT_THAT(types(), ElementsAre("SessionStarted", "MessageReceived", "LlmRequested", "LlmFailed", "SessionFailed"));
  EXPECT_THAT(first_of(EventType::LlmFailed).data.value("error", ""), HasSubstr("HTTP 400: unknown model"));
  const auto reason = first_of(EventType::SessionFailed).data.value("reason", "");
  EXPECT_THAT(reason, HasSubstr("LLM call failed"));
  EXPECT_THAT(reason, HasSubstr("unknown model"));
  EXPECT_EQ(record().status, SessionStatus::failed);
}

TEST_F(SessionRunnerTurnTest, ToolRunnerErrorBecomesToolFailedAndTheModelSeesIt) {
  tools_.set_result("lookup", Error{Errc::fatal, "runner exploded"});
  send("look it up");
  llm_.reply_tool_calls({tool_call("c1", "lookup", R"({"q":"x"})")});
  llm_.reply_text("sorry, the lookup failed");
  auto outcome = run();
  ASSERT_TRUE(outcome.ok()) << outcome.error().to_string();
  EXPECT_EQ(outcome->state.status, SessionStatus::idle);
  const auto failed = first_of(EventType::ToolFailed);
  EXPECT_EQ(failed.data.value("call_id", ""), "c1");
  EXPECT_THAT(failed.data.value("error", ""), HasSubstr("runner exploded"));
  ASSERT_EQ(llm_.requests.size(), 2U);
  const auto seen = tool_message(llm_.requests[1], "c1");
  ASSERT_TRUE(seen.has_value());
  EXPECT_THAT(*seen, StartsWith("error: "));
  EXPECT_THAT(*seen, HasSubstr("runner exploded"));
  EXPECT_EQ(types().back(), "TurnCompleted");
}

TEST_F(SessionRunnerTurnTest, ToolsOwnFailureIsRecordedWithItsAttempts) {
  tools_.set_result("lookup", ToolResult{false, "HTTP 404: no such item", 3});
  send("look it up");
  llm_.reply_tool_calls({tool_call("c1", "lookup", R"({"q":"x"})")});
  llm_.reply_text("not found");
  ASSERT_TRUE(run().ok());
  EXPECT_EQ(first_of(EventType::ToolFailed).data,
            (json{{"call_id", "c1"}, {"error", "HTTP 404: no such item"}, {"attempts", 3}}));
  ASSERT_EQ(llm_.requests.size(), 2U);
  EXPECT_EQ(tool_message(llm_.requests[1], "c1"), std::optional<std::string>{"error: HTTP 404: no such item"});
}

TEST_F(SessionRunnerTurnTest, TurnTimeoutFailsTheSessionAndCancelsTheSlowTool) {
  definition_.policies.turn_timeout = milliseconds(150);
  tools_.delay = milliseconds(10'000);
  send("do the slow thing");
  llm_.reply_tool_calls({tool_call("c1", "slow", R"({"q":"x"})")});
  llm_.reply_text("never asked for");

  const auto started = std::chrono::steady_clock::now();
  auto outcome = run();
  ASSERT_TRUE(outcome.ok()) << outcome.error().to_string();
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(5'000));
  EXPECT_EQ(outcome->state.status, SessionStatus::failed);
  EXPECT_THAT(tools_.cancelled, ElementsAre("slow"));
  EXPECT_EQ(tools_.in_flight, 0);
  EXPECT_THAT(first_of(EventType::ToolFailed).data.value("error", ""), HasSubstr("timed out"));
  const auto reason = first_of(EventType::SessionFailed).data.value("reason", "");
  EXPECT_THAT(reason, HasSubstr("turn timeout"));
  EXPECT_THAT(reason, HasSubstr("turn_timeout=150 ms"));
  EXPECT_EQ(types().back(), "SessionFailed");
  EXPECT_EQ(llm_.requests.size(), 1U);
  EXPECT_EQ(record().status, SessionStatus::failed);
}

TEST_F(SessionRunnerTurnTest, InboxChangedMidTurnRecordsTheMessageBeforeTheSlowToolFinishes) {
  send("first");
  llm_.reply_tool_calls({tool_call("c1", "slow", R"({"q":"x"})")});
  llm_.reply_text("answer one");
  llm_.reply_text("answer two");
  tools_.delay = milliseconds(200);
  SessionRunner runner(ports(*store_), kSession, definition_, epoch_, RunOptions{}, nullptr);
  // As a serve worker's inbox poller does: another process enqueued while the tool runs.
  tools_.on_call = [this, &runner](const std::string&) -> boost::asio::awaitable<void> {
    send("second", "m-2");
    runner.inbox_changed();
    co_return;
  };
  auto outcome = run_sync(runner.run());
  ASSERT_TRUE(outcome.ok()) << outcome.error().to_string();
  std::int64_t second_received = 0;
  std::int64_t tool_completed = 0;
  int turns = 0;
  for (const auto& e : history()) {
    if (e.type == EventType::MessageReceived && e.data.value("message_id", "") == "m-2") second_received = e.seq.value;
    if (e.type == EventType::ToolCompleted) tool_completed = e.seq.value;
    if (e.type == EventType::TurnCompleted) ++turns;
  }
  ASSERT_GT(second_received, 0);
  EXPECT_LT(second_received, tool_completed) << "recorded mid-turn, not after it";
  EXPECT_EQ(turns, 2) << "the queued message ran as the next turn";
  EXPECT_EQ(outcome->state.status, SessionStatus::idle);
}

}  // namespace
}  // namespace agentrt::testing
