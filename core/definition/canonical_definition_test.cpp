#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/definition/definition_loader.hpp"
#include "core/definition/definition_test_support.hpp"

namespace agentrt {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using testing_support::definitions_dir;
using testing_support::read_text;

const std::string kBase = R"(name: hasher
version: 2
model:
  provider: openai
  name: gpt-4o-mini
system: You count.
tools:
  - name: lookup
    parameters: {type: object, properties: {q: {type: string}}}
    http: {url: "http://127.0.0.1:9000/{q}", timeout: 5s}
policies:
  max_steps_per_turn: 10
)";

std::string hash_of(const std::string& text) {
  auto result = parse_definition(text, "agent.yaml", definitions_dir() / "valid");
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message) << "\n" << text;
  return result.ok() ? result->content_hash : std::string();
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(DefinitionHash, IsStableAcrossLoadsAndLayout) {
  const std::string hash = hash_of(kBase);
  EXPECT_EQ(hash_of(kBase), hash);
  // Comments, key order, flow vs block style, equivalent durations and explicit defaults do not matter.
  const std::string same = R"(# a comment
version: 2
name: hasher
system: "You count."
model: {name: gpt-4o-mini, provider: openai, base_url: "https://api.openai.com/v1/", timeout: 2m}
policies: {max_steps_per_turn: 10, tool_timeout: 30000ms}
tools:
  - http:
      timeout: 5000ms
      url: "http://127.0.0.1:9000/{q}"
      method: POST
    name: lookup
    requires_approval: false
    parameters:
      properties:
        q:
          type: string
      type: object
)";
  EXPECT_EQ(hash_of(same), hash);
}

TEST(DefinitionHash, ChangesWhenAnythingMeaningfulChanges) {
  const std::string hash = hash_of(kBase);
  const std::vector<std::pair<std::string, std::string>> edits = {
      {"version: 2", "version: 3"},
      {"You count.", "You count twice."},
      {"name: gpt-4o-mini", "name: gpt-4o"},
      {"timeout: 5s", "timeout: 6s"},
      {"max_steps_per_turn: 10", "max_steps_per_turn: 11"},
      {"{q: {type: string}}", "{q: {type: string, minLength: 1}}"},
      {"- name: lookup", "- name: lookup\n    requires_approval: true"},
      {"- name: lookup", "- name: lookup\n    description: Find."},
      {"http: {url", "http: {method: GET, url"},
  };
  std::set<std::string> seen = {hash};
  for (const auto& [from, to] : edits) {
    const std::string edited = hash_of(replaced(kBase, from, to));
    EXPECT_NE(edited, hash) << from << " -> " << to;
    seen.insert(edited);
  }
  EXPECT_EQ(seen.size(), edits.size() + 1);  // every edit gives its own hash
}

TEST(DefinitionCanonical, HasEveryDefaultAndDurationsInMilliseconds) {
  auto def = parse_definition(kBase, "agent.yaml", definitions_dir() / "valid");
  ASSERT_TRUE(def.ok()) << def.error().message;
  const json& c = def->canonical;
  EXPECT_EQ(c["canonical_format"], 1);
  EXPECT_EQ(c["model"]["timeout_ms"], 120000);
  EXPECT_EQ(c["model"]["base_url"], "https://api.openai.com/v1");
  EXPECT_EQ(c["model"]["temperature"], nullptr);
  EXPECT_EQ(c["policies"]["turn_timeout_ms"], 300000);
  EXPECT_EQ(c["policies"]["retry"], json::parse(R"({"attempts":3,"initial_backoff_ms":200,"max_backoff_ms":10000,
                                                    "multiplier":2.0})"));
  EXPECT_EQ(c["tools"][0]["timeout_ms"], 5000);
  EXPECT_EQ(c["tools"][0]["kind"], "http");
  EXPECT_EQ(c["tools"][0]["http"]["method"], "POST");
  EXPECT_FALSE(c["tools"][0].contains("command"));
}

