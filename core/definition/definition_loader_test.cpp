#include "core/definition/definition_loader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/definition/definition_test_support.hpp"

namespace agentrt {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing_support::definitions_dir;
using testing_support::read_text;

AgentDefinition load_ok(const std::filesystem::path& path) {
  auto result = load_definition(path);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  return result.ok() ? *result : AgentDefinition{};
}

std::string load_error(const std::filesystem::path& path) {
  auto result = load_definition(path);
  EXPECT_FALSE(result.ok()) << path << " loaded but should not";
  if (result.ok()) return {};
  EXPECT_EQ(result.error().code, Errc::invalid);
  return result.error().message;
}

// Parses a definition given as text, as if read from `name` in the valid fixtures folder.
Result<AgentDefinition> parse(std::string_view text, std::string_view name = "agent.yaml") {
  return parse_definition(text, name, definitions_dir() / "valid");
}

TEST(DefinitionLoader, LoadsEveryFieldFromYaml) {
  const auto dir = definitions_dir() / "valid";
  const AgentDefinition def = load_ok(dir / "helpdesk.yaml");
  EXPECT_EQ(def.name, "helpdesk");
  EXPECT_EQ(def.version, 3);
  EXPECT_EQ(def.system, "You are the IT helpdesk agent of ACME.\nBe brief.\n");
  EXPECT_EQ(def.source_path, (dir / "helpdesk.yaml").string());

  EXPECT_EQ(def.model.provider, "openai");
  EXPECT_EQ(def.model.name, "gpt-4o-mini");
  EXPECT_EQ(def.model.base_url, "http://127.0.0.1:8000/v1");  // trailing slash removed
  EXPECT_EQ(def.model.api_key_env, "OPENAI_API_KEY");
  EXPECT_EQ(def.model.temperature, 0.2);
  EXPECT_EQ(def.model.max_tokens, 1024);
  EXPECT_EQ(def.model.timeout, milliseconds{90'000});
  EXPECT_EQ(def.model.retry.attempts, 5);
  EXPECT_EQ(def.model.retry.initial_backoff, milliseconds{250});
  EXPECT_EQ(def.model.retry.max_backoff, milliseconds{15'000});
  EXPECT_EQ(def.model.retry.multiplier, 1.5);

  EXPECT_EQ(def.policies.max_steps_per_turn, 12);
  EXPECT_EQ(def.policies.turn_timeout, milliseconds{300'000});
  EXPECT_EQ(def.policies.tool_timeout, milliseconds{20'000});
  EXPECT_EQ(def.policies.retry.attempts, 2);
  EXPECT_EQ(def.policies.retry.initial_backoff, milliseconds{100});
  EXPECT_EQ(def.policies.retry.max_backoff, milliseconds{2'000});
  EXPECT_EQ(def.policies.retry.multiplier, 3.0);
  EXPECT_EQ(def.policies.max_invalid_replies, 1);
  EXPECT_EQ(def.policies.max_tokens_per_turn, 50'000);
  EXPECT_EQ(def.policies.checkpoint_every, 25);

  ASSERT_EQ(def.tools.size(), 4U);
  const ToolDefinition& lookup = def.tools[0];
  EXPECT_EQ(lookup.name, "lookup");
  EXPECT_EQ(lookup.kind, ToolKind::http);
  EXPECT_EQ(lookup.description, "Look a ticket up.");
  EXPECT_EQ(lookup.parameters, json::parse(R"({"type":"object","properties":{"q":{"type":"string","minLength":1}},
                                              "required":["q"]})"));
  EXPECT_EQ(lookup.http.method, "POST");  // normalised to upper case
  EXPECT_EQ(lookup.http.url, "http://127.0.0.1:9000/lookup/{q}");
  EXPECT_EQ(lookup.http.headers.at("Authorization"), "Bearer ${env:TICKETS_TOKEN}");  // resolved at call time
  EXPECT_EQ(lookup.http.headers.at("X-Team"), "it");
  EXPECT_EQ(lookup.timeout, milliseconds{5'000});
  EXPECT_EQ(lookup.retry.attempts, 4);  // retries: 3 -> 4 tries
  EXPECT_EQ(lookup.retry.initial_backoff, milliseconds{100});  // the rest from policies.retry
  EXPECT_TRUE(lookup.requires_approval);  // from approval: [lookup]

  const ToolDefinition& disk = def.tools[1];
  EXPECT_EQ(disk.kind, ToolKind::command);
  EXPECT_EQ(disk.command.argv, (std::vector<std::string>{"df", "-h"}));
  EXPECT_EQ(disk.command.working_dir, (dir / "scripts").lexically_normal().string());
  EXPECT_EQ(disk.timeout, milliseconds{10'000});
  EXPECT_EQ(disk.retry.attempts, 1);
  EXPECT_TRUE(disk.requires_approval);

  const ToolDefinition& ask = def.tools[2];
  EXPECT_EQ(ask.kind, ToolKind::ask_human);
  EXPECT_THAT(ask.description, HasSubstr("Ask the human"));
  EXPECT_EQ(ask.parameters["required"], json::array({"question"}));
  EXPECT_EQ(ask.parameters["properties"]["question"]["type"], "string");
  EXPECT_FALSE(ask.requires_approval);
  EXPECT_EQ(ask.timeout, milliseconds{20'000});  // policies.tool_timeout

  const ToolDefinition& sleep = def.tools[3];
  EXPECT_EQ(sleep.kind, ToolKind::sleep);
  EXPECT_EQ(sleep.description, "Wait before checking again.");  // given: kept
  EXPECT_EQ(sleep.parameters["properties"]["seconds"]["maximum"], 2592000);

  EXPECT_EQ(def.content_hash.size(), 64U);
  EXPECT_EQ(def.content_hash.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(DefinitionLoader, JsonFileGivesTheSameDefinitionAndHash) {
  const auto dir = definitions_dir() / "valid";
  const AgentDefinition from_yaml = load_ok(dir / "helpdesk.yaml");
  const AgentDefinition from_json = load_ok(dir / "helpdesk.json");
  EXPECT_EQ(from_json.canonical, from_yaml.canonical) << json::diff(from_yaml.canonical, from_json.canonical).dump();
  EXPECT_EQ(from_json.content_hash, from_yaml.content_hash);
  EXPECT_EQ(from_json.source_path, (dir / "helpdesk.json").string());
}

TEST(DefinitionLoader, MinimalDefinitionTakesEveryDefault) {
  const AgentDefinition def = load_ok(definitions_dir() / "valid" / "minimal.yaml");
  const ModelConfig model_defaults;
  const Policies policy_defaults;
  EXPECT_EQ(def.model.base_url, "https://api.openai.com/v1");
  EXPECT_EQ(def.model.api_key_env, "");
  EXPECT_EQ(def.model.temperature, std::nullopt);
  EXPECT_EQ(def.model.max_tokens, std::nullopt);
  EXPECT_EQ(def.model.timeout, model_defaults.timeout);
  EXPECT_EQ(def.model.retry.attempts, model_defaults.retry.attempts);
  EXPECT_EQ(def.model.retry.max_backoff, model_defaults.retry.max_backoff);
  EXPECT_EQ(def.policies.max_steps_per_turn, policy_defaults.max_steps_per_turn);
  EXPECT_EQ(def.policies.turn_timeout, policy_defaults.turn_timeout);
  EXPECT_EQ(def.policies.tool_timeout, policy_defaults.tool_timeout);
  EXPECT_EQ(def.policies.retry.attempts, policy_defaults.retry.attempts);
  EXPECT_EQ(def.policies.max_invalid_replies, policy_defaults.max_invalid_replies);
  EXPECT_EQ(def.policies.max_tokens_per_turn, std::nullopt);
  EXPECT_EQ(def.policies.checkpoint_every, policy_defaults.checkpoint_every);
  EXPECT_TRUE(def.tools.empty());
}

TEST(DefinitionLoader, ScriptedProviderResolvesPathsAgainstTheFile) {
  const auto dir = definitions_dir() / "valid";
  const AgentDefinition def = load_ok(dir / "scripted.yaml");
  EXPECT_EQ(def.model.provider, "scripted");
  EXPECT_EQ(def.model.script, (dir / "scripts" / "echo_replies.yaml").string());
  EXPECT_TRUE(std::filesystem::path(def.model.script).is_absolute());
  ASSERT_EQ(def.tools.size(), 1U);
  EXPECT_EQ(def.tools[0].command.working_dir, dir.lexically_normal().string());  // default: the file's folder
  EXPECT_EQ(def.tools[0].parameters, json::parse(R"({"type":"object","properties":{}})"));
  EXPECT_EQ(def.tools[0].timeout, milliseconds{30'000});
  EXPECT_EQ(def.tools[0].retry.attempts, 3);
}

// Each invalid/*.yaml fixture starts with "# expect: <text the error must contain>".
TEST(DefinitionLoader, EveryInvalidFixtureFailsWithItsExpectedMessage) {
  std::size_t checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(definitions_dir() / "invalid")) {
    if (entry.path().extension() != ".yaml") continue;
    const std::string text = read_text(entry.path());
    const std::string marker = "# expect: ";
    ASSERT_THAT(text, StartsWith(marker)) << entry.path();
    const std::string expected = text.substr(marker.size(), text.find('\n') - marker.size());
    const std::string message = load_error(entry.path());
    EXPECT_THAT(message, HasSubstr(expected)) << entry.path();
    // The path of the file leads every line, so an editor can jump to it.
    EXPECT_THAT(message, StartsWith(entry.path().string())) << entry.path();
    ++checked;
  }
  EXPECT_GE(checked, 20U);
}

TEST(DefinitionLoader, ReportsSeveralProblemsInFileOrder) {
  const std::string message = load_error(definitions_dir() / "invalid" / "several_problems.yaml");
  EXPECT_THAT(message, HasSubstr("system: missing"));
  EXPECT_THAT(message, HasSubstr(":4:46: model: unknown key \"temprature\" (did you mean \"temperature\"?)"));
  EXPECT_THAT(message, HasSubstr(":5:32: policies.max_steps_per_turn: expected an integer from 1 to 10000, got number 0"));
  EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 2);
  EXPECT_LT(message.find(":4:46:"), message.find(":5:32:"));
}

TEST(DefinitionLoader, MissingFileIsAClearError) {
  const auto path = definitions_dir() / "valid" / "no_such_agent.yaml";
  EXPECT_EQ(load_error(path), "cannot read " + path.string() + ": No such file or directory");
  EXPECT_THAT(load_error(definitions_dir() / "valid" / "helpdesk.txt"), HasSubstr("unsupported file type \".txt\""));
}

TEST(DefinitionLoader, JsonSyntaxErrorHasLineAndColumn) {
  auto result = parse("{\n  \"name\": \"x\",\n  \"version\": 1,,\n}", "agent.json");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().message, StartsWith("agent.json:3:16: JSON syntax error: syntax error while parsing"));
}

TEST(DefinitionLoader, JsonFieldErrorsNameThePath) {
  const std::string base = R"("name":"x","version":1,"model":{"provider":"openai","name":"m"},"system":"s")";
  auto typo = parse("{" + base + R"(,"tools":[{"name":"t","http":{"url":"http://h/","timout":5}}]})", "agent.json");
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.error().message, "agent.json: tools[0].http: unknown key \"timout\" (did you mean \"timeout\"?)");

  auto dup = parse("{" + base + R"(,"name":"y"})", "agent.json");
  ASSERT_FALSE(dup.ok());
  EXPECT_THAT(dup.error().message, HasSubstr("agent.json: duplicate key \"name\""));

  auto not_object = parse("[1,2]", "agent.json");
  ASSERT_FALSE(not_object.ok());
  EXPECT_THAT(not_object.error().message, HasSubstr("expected an object of fields"));
}

TEST(DefinitionLoader, YamlTypesFollowTheCoreSchema) {
  // Quoted numbers are strings: version "3" is refused, name '007' is accepted as text.
  auto quoted_version = parse("name: a\nversion: \"3\"\nmodel: {provider: openai, name: m}\nsystem: s\n");
  ASSERT_FALSE(quoted_version.ok());
  EXPECT_THAT(quoted_version.error().message, HasSubstr("agent.yaml:2:10: version: expected an integer >= 1, got string \"3\""));
  auto numeric_name = parse("name: '007'\nversion: 1\nmodel: {provider: openai, name: m}\nsystem: s\n");
  ASSERT_TRUE(numeric_name.ok()) << numeric_name.error().message;
  EXPECT_EQ(numeric_name->name, "007");
}

TEST(DefinitionLoader, RefusesFieldsOfTheOtherProvider) {
  auto result = parse("name: a\nversion: 1\nmodel: {provider: openai, name: m, script: x.yaml}\nsystem: s\n");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().message, HasSubstr("model.script: not used by provider openai"));
}

TEST(DefinitionLoader, RefusesTimeoutGivenTwiceAndOnBuiltins) {
  const std::string head = "name: a\nversion: 1\nmodel: {provider: openai, name: m}\nsystem: s\ntools:\n";
  auto twice = parse(head + "  - {name: t, timeout: 1s, http: {url: 'http://h/', timeout: 2s}}\n");
  ASSERT_FALSE(twice.ok());
  EXPECT_THAT(twice.error().message, HasSubstr("tools[0].http.timeout: given twice (also at tools[0].timeout)"));
  auto builtin = parse(head + "  - {name: s, builtin: sleep, retries: 2}\n");
  ASSERT_FALSE(builtin.ok());
  EXPECT_THAT(builtin.error().message, HasSubstr("tools[0].retries: not used by built-in tools"));
}

TEST(DefinitionLoader, ToolLevelTimeoutAndRetriesApply) {
  auto result = parse(
      "name: a\nversion: 1\nmodel: {provider: openai, name: m}\nsystem: s\n"
      "tools:\n  - {name: t, timeout: 1.5s, retries: 0, http: {url: 'https://h/x', method: GET}}\n");
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->tools[0].timeout, milliseconds{1'500});
  EXPECT_EQ(result->tools[0].retry.attempts, 1);
  EXPECT_EQ(result->tools[0].http.method, "GET");
}

TEST(DefinitionLoader, HeaderErrorsNeverEchoTheValue) {
  auto result = parse(
      "name: a\nversion: 1\nmodel: {provider: openai, name: m}\nsystem: s\n"
      "tools:\n  - {name: t, http: {url: 'https://h/', headers: {X-Key: 'sk-secret-123 ${env:}'}}}\n");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().message, HasSubstr("tools[0].http.headers.X-Key: malformed ${env:...} reference"));
  EXPECT_THAT(result.error().message, ::testing::Not(HasSubstr("sk-secret")));
}

TEST(DefinitionLoader, UrlRules) {
  const std::string head = "name: a\nversion: 1\nmodel: {provider: openai, name: m}\nsystem: s\ntools:\n";
  const auto url_error = [&](const std::string& url) {
    auto result = parse(head + "  - name: t\n    parameters: {type: object, properties: {q: {type: string}}}\n"
                               "    http: {url: '" + url + "'}\n");
    return result.ok() ? std::string() : result.error().message;
  };
  EXPECT_EQ(url_error("https://api.example.com/v1/search?q={q}"), "");
  EXPECT_THAT(url_error("http://{q}.example.com/"), HasSubstr("placeholders are not allowed in the host"));
  EXPECT_THAT(url_error("http:///path"), HasSubstr("has no host"));
  EXPECT_THAT(url_error("http://h/{q"), HasSubstr("has a '{' without its '}'"));
  EXPECT_THAT(url_error("http://h/q}"), HasSubstr("has a '}' without its '{'"));
  EXPECT_THAT(url_error("http://h/a b"), HasSubstr("contains a space"));
  EXPECT_THAT(url_error("file:///etc/passwd"), HasSubstr("is not an http(s) URL"));

  auto bad_base = parse("name: a\nversion: 1\nmodel: {provider: openai, name: m, base_url: 'localhost:8000'}\nsystem: s\n");
  ASSERT_FALSE(bad_base.ok());
  EXPECT_THAT(bad_base.error().message, HasSubstr("agent.yaml:3:46: model.base_url: \"localhost:8000\" is not an http(s) URL"));
}

TEST(DefinitionLoader, ParametersMustBeAnObjectSchema) {
  auto result = parse(
      "name: a\nversion: 1\nmodel: {provider: openai, name: m}\nsystem: s\n"
      "tools:\n  - {name: t, parameters: {type: string}, http: {url: 'https://h/'}}\n");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().message, HasSubstr("tools[0].parameters: the schema must have type: object"));
}

TEST(DefinitionLoader, RefusesInvalidUtf8WithPosition) {
  auto result = parse("name: a\nsystem: caf\xC3\n");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "agent.yaml:2:12: the file is not valid UTF-8");
}

TEST(DefinitionLoader, RefusesBadEnvNameForApiKey) {
  auto result = parse("name: a\nversion: 1\nmodel: {provider: openai, name: m, api_key_env: sk-abc}\nsystem: s\n");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().message, HasSubstr("agent.yaml:3:49: model.api_key_env: is not an environment variable name"));
  EXPECT_THAT(result.error().message, ::testing::Not(HasSubstr("sk-abc")));  // it may be the key itself
}

TEST(DefinitionLoader, AnyProviderMayNameItsKeyVariable) {
  auto result = parse("name: a\nversion: 1\nmodel: {provider: scripted, script: scripts/echo_replies.yaml, "
                      "api_key_env: OPENAI_API_KEY}\nsystem: s\n");
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->model.api_key_env, "OPENAI_API_KEY");
}

}  // namespace
}  // namespace agentrt

namespace agentrt {
namespace {

TEST(DefinitionLoader, KvBuiltinsGetTheirDefaultsAndRoundTripThroughTheCanonicalForm) {
  auto result = parse(
      "name: a\nversion: 1\nmodel: {provider: openai, name: m}\nsystem: s\n"
      "tools:\n  - {name: recall, builtin: kv_get}\n  - {name: remember, builtin: kv_put}\n");
  ASSERT_TRUE(result.ok()) << result.error().message;
  ASSERT_EQ(result->tools.size(), 2U);
  EXPECT_EQ(result->tools[0].kind, ToolKind::kv_get);
  EXPECT_EQ(result->tools[0].parameters["required"], json::array({"keys"}));
  EXPECT_EQ(result->tools[0].parameters["properties"]["keys"]["maxItems"], 250);
  EXPECT_THAT(result->tools[0].description, HasSubstr("Read values"));
  EXPECT_EQ(result->tools[1].kind, ToolKind::kv_put);
  EXPECT_EQ(result->tools[1].parameters["required"], json::array({"entries"}));
  auto again = definition_from_canonical(result->canonical);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->tools[1].kind, ToolKind::kv_put);
  EXPECT_EQ(again->content_hash, result->content_hash);
  auto with_retries = parse(
      "name: a\nversion: 1\nmodel: {provider: openai, name: m}\nsystem: s\ntools:\n  - {name: r, builtin: kv_get, retries: 1}\n");
  ASSERT_FALSE(with_retries.ok());
  EXPECT_THAT(with_retries.error().message, HasSubstr("not used by built-in tools"));
}

}  // namespace
}  // namespace agentrt
