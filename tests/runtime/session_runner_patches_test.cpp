// The SessionRunner runs a session on the definition as that session sees it: a patch whose
// Marker is in the history changes the tool's timeout and retries, the tool specs sent to the
// model and the turn timeout; a session without the marker keeps the base values.
#include <chrono>

#include "tests/runtime/runner_test_support.hpp"

namespace agentrt::testing {
namespace {

using ::testing::HasSubstr;
using std::chrono::milliseconds;

class SessionRunnerPatchesTest : public SessionRunnerTest {
 protected:
  void SetUp() override {
    definition_.tools[0].timeout = milliseconds(30'000);
    definition_.tools[0].retry.attempts = 3;
    DefinitionPatch patch;
    patch.id = "faster-lookup";
    ToolOverrides lookup;
    lookup.timeout = milliseconds(1'234);
    RetryPolicy retry;
    retry.attempts = 1;
    lookup.retry = retry;
    lookup.description = "patched lookup";
    patch.tools.emplace("lookup", lookup);
    patch.policies.turn_timeout = milliseconds(150);
    definition_.patches.push_back(patch);
  }

  // s-1 with SessionStarted and, when `marked`, the patch's Marker; then one lookup call.
  Result<RunOutcome> run_one_lookup(bool marked) {
    std::vector<Event> first{started_event(clock_.wall_ms())};
    if (marked) first.push_back(Event{EventSeq{2}, EventType::Marker, clock_.wall_ms(), {{"patch", "faster-lookup"}}});
    start(std::move(first));
    send("look it up");
    llm_.reply_tool_calls({tool_call("c1", "lookup", R"({"q":"x"})")});
    llm_.reply_text("done");
    return run();
  }
};

TEST_F(SessionRunnerPatchesTest, WithTheMarkerTheToolRunsWithThePatchedTimeoutAndRetries) {
  auto outcome = run_one_lookup(true);
  ASSERT_TRUE(outcome.ok()) << outcome.error().to_string();
  ASSERT_EQ(tools_.calls.size(), 1U);
  EXPECT_EQ(tools_.calls[0].timeout, milliseconds(1'234));
  EXPECT_EQ(tools_.calls[0].attempts, 1);
  ASSERT_FALSE(llm_.requests.empty());
  EXPECT_EQ(llm_.requests[0].tools[0]["function"]["description"], "patched lookup");
}

TEST_F(SessionRunnerPatchesTest, WithoutTheMarkerTheBaseToolIsRun) {
  auto outcome = run_one_lookup(false);
  ASSERT_TRUE(outcome.ok()) << outcome.error().to_string();
  ASSERT_EQ(tools_.calls.size(), 1U);
  EXPECT_EQ(tools_.calls[0].timeout, milliseconds(30'000));
  EXPECT_EQ(tools_.calls[0].attempts, 3);
  EXPECT_EQ(llm_.requests[0].tools[0]["function"]["description"], "test tool lookup");
  EXPECT_EQ(outcome->state.status, SessionStatus::idle);
}

TEST_F(SessionRunnerPatchesTest, ThePatchedTurnTimeoutCancelsASlowTool) {
  tools_.delay = milliseconds(10'000);
  const auto started = std::chrono::steady_clock::now();
  auto outcome = run_one_lookup(true);
  ASSERT_TRUE(outcome.ok()) << outcome.error().to_string();
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(5'000));
  EXPECT_EQ(outcome->state.status, SessionStatus::failed);
  EXPECT_THAT(first_of(EventType::SessionFailed).data.value("reason", ""), HasSubstr("turn_timeout=150 ms"));
}

}  // namespace
}  // namespace agentrt::testing