TEST(DefinitionCanonical, RoundTripsThroughStorage) {
  for (const char* file : {"helpdesk.yaml", "helpdesk.json", "minimal.yaml", "scripted.yaml"}) {
    auto original = load_definition(definitions_dir() / "valid" / file);
    ASSERT_TRUE(original.ok()) << original.error().message;
    // As a session store does: keep the text, parse it back on resume.
    const json stored = json::parse(original->canonical.dump());
    auto rebuilt = definition_from_canonical(stored);
    ASSERT_TRUE(rebuilt.ok()) << file << ": " << rebuilt.error().message;
    EXPECT_EQ(rebuilt->content_hash, original->content_hash) << file;
    EXPECT_EQ(rebuilt->canonical, original->canonical) << file;
    EXPECT_EQ(rebuilt->name, original->name);
    EXPECT_EQ(rebuilt->model.retry.max_backoff, original->model.retry.max_backoff);
    EXPECT_EQ(rebuilt->model.temperature, original->model.temperature);
    EXPECT_EQ(rebuilt->policies.max_tokens_per_turn, original->policies.max_tokens_per_turn);
    ASSERT_EQ(rebuilt->tools.size(), original->tools.size());
    for (std::size_t i = 0; i < rebuilt->tools.size(); ++i) {
      const auto& a = rebuilt->tools[i];
      const auto& b = original->tools[i];
      EXPECT_EQ(a.name, b.name);
      EXPECT_EQ(a.kind, b.kind);
      EXPECT_EQ(a.parameters, b.parameters);
      EXPECT_EQ(a.http.headers, b.http.headers);
      EXPECT_EQ(a.command.argv, b.command.argv);
      EXPECT_EQ(a.command.working_dir, b.command.working_dir);
      EXPECT_EQ(a.requires_approval, b.requires_approval);
      EXPECT_EQ(a.timeout, b.timeout);
      EXPECT_EQ(a.retry.attempts, b.retry.attempts);
    }
  }
}

TEST(DefinitionCanonical, RefusesTamperedOrForeignDocuments) {
  auto original = load_definition(definitions_dir() / "valid" / "helpdesk.yaml");
  ASSERT_TRUE(original.ok()) << original.error().message;
  const auto error_of = [](const json& doc) {
    auto result = definition_from_canonical(doc);
    EXPECT_FALSE(result.ok()) << doc.dump();
    return result.ok() ? std::string() : result.error().message;
  };
  json wrong_type = original->canonical;
  wrong_type["model"]["timeout_ms"] = "90s";
  EXPECT_THAT(error_of(wrong_type), HasSubstr("canonical definition: model.timeout_ms: expected a number of milliseconds"));

  json extra = original->canonical;
  extra["tools"][0]["timout_ms"] = 1;
  EXPECT_THAT(error_of(extra), HasSubstr("tools[0]: unknown key \"timout_ms\" (did you mean \"timeout_ms\"?)"));

  json missing = original->canonical;
  missing["policies"].erase("checkpoint_every");
  EXPECT_THAT(error_of(missing), HasSubstr("policies.checkpoint_every: missing"));

  json bad_url = original->canonical;
  bad_url["tools"][0]["http"]["url"] = "ftp://x";
  EXPECT_THAT(error_of(bad_url), HasSubstr("tools[0].http.url: \"ftp://x\" is not an http(s) URL"));

  json not_normalised = original->canonical;
  not_normalised["model"]["base_url"] = "http://127.0.0.1:8000/v1/";
  EXPECT_THAT(error_of(not_normalised), HasSubstr("not in canonical form at \"/model/base_url\""));

  json future = original->canonical;
  future["canonical_format"] = 2;
  EXPECT_THAT(error_of(future), HasSubstr("canonical_format: expected format 1"));

  EXPECT_THAT(error_of(json::array()), HasSubstr("expected a canonical definition object"));
}

TEST(DefinitionCanonical, DoesNotNeedTheReferencedFiles) {
  // A session resumes on a worker that may not have the reply script: the canonical form loads anyway.
  auto original = load_definition(definitions_dir() / "valid" / "scripted.yaml");
  ASSERT_TRUE(original.ok()) << original.error().message;
  json moved = original->canonical;
  moved["model"]["script"] = "/nonexistent/replies.yaml";
  auto rebuilt = definition_from_canonical(moved);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.error().message;
  EXPECT_NE(rebuilt->content_hash, original->content_hash);
  EXPECT_EQ(rebuilt->model.script, "/nonexistent/replies.yaml");
}

}  // namespace
}  // namespace agentrt
