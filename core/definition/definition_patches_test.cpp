// Versioning patches: parsing, resolution against the base, canonical round trip, hash, errors,
// and the effective view a session sees.

#include <gtest/gtest.h>

#include "core/definition/definition_loader.hpp"
#include "core/definition/effective_definition.hpp"

namespace agentrt {
namespace {

constexpr std::string_view kBase = R"(name: patched
version: 2
model: {provider: openai, name: m}
system: old prompt
tools:
  - name: lookup
    http: {url: "http://127.0.0.1:9/lookup"}
  - name: pinned
    http: {url: "http://127.0.0.1:9/pinned", timeout: 7s, retries: 5}
  - name: ask
    builtin: ask_human
policies: {max_steps_per_turn: 20, tool_timeout: 30s}
)";

Result<AgentDefinition> parse(std::string_view extra) {
  return parse_definition(std::string(kBase) + std::string(extra), "agent.yaml", "/tmp");
}

TEST(DefinitionPatches, ParsesAndResolvesAgainstTheBase) {
  auto def = parse(R"(patches:
  - id: approve-lookup
    tools: {lookup: {requires_approval: true, retries: 1, description: "Look up."}}
    policies: {max_steps_per_turn: 10, tool_timeout: 2s}
    system: new prompt
)");
  ASSERT_TRUE(def) << def.error().message;
  ASSERT_EQ(def->patches.size(), 1u);
  const auto& p = def->patches[0];
  EXPECT_EQ(p.id, "approve-lookup");
  EXPECT_EQ(p.system, "new prompt");
  EXPECT_EQ(p.policies.max_steps_per_turn, 10);
  const auto& lookup = p.tools.at("lookup");
  EXPECT_EQ(lookup.requires_approval, true);
  ASSERT_TRUE(lookup.retry);
  EXPECT_EQ(lookup.retry->attempts, 2);
  EXPECT_EQ(lookup.timeout, milliseconds{2000}) << "lookup inherits policies.tool_timeout, so the patch's reaches it";
  EXPECT_FALSE(p.tools.contains("pinned")) << "pinned sets its own timeout and the patch says nothing else about it";
  EXPECT_FALSE(p.tools.contains("ask")) << "built-ins have no timeout";
}

TEST(DefinitionPatches, PolicyRetryReachesToolsAsIfTheBaseHadSaidSo) {
  auto def = parse("patches:\n  - {id: slow-backoff, policies: {retry: {attempts: 7, initial_backoff: 1s}}}\n");
  ASSERT_TRUE(def) << def.error().message;
  const auto& tools = def->patches[0].tools;
  ASSERT_TRUE(tools.contains("lookup") && tools.contains("pinned"));
  EXPECT_EQ(tools.at("lookup").retry->attempts, 7);
  EXPECT_EQ(tools.at("lookup").retry->initial_backoff, milliseconds{1000});
  EXPECT_EQ(tools.at("pinned").retry->attempts, 6) << "pinned's own retries: 5 still win";
  EXPECT_EQ(tools.at("pinned").retry->initial_backoff, milliseconds{1000});
  EXPECT_FALSE(tools.at("lookup").timeout);
}

TEST(DefinitionPatches, HashCoversPatchesAndCanonicalRoundTrips) {
  auto plain = parse("");
  auto patched = parse("patches:\n  - {id: a, policies: {max_steps_per_turn: 5}}\n");
  auto other = parse("patches:\n  - {id: a, policies: {max_steps_per_turn: 6}}\n");
  ASSERT_TRUE(plain && patched && other);
  EXPECT_FALSE(plain->canonical.contains("patches")) << "no patches: the canonical form (and hash) is unchanged";
  EXPECT_NE(plain->content_hash, patched->content_hash);
  EXPECT_NE(patched->content_hash, other->content_hash);
  auto back = definition_from_canonical(patched->canonical);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->content_hash, patched->content_hash);
  ASSERT_EQ(back->patches.size(), 1u);
  EXPECT_EQ(back->patches[0].policies.max_steps_per_turn, 5);
}

