// The kv_get/kv_put built-in tools inside a real turn: run by the runtime against the
// session's (org, bot) scope and recorded like every tool call (ToolRequested, then
// ToolCompleted with the output), so a replay reads the result from the history.
#include "backends/memory/memory_kv_store.hpp"
#include "core/runtime/kv_tool_runner.hpp"
#include "tests/runtime/runner_test_support.hpp"

namespace agentrt::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class SessionRunnerKvTest : public SessionRunnerTest {
 protected:
  void SetUp() override {
    definition_.tools.push_back(builtin_tool("kv_get", ToolKind::kv_get));
    definition_.tools.push_back(builtin_tool("kv_put", ToolKind::kv_put));
  }

  Result<RunOutcome> run_with_kv(KvToolRunner* kv_tools) {
    auto runtime = ports(*store_);
    runtime.kv_tools = kv_tools;
    SessionRunner runner(runtime, kSession, definition_, epoch_, RunOptions{}, nullptr);
    return run_sync(runner.run());
  }

  json completed_output(const std::string& call_id) {
    for (const auto& e : history()) {
      if (e.type == EventType::ToolCompleted && e.data.value("call_id", "") == call_id) {
        return json::parse(e.data.at("output").get<std::string>());
      }
    }
    ADD_FAILURE() << "no ToolCompleted for " << call_id;
    return nullptr;
  }

  std::unique_ptr<KvStore> kv_ = make_memory_kv_store();
  KvToolRunner kv_tools_{*kv_, KvScope{OrgId{"org-1"}, BotId{"bot-1"}}};  // the session's scope
};

TEST_F(SessionRunnerKvTest, PutAndGetRunInTheSessionsScopeAndAreRecorded) {
  start();
  send("remember my region");
  llm_.reply_tool_calls({tool_call("p1", "kv_put", R"({"entries":{"region":"eu","seats":3}})")});
  llm_.reply_tool_calls({tool_call("g1", "kv_get", R"({"keys":["region","absent"]})")});
  llm_.reply_text("saved");

  auto outcome = run_with_kv(&kv_tools_);
  ASSERT_TRUE(outcome.ok()) << outcome.error().to_string();
  EXPECT_THAT(types(), ElementsAre("SessionStarted", "MessageReceived", "LlmRequested", "LlmCompleted", "ToolRequested",
                                   "ToolCompleted", "LlmRequested", "LlmCompleted", "ToolRequested", "ToolCompleted",
                                   "LlmRequested", "LlmCompleted", "OutputEmitted", "TurnCompleted"));
  EXPECT_EQ(completed_output("p1"), (json{{"written", 2}}));
  EXPECT_EQ(completed_output("g1"), (json{{"entries", {{"region", "eu"}}}, {"missing", json::array({"absent"})}}));
  EXPECT_THAT(tools_.calls, IsEmpty());  // never sent to the HTTP tool runner

  auto stored = run_sync(kv_->get_many(KvScope{OrgId{"org-1"}, BotId{"bot-1"}}, {"seats"}));
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(*stored, (KvEntries{{"seats", 3}}));
  auto other_org = run_sync(kv_->get_many(KvScope{OrgId{"org-2"}, BotId{"bot-1"}}, {"seats"}));
  ASSERT_TRUE(other_org.ok());
  EXPECT_TRUE(other_org->empty());
}

TEST_F(SessionRunnerKvTest, WithoutAKvStoreTheCallFailsAndTheModelIsTold) {
  start();
  send("read");
  llm_.reply_tool_calls({tool_call("g1", "kv_get", R"({"keys":["a"]})")});
  llm_.reply_text("could not read");
  auto outcome = run_with_kv(nullptr);
  ASSERT_TRUE(outcome.ok()) << outcome.error().to_string();
  const auto failed = first_of(EventType::ToolFailed);
  EXPECT_THAT(failed.data.value("error", ""), HasSubstr("cannot be run by this runtime"));
}

}  // namespace
}  // namespace agentrt::testing
