#include "core/definition/definition_parser.hpp"

#include "core/definition/definition_limits.hpp"
#include "core/definition/definition_normalise.hpp"
#include "core/definition/definition_patches.hpp"

namespace agentrt {
namespace {

using nlohmann::json;

const std::vector<std::string_view> kTopKeys = {"name", "version", "model", "system", "tools", "policies", "approval",
                                              "patches"};
const std::vector<std::string_view> kModelKeys = {"provider", "name",        "base_url", "api_key_env", "script",
                                                  "temperature", "max_tokens", "timeout",  "retry"};
const std::vector<std::string_view> kRetryKeys = {"attempts", "initial_backoff", "max_backoff", "multiplier"};
const std::vector<std::string_view> kPolicyKeys = {"max_steps_per_turn",  "turn_timeout",        "tool_timeout", "retry",
                                                   "max_invalid_replies", "max_tokens_per_turn", "checkpoint_every"};

// Fields that make sense for one provider only: giving them to the other is a mistake.
void refuse_keys(const ObjectReader& model, std::initializer_list<std::string_view> keys, std::string_view provider) {
  for (auto key : keys) {
    if (model.has(key)) {
      model.diag().error(model.path_of(key), "not used by provider " + std::string(provider) + " (remove it)");
    }
  }
}

void apply_approval(const ObjectReader& top, std::vector<ToolDefinition>& tools) {
  const json* list = top.list("approval", Need::optional, "a list of tool names");
  if (list == nullptr) return;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string path = child_path(top.path_of("approval"), i);
    const auto name = read_string((*list)[i], path, top.diag(), "a tool name");
    if (!name) continue;
    bool found = false;
    for (auto& tool : tools) {
      if (tool.name == *name) {
        tool.requires_approval = true;
        found = true;
      }
    }
    if (!found) {
      std::string known;
      for (const auto& tool : tools) known += (known.empty() ? "" : ", ") + tool.name;
      top.diag().error(path, "unknown tool " + quote_text(*name) + " (tools: " + (known.empty() ? "none" : known) + ")");
    }
  }
}

}  // namespace

RetryPolicy parse_retry(const json& value, const std::string& path, Diagnostics& diag, RetryPolicy defaults) {
  if (!value.is_object()) {
    diag.error(path, "expected a mapping {attempts, initial_backoff, max_backoff, multiplier}, got " +
                         describe_value(value));
    return defaults;
  }
  const ObjectReader retry(value, path, diag, kRetryKeys);
  RetryPolicy policy = defaults;
  if (auto v = retry.integer("attempts", Need::optional, kAttemptsRange.min, kAttemptsRange.max,
                             kAttemptsRange.expectation)) {
    policy.attempts = static_cast<int>(*v);
  }
  if (auto v = retry.duration("initial_backoff")) policy.initial_backoff = *v;
  if (auto v = retry.duration("max_backoff")) policy.max_backoff = *v;
  if (auto v = retry.number("multiplier", Need::optional, kMultiplierRange.min, kMultiplierRange.max,
                            kMultiplierRange.expectation)) {
    policy.multiplier = *v;
  }
  return policy;
}

namespace {

ModelConfig parse_model(const ObjectReader& parent, const std::filesystem::path& base_dir) {
  ModelConfig model;
  const json* value = parent.mapping("model", Need::required, "a mapping with provider, name, ...");
  if (value == nullptr) return model;
  const ObjectReader reader(*value, parent.path_of("model"), parent.diag(), kModelKeys);
  model.provider = reader.string("provider", Need::required, "openai or scripted").value_or("");
  if (model.provider == "openai") {
    model.name = reader.string("name", Need::required, "model name, e.g. gpt-4o-mini").value_or("");
    model.base_url = reader.string("base_url", Need::optional, "an http(s) URL")
                         .value_or(std::string(kDefaultOpenAiBaseUrl));
    refuse_keys(reader, {"script"}, model.provider);
  } else if (model.provider == "scripted") {
    model.name = reader.string("name", Need::optional, "a name").value_or("");
    if (auto script = reader.string("script", Need::required, "path of the reply script")) {
      model.script = script->empty() ? std::string() : resolve_path(base_dir, *script);
    }
    refuse_keys(reader, {"base_url"}, model.provider);
  } else if (reader.has("provider") && reader.find("provider")->is_string()) {
    reader.diag().error(reader.path_of("provider"),
                        "unknown provider " + quote_text(model.provider) + " (expected openai or scripted)");
  }
  // Any provider may name its key variable: the CLI can point a scripted agent at a real model.
  model.api_key_env = reader.string("api_key_env", Need::optional, "an environment variable name").value_or("");
  model.temperature = reader.number("temperature", Need::optional, kTemperatureRange.min, kTemperatureRange.max,
                                    kTemperatureRange.expectation);
  if (auto v = reader.integer("max_tokens", Need::optional, kMaxTokensRange.min, kMaxTokensRange.max,
                              kMaxTokensRange.expectation)) {
    model.max_tokens = static_cast<int>(*v);
  }
  if (auto v = reader.duration("timeout")) model.timeout = *v;
  if (const json* retry = reader.find("retry")) {
    model.retry = parse_retry(*retry, reader.path_of("retry"), reader.diag(), model.retry);
  }
  return model;
}

Policies parse_policies(const ObjectReader& parent) {
  Policies policies;
  const json* value = parent.mapping("policies", Need::optional, "a mapping of policies");
  if (value == nullptr) return policies;
  const ObjectReader reader(*value, parent.path_of("policies"), parent.diag(), kPolicyKeys);
  const auto read_int = [&](std::string_view key, const IntRange& range) {
    return reader.integer(key, Need::optional, range.min, range.max, range.expectation);
  };
  if (auto v = read_int("max_steps_per_turn", kMaxStepsRange)) policies.max_steps_per_turn = static_cast<int>(*v);
  if (auto v = reader.duration("turn_timeout")) policies.turn_timeout = *v;
  if (auto v = reader.duration("tool_timeout")) policies.tool_timeout = *v;
  if (const json* retry = reader.find("retry")) {
    policies.retry = parse_retry(*retry, reader.path_of("retry"), reader.diag(), policies.retry);
  }
  if (auto v = read_int("max_invalid_replies", kMaxInvalidRepliesRange)) {
    policies.max_invalid_replies = static_cast<int>(*v);
  }
  policies.max_tokens_per_turn = read_int("max_tokens_per_turn", kTokensPerTurnRange);
  if (auto v = read_int("checkpoint_every", kCheckpointEveryRange)) policies.checkpoint_every = static_cast<int>(*v);
  return policies;
}

}  // namespace

std::string resolve_path(const std::filesystem::path& base_dir, const std::string& relative) {
  return normal_path((base_dir / relative).string());
}

AgentDefinition parse_definition_fields(const json& root, const std::filesystem::path& base_dir, Diagnostics& diag) {
  AgentDefinition def;
  const ObjectReader top(root, "", diag, kTopKeys);
  def.name = top.string("name", Need::required, "agent name, e.g. helpdesk").value_or("");
  if (auto v = top.integer("version", Need::required, kVersionRange.min, kVersionRange.max, kVersionRange.expectation)) {
    def.version = static_cast<int>(*v);
  }
  def.model = parse_model(top, base_dir);
  def.system = top.string("system", Need::required, "the system prompt").value_or("");
  def.policies = parse_policies(top);
  def.tools = parse_tools(top, def.policies, base_dir);
  apply_approval(top, def.tools);
  def.patches = parse_patches(top, def);
  return def;
}

}  // namespace agentrt
