// Patches in the canonical JSON. Only overridden fields are present (absence = no override),
// and the "patches" key itself is written only when there are patches, so a definition
// without patches keeps the canonical form and hash it had before patches existed.

#include "core/definition/definition_limits.hpp"
#include "core/definition/definition_patches.hpp"

namespace agentrt {
namespace {

using nlohmann::json;

json retry_to_json(const RetryPolicy& retry) {
  return {{"attempts", retry.attempts},
          {"initial_backoff_ms", retry.initial_backoff.count()},
          {"max_backoff_ms", retry.max_backoff.count()},
          {"multiplier", retry.multiplier}};
}

json policies_to_json(const PolicyOverrides& p) {
  json out = json::object();
  if (p.max_steps_per_turn) out["max_steps_per_turn"] = *p.max_steps_per_turn;
  if (p.turn_timeout) out["turn_timeout_ms"] = p.turn_timeout->count();
  if (p.tool_timeout) out["tool_timeout_ms"] = p.tool_timeout->count();
  if (p.retry) out["retry"] = retry_to_json(*p.retry);
  if (p.max_invalid_replies) out["max_invalid_replies"] = *p.max_invalid_replies;
  if (p.max_tokens_per_turn) out["max_tokens_per_turn"] = *p.max_tokens_per_turn;
  if (p.checkpoint_every) out["checkpoint_every"] = *p.checkpoint_every;
  return out;
}

json tool_to_json(const ToolOverrides& t) {
  json out = json::object();
  if (t.requires_approval) out["requires_approval"] = *t.requires_approval;
  if (t.description) out["description"] = *t.description;
  if (t.parameters) out["parameters"] = *t.parameters;
  if (t.timeout) out["timeout_ms"] = t.timeout->count();
  if (t.retry) out["retry"] = retry_to_json(*t.retry);
  return out;
}

// ---- reading back ----

std::optional<int> read_int(const ObjectReader& r, std::string_view key, const IntRange& range) {
  const auto v = r.integer(key, Need::optional, range.min, range.max, range.expectation);
  return v ? std::optional<int>(static_cast<int>(*v)) : std::nullopt;
}

std::optional<milliseconds> read_ms(const ObjectReader& r, std::string_view key) {
  const auto v = r.integer(key, Need::optional, kDurationMsRange.min, kDurationMsRange.max, kDurationMsRange.expectation);
  return v ? std::optional<milliseconds>(*v) : std::nullopt;
}

std::optional<RetryPolicy> read_retry(const ObjectReader& parent) {
  const json* value = parent.mapping("retry", Need::optional, "an object");
  if (value == nullptr) return std::nullopt;
  const ObjectReader r(*value, parent.path_of("retry"), parent.diag(),
                       {"attempts", "initial_backoff_ms", "max_backoff_ms", "multiplier"});
  RetryPolicy retry;
  retry.attempts = r.integer("attempts", Need::required, kAttemptsRange.min, kAttemptsRange.max, kAttemptsRange.expectation)
                       .value_or(1);
  retry.initial_backoff = milliseconds{r.integer("initial_backoff_ms", Need::required, kDurationMsRange.min,
                                                 kDurationMsRange.max, kDurationMsRange.expectation).value_or(1)};
  retry.max_backoff = milliseconds{r.integer("max_backoff_ms", Need::required, kDurationMsRange.min,
                                             kDurationMsRange.max, kDurationMsRange.expectation).value_or(1)};
  retry.multiplier = r.number("multiplier", Need::required, kMultiplierRange.min, kMultiplierRange.max,
                              kMultiplierRange.expectation).value_or(1.0);
  return retry;
}

PolicyOverrides read_policies(const ObjectReader& patch) {
  PolicyOverrides p;
  const json* value = patch.mapping("policies", Need::required, "an object");
  if (value == nullptr) return p;
  const ObjectReader r(*value, patch.path_of("policies"), patch.diag(),
                       {"max_steps_per_turn", "turn_timeout_ms", "tool_timeout_ms", "retry", "max_invalid_replies",
                        "max_tokens_per_turn", "checkpoint_every"});
  p.max_steps_per_turn = read_int(r, "max_steps_per_turn", kMaxStepsRange);
  p.turn_timeout = read_ms(r, "turn_timeout_ms");
  p.tool_timeout = read_ms(r, "tool_timeout_ms");
  p.retry = read_retry(r);
  p.max_invalid_replies = read_int(r, "max_invalid_replies", kMaxInvalidRepliesRange);
  p.max_tokens_per_turn = r.integer("max_tokens_per_turn", Need::optional, kTokensPerTurnRange.min,
                                    kTokensPerTurnRange.max, kTokensPerTurnRange.expectation);
  p.checkpoint_every = read_int(r, "checkpoint_every", kCheckpointEveryRange);
  return p;
}

ToolOverrides read_tool(const json& value, const std::string& path, Diagnostics& diag) {
  ToolOverrides t;
  if (!value.is_object()) {
    diag.error(path, "expected an object, got " + describe_value(value));
    return t;
  }
  const ObjectReader r(value, path, diag, {"requires_approval", "description", "parameters", "timeout_ms", "retry"});
  t.requires_approval = r.boolean("requires_approval");
  t.description = r.string("description", Need::optional, "a string");
  if (const json* parameters = r.find("parameters")) t.parameters = *parameters;
  t.timeout = read_ms(r, "timeout_ms");
  t.retry = read_retry(r);
  return t;
}

DefinitionPatch read_patch(const json& value, const std::string& path, Diagnostics& diag) {
  DefinitionPatch patch;
  if (!value.is_object()) {
    diag.error(path, "expected an object, got " + describe_value(value));
    return patch;
  }
  const ObjectReader r(value, path, diag, {"id", "system", "policies", "tools"});
  patch.id = r.string("id", Need::required, "a string").value_or("");
  if (const json* system = r.find("system"); system == nullptr || !system->is_null()) {
    patch.system = r.string("system", Need::required, "null or a string");
  }
  patch.policies = read_policies(r);
  if (const json* tools = r.mapping("tools", Need::required, "an object")) {
    for (const auto& [name, overrides] : tools->items()) {
      patch.tools[name] = read_tool(overrides, child_path(r.path_of("tools"), name), diag);
    }
  }
  return patch;
}

}  // namespace

json patches_to_canonical(const std::vector<DefinitionPatch>& patches) {
  json out = json::array();
  for (const auto& patch : patches) {
    json tools = json::object();
    for (const auto& [name, overrides] : patch.tools) tools[name] = tool_to_json(overrides);
    out.push_back({{"id", patch.id},
                   {"system", patch.system ? json(*patch.system) : json(nullptr)},
                   {"policies", policies_to_json(patch.policies)},
                   {"tools", std::move(tools)}});
  }
  return out;
}

std::vector<DefinitionPatch> read_canonical_patches(const json& value, Diagnostics& diag) {
  std::vector<DefinitionPatch> patches;
  if (!value.is_array()) {
    diag.error("patches", "expected a list of patches, got " + describe_value(value));
    return patches;
  }
  for (std::size_t i = 0; i < value.size(); ++i) patches.push_back(read_patch(value[i], child_path("patches", i), diag));
  return patches;
}

}  // namespace agentrt
