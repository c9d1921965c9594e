// SessionRunner durability: write-ahead, fencing, recovery from a hand-written history,
// checkpoints, and divergence between a history and the decider.
#include <chrono>

#include "tests/runtime/runner_test_support.hpp"

namespace agentrt::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using std::chrono::milliseconds;

const json kLookupCall = json::array({{{"id", "c1"}, {"name", "lookup"}, {"arguments", R"({"q":"x"})"}}});

json llm_completed(const json& tool_calls, const std::string& content = "") {
  return {{"content", content}, {"tool_calls", tool_calls}, {"tokens_in", 10}, {"tokens_out", 5},
          {"finish_reason", tool_calls.empty() ? "stop" : "tool_calls"}};
}

// SessionStarted, MessageReceived, LlmRequested: the model was asked and did not answer yet.
HistoryBuilder& asked_the_model(HistoryBuilder& h) {
  return h.add(EventType::LlmRequested, {{"turn", 1}, {"step", 1}});
}

// ... then it asked for lookup {"q":"x"} and the call was recorded (event 5), with no result.
HistoryBuilder& requested_lookup(HistoryBuilder& h, const json& arguments = {{"q", "x"}}) {
  asked_the_model(h).add(EventType::LlmCompleted, llm_completed(kLookupCall));
  return h.add(EventType::ToolRequested, {{"call_id", "c1"}, {"name", "lookup"}, {"arguments", arguments}});
}

std::vector<std::string> tail_types(const std::vector<Event>& events, std::size_t from) {
  std::vector<std::string> names = type_names(events);
  return {names.begin() + static_cast<std::ptrdiff_t>(std::min(from, names.size())), names.end()};
}

// --- write-ahead -----------------------------------------------------------------------------

TEST_F(SessionRunnerTest, FailedAppendOfToolRequestedMeansTheToolIsNeverCalled) {
  start();
  send("look it up");
  // The LLM runs between the append of LlmRequested and the one of LlmCompleted+ToolRequested.
  llm_.on_call = [this] { store_->fail_next_appends(1, Error{Errc::retryable, "injected: database busy"}); };
  llm_.reply_tool_calls({tool_call("c1", "lookup", R"({"q":"x"})")});

  auto outcome = run();
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().code, Errc::retryable);
  EXPECT_THAT(outcome.error().message, HasSubstr("injected: database busy"));
  EXPECT_THAT(outcome.error().message, HasSubstr("s-1"));
  EXPECT_THAT(tools_.calls, IsEmpty());
  EXPECT_THAT(types(), ElementsAre("SessionStarted", "MessageReceived", "LlmRequested"));
  EXPECT_EQ(store_->append_count(), 2U);  // nothing was tried after the failed append

  // A new runner redoes the lost step: the model again (same key), then the tool, once.
  llm_.on_call = nullptr;
  llm_.reply_tool_calls({tool_call("c1", "lookup", R"({"q":"x"})")});
  llm_.reply_text("found");
  auto resumed = run();
  ASSERT_TRUE(resumed.ok()) << resumed.error().to_string();
  ASSERT_EQ(llm_.requests.size(), 3U);
  EXPECT_EQ(llm_.requests[0].idempotency_key, "s-1:3");
  EXPECT_EQ(llm_.requests[1].idempotency_key, "s-1:3");
  ASSERT_EQ(tools_.calls.size(), 1U);
  EXPECT_EQ(tools_.calls[0].idempotency_key, "s-1:5");
  EXPECT_EQ(resumed->state.status, SessionStatus::idle);
}

TEST_F(SessionRunnerTest, FailedAppendOfTheMessageLeavesItInTheInbox) {
  start();
  send("hello");
  store_->fail_next_appends(1, Error{Errc::fatal, "injected: disk full"});
  auto outcome = run();
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().code, Errc::fatal);
  EXPECT_THAT(outcome.error().message, HasSubstr("disk full"));
  EXPECT_THAT(llm_.requests, IsEmpty());
  EXPECT_THAT(types(), ElementsAre("SessionStarted"));
  auto pending = run_sync(store_->pending_messages(kSession, 10));
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1U);
  EXPECT_EQ(pending->front().id, MessageId{"m-1"});
}

// --- fencing ---------------------------------------------------------------------------------