TEST(DefinitionPatches, RefusesBadPatches) {
  const auto error_of = [](std::string_view extra) {
    auto def = parse(extra);
    return def ? std::string("loaded") : def.error().message;
  };
  EXPECT_NE(error_of("patches:\n  - {id: Bad_Id}\n").find("patches[0].id: \"Bad_Id\" is not a valid patch id"),
            std::string::npos);
  EXPECT_NE(error_of("patches:\n  - {id: a}\n  - {id: a}\n").find("duplicate patch id \"a\""), std::string::npos);
  EXPECT_NE(error_of("patches:\n  - {id: a, tools: {nope: {requires_approval: true}}}\n").find("unknown tool \"nope\""),
            std::string::npos);
  EXPECT_NE(error_of("patches:\n  - {id: a, tools: {ask: {timeout: 5s}}}\n").find("not used by built-in tools"),
            std::string::npos);
  EXPECT_NE(error_of("patches:\n  - {id: a, tools: {lookup: {timout: 5s}}}\n").find("did you mean \"timeout\""),
            std::string::npos);
  EXPECT_NE(error_of("patches:\n  - {id: a, policies: {max_steps_per_turn: 0}}\n").find("max_steps_per_turn"),
            std::string::npos);
  EXPECT_NE(error_of("patches:\n  - {id: a, tools: {lookup: {parameters: {type: strin}}}}\n").find("not a valid schema"),
            std::string::npos);
  EXPECT_NE(error_of("patches:\n  - {tools: {}}\n").find("patches[0].id: missing"), std::string::npos);
}

TEST(DefinitionPatches, CanonicalReaderIsStrict) {
  auto patched = parse("patches:\n  - {id: a, tools: {lookup: {requires_approval: true}}}\n");
  ASSERT_TRUE(patched);
  auto tampered = patched->canonical;
  tampered["patches"][0]["tools"]["lookup"]["requires_aproval"] = true;
  EXPECT_FALSE(definition_from_canonical(tampered));
  auto empty_list = parse("")->canonical;
  empty_list["patches"] = nlohmann::json::array();
  EXPECT_FALSE(definition_from_canonical(empty_list)) << "an empty list is not the canonical form (absent is)";
}

TEST(EffectiveDefinition, AppliesOnlyTheSessionsPatchesInOrder) {
  auto def = parse(R"(patches:
  - {id: first, tools: {lookup: {requires_approval: true, timeout: 3s}}, policies: {max_steps_per_turn: 10}}
  - {id: second, tools: {lookup: {timeout: 4s}}, system: second prompt}
)");
  ASSERT_TRUE(def) << def.error().message;
  const std::vector<std::string> none;
  const EffectiveDefinition base(*def, none);
  EXPECT_EQ(base.system(), "old prompt");
  EXPECT_EQ(base.policies().max_steps_per_turn, 20);
  EXPECT_FALSE(base.find_tool("lookup")->requires_approval);
  EXPECT_FALSE(base.find_tool("missing"));

  const std::vector<std::string> first{"first"};
  const EffectiveDefinition one(*def, first);
  EXPECT_TRUE(one.find_tool("lookup")->requires_approval);
  EXPECT_EQ(one.find_tool("lookup")->timeout, milliseconds{3000});
  EXPECT_EQ(one.policies().max_steps_per_turn, 10);
  EXPECT_EQ(one.system(), "old prompt");

  const std::vector<std::string> both{"first", "second", "unknown-old-patch"};
  const EffectiveDefinition two(*def, both);
  EXPECT_EQ(two.find_tool("lookup")->timeout, milliseconds{4000}) << "a later patch wins";
  EXPECT_EQ(two.system(), "second prompt");
  EXPECT_EQ(two.applied_patch_ids(), (std::vector<std::string>{"first", "second"}));
  const ToolDefinition copy = two.find_tool("lookup")->to_definition();
  EXPECT_TRUE(copy.requires_approval);
  EXPECT_EQ(copy.timeout, milliseconds{4000});
  EXPECT_EQ(copy.http.url, "http://127.0.0.1:9/lookup");
  EXPECT_EQ(patch_marker_ids(*def), (std::vector<std::string>{"first", "second"}));
}

}  // namespace
}  // namespace agentrt
