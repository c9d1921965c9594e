// The decider takes a patch's branch only for a session whose history has its Marker.

#include <gtest/gtest.h>

#include "core/decider/decider.hpp"

namespace agentrt {
namespace {

using json = nlohmann::json;

AgentDefinition patched_definition() {
  AgentDefinition d;
  d.name = "test";
  d.system = "old prompt";
  ToolDefinition lookup;
  lookup.name = "lookup";
  lookup.kind = ToolKind::http;
  lookup.parameters = json::parse(R"({"type":"object"})");
  lookup.http.url = "http://127.0.0.1:1/lookup";
  d.tools.push_back(lookup);
  DefinitionPatch patch;
  patch.id = "approve-lookup";
  patch.tools["lookup"].requires_approval = true;
  patch.tools["lookup"].description = "new description";
  patch.system = "new prompt";
  patch.policies.max_steps_per_turn = 1;
  d.patches.push_back(patch);
  return d;
}

// Feeds events, recording each decided command as its event; returns the commands of the last input.
struct Driver {
  AgentDefinition def = patched_definition();
  SessionState state;
  std::int64_t seq = 0;

  std::vector<Command> feed(EventType type, json data) {
    Event e{EventSeq{++seq}, type, 1000 + seq, std::move(data)};
    auto decision = decide(state, e, def);
    EXPECT_FALSE(decision.divergence) << *decision.divergence;
    std::vector<Command> recorded;
    while (!state.outbox.empty()) {
      Command c = state.outbox.front();
      recorded.push_back(c);
      Event d{EventSeq{++seq}, c.type, 1000 + seq, c.data};
      auto more = decide(state, d, def);
      EXPECT_FALSE(more.divergence) << *more.divergence;
    }
    return recorded;
  }

  std::vector<Command> one_tool_call() {
    feed(EventType::MessageReceived, {{"message_id", "m1"}, {"text", "hi"}});
    return feed(EventType::LlmCompleted,
                {{"content", ""}, {"tool_calls", json::array({{{"id", "c1"}, {"name", "lookup"}, {"arguments", "{}"}}})}});
  }
};

TEST(DeciderPatches, WithoutTheMarkerTheOldBranchIsTaken) {
  Driver d;
  d.feed(EventType::SessionStarted, json::object());
  EXPECT_EQ(llm_messages(d.state, d.def)[0]["content"], "old prompt");
  const auto commands = d.one_tool_call();
  ASSERT_EQ(commands.size(), 1u);
  EXPECT_EQ(commands[0].type, EventType::ToolRequested) << "no approval, and the step budget of the patch is not applied";
  EXPECT_EQ(llm_tool_specs(d.state, d.def)[0]["function"]["description"], "");
}

TEST(DeciderPatches, WithTheMarkerThePatchApplies) {
  Driver d;
  d.feed(EventType::SessionStarted, json::object());
  d.feed(EventType::Marker, {{"patch", "approve-lookup"}});
  EXPECT_TRUE(d.state.has_patch("approve-lookup"));
  EXPECT_EQ(llm_messages(d.state, d.def)[0]["content"], "new prompt");
  EXPECT_EQ(llm_tool_specs(d.state, d.def)[0]["function"]["description"], "new description");
  const auto commands = d.one_tool_call();
  ASSERT_EQ(commands.size(), 1u);
  EXPECT_EQ(commands[0].type, EventType::SessionFailed) << "max_steps_per_turn=1 from the patch: 1 LLM call + 1 tool";
  EXPECT_NE(commands[0].data["reason"].get<std::string>().find("max_steps_per_turn=1"), std::string::npos);
}

TEST(DeciderPatches, ApprovalComesFromThePatch) {
  Driver d;
  d.def.patches[0].policies.max_steps_per_turn.reset();
  d.feed(EventType::SessionStarted, json::object());
  d.feed(EventType::Marker, {{"patch", "approve-lookup"}});
  const auto commands = d.one_tool_call();
  ASSERT_EQ(commands.size(), 1u);
  EXPECT_EQ(commands[0].type, EventType::InputRequested);
  EXPECT_EQ(commands[0].data["kind"], "approval");
}

}  // namespace
}  // namespace agentrt