TEST_F(SessionRunnerTest, NewOwnerDuringASlowToolCallFencesTheRunner) {
  start();
  send("slow work");
  llm_.reply_tool_calls({tool_call("c1", "slow", R"({"q":"x"})")});
  llm_.reply_text("must never be asked for");
  tools_.delay = milliseconds(100);
  std::optional<Result<LeaseEpoch>> takeover;
  std::size_t appends_before_takeover = 0;
  tools_.on_call = [&](const std::string&) -> boost::asio::awaitable<void> {
    appends_before_takeover = store_->append_count();
    takeover.emplace(co_await store_->claim(kSession));  // another worker takes the session over
  };

  auto outcome = run();
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().code, Errc::fenced) << outcome.error().to_string();
  EXPECT_THAT(outcome.error().message, HasSubstr("s-1"));
  ASSERT_TRUE(takeover.has_value() && takeover->ok());
  EXPECT_EQ(**takeover, LeaseEpoch{epoch_.value + 1});
  EXPECT_EQ(tools_.calls.size(), 1U);
  EXPECT_EQ(llm_.requests.size(), 1U);
  EXPECT_EQ(store_->append_count(), appends_before_takeover + 1);  // the fenced one, then nothing
  EXPECT_EQ(types().back(), "ToolRequested");
  EXPECT_EQ(record().last_seq, EventSeq{5});
  auto checkpoint = run_sync(store_->load_checkpoint(kSession));
  ASSERT_TRUE(checkpoint.ok());
  EXPECT_FALSE(checkpoint->has_value());
}

// --- recovery --------------------------------------------------------------------------------

TEST_F(SessionRunnerTest, RecoveryRunsAnInterruptedToolCallOnceWithTheSameKey) {
  auto h = history_builder("look up x");
  start(requested_lookup(h).events());
  llm_.reply_text("x is 42");

  auto outcome = run();
  ASSERT_TRUE(outcome.ok()) << outcome.error().to_string();
  ASSERT_EQ(tools_.calls.size(), 1U);
  EXPECT_EQ(tools_.calls[0].idempotency_key, "s-1:5");
  EXPECT_EQ(tools_.calls[0].arguments, (json{{"q", "x"}}));
  EXPECT_THAT(tail_types(history(), 5),
              ElementsAre("ToolCompleted", "LlmRequested", "LlmCompleted", "OutputEmitted", "TurnCompleted"));
  ASSERT_EQ(llm_.requests.size(), 1U);
  EXPECT_EQ(llm_.requests[0].idempotency_key, "s-1:7");
  EXPECT_EQ(outcome->state.status, SessionStatus::idle);
}

TEST_F(SessionRunnerTest, RecoveryAfterToolCompletedDoesNotCallTheToolAgain) {
  auto h = history_builder("look up x");
  requested_lookup(h).add(EventType::ToolCompleted, {{"call_id", "c1"}, {"output", "recorded 42"}, {"attempts", 1}});
  start(h.events());
  llm_.reply_text("x is 42");

  auto outcome = run();
  ASSERT_TRUE(outcome.ok()) << outcome.error().to_string();
  EXPECT_THAT(tools_.calls, IsEmpty());
  EXPECT_THAT(tail_types(history(), 6), ElementsAre("LlmRequested", "LlmCompleted", "OutputEmitted", "TurnCompleted"));
  ASSERT_EQ(llm_.requests.size(), 1U);
  EXPECT_EQ(llm_.requests[0].messages.back(),
            (json{{"role", "tool"}, {"tool_call_id", "c1"}, {"content", "recorded 42"}}));
}

TEST_F(SessionRunnerTest, RecoveryAfterLlmRequestedCallsTheLlmAgain) {
  auto h = history_builder("hi");
  start(asked_the_model(h).events());
  llm_.reply_text("hello there");

  auto outcome = run();
  ASSERT_TRUE(outcome.ok()) << outcome.error().to_string();
  ASSERT_EQ(llm_.requests.size(), 1U);
  EXPECT_EQ(llm_.requests[0].idempotency_key, "s-1:3");
  EXPECT_EQ(llm_.requests[0].messages.back(), (json{{"role", "user"}, {"content", "hi"}}));
  EXPECT_THAT(tail_types(history(), 3), ElementsAre("LlmCompleted", "OutputEmitted", "TurnCompleted"));
}

TEST_F(SessionRunnerTest, HistoryThatDivergesFromTheDeciderFailsNamingTheEvent) {
  auto h = history_builder("look up x");
  start(requested_lookup(h, {{"q", "something else"}}).events());  // the reply asked for q=x
  llm_.reply_text("must never be asked for");

  auto outcome = run();
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().code, Errc::fatal);
  EXPECT_THAT(outcome.error().message, HasSubstr("event 5"));
  EXPECT_THAT(outcome.error().message, HasSubstr("s-1"));
  EXPECT_THAT(outcome.error().message, HasSubstr("something else"));
  EXPECT_THAT(tools_.calls, IsEmpty());
  EXPECT_THAT(llm_.requests, IsEmpty());
  EXPECT_EQ(store_->append_count(), 0U);
  EXPECT_EQ(history().size(), 5U);
}

// --- checkpoints -----------------------------------------------------------------------------

class SessionRunnerCheckpointTest : public SessionRunnerTest {
 protected:
  void SetUp() override {
    definition_.policies.checkpoint_every = 5;
    start();
  }

  // A turn of two sequential tool calls: 14 events in all.
  RunOutcome long_turn() {
    send("two lookups");
    llm_.reply_tool_calls({tool_call("c1", "lookup", R"({"q":"a"})")});
    llm_.reply_tool_calls({tool_call("c2", "lookup", R"({"q":"b"})")});
    llm_.reply_text("a and b");
    auto outcome = run();
    EXPECT_TRUE(outcome.ok()) << outcome.error().to_string();
    return outcome.ok() ? *outcome : RunOutcome{};
  }

  std::optional<Checkpoint> checkpoint() {
    auto loaded = run_sync(store_->load_checkpoint(kSession));
    EXPECT_TRUE(loaded.ok()) << loaded.error().to_string();
    return loaded.ok() ? *loaded : std::nullopt;
  }

  // The same history in a new store without a checkpoint; the state a runner replays there.
  json replayed_from_scratch() {
    auto fresh = make_memory_session_store();
    const auto epoch = create_and_claim(*fresh, history());
    auto outcome = run_on(*fresh, epoch);
    EXPECT_TRUE(outcome.ok()) << outcome.error().to_string();
    return outcome.ok() ? to_json(outcome->state) : json();
  }
};

TEST_F(SessionRunnerCheckpointTest, ResumingFromACheckpointReachesTheStateOfAFullReplay) {
  const auto first = long_turn();
  const auto last_seq = record().last_seq.value;
  ASSERT_EQ(last_seq, 14);
  const auto saved = checkpoint();
  ASSERT_TRUE(saved.has_value());
  EXPECT_GE(saved->seq.value, 5);
  EXPECT_LT(saved->seq.value, last_seq);  // so resuming also replays a tail
  EXPECT_EQ(saved->state.value("last_seq", std::int64_t{0}), saved->seq.value);

  auto resumed = run();
  ASSERT_TRUE(resumed.ok()) << resumed.error().to_string();
  const auto scratch = replayed_from_scratch();
  EXPECT_EQ(to_json(resumed->state), scratch);
  EXPECT_EQ(to_json(first.state), scratch);
  EXPECT_EQ(record().last_seq.value, last_seq);  // nothing to do: nothing written
  EXPECT_EQ(llm_.requests.size(), 3U);

  // The resumed runner really started from the checkpoint: a marker put there survives.
  auto marked = saved->state;
  marked["failure_reason"] = "marker from the checkpoint";
  ASSERT_TRUE(run_sync(store_->save_checkpoint(kSession, epoch_, Checkpoint{saved->seq, marked})).ok());
  auto from_marked = run();
  ASSERT_TRUE(from_marked.ok()) << from_marked.error().to_string();
  EXPECT_EQ(from_marked->state.failure_reason, "marker from the checkpoint");
}

TEST_F(SessionRunnerCheckpointTest, UnreadableCheckpointFallsBackToReplayingTheHistory) {
  long_turn();
  const auto good = checkpoint();
  ASSERT_TRUE(good.has_value());
  for (const json& garbage : {json("}{ not a state"), json{{"status", "exploded"}, {"last_seq", 3}},
                              json{{"status", "idle"}, {"last_seq", "three"}}}) {
    SCOPED_TRACE(garbage.dump());
    ASSERT_TRUE(run_sync(store_->save_checkpoint(kSession, epoch_, Checkpoint{good->seq, garbage})).ok());
    auto outcome = run();
    ASSERT_TRUE(outcome.ok()) << outcome.error().to_string();
    EXPECT_EQ(to_json(outcome->state), replayed_from_scratch());
  }

  // And the session goes on from the replayed state: turn 2 sees turn 1's transcript.
  send("and c?", "m-2");
  llm_.reply_text("c too");
  auto next = run();
  ASSERT_TRUE(next.ok()) << next.error().to_string();
  EXPECT_EQ(next->state.turn, 2);
  EXPECT_EQ(next->state.status, SessionStatus::idle);
  EXPECT_EQ(llm_.requests.back().messages.size(), 8U);  // system + 6 of turn 1 + the new user message
}

}  // namespace
}  // namespace agentrt::testing
