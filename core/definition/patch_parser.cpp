// patches: [...] of a definition file -> DefinitionPatch, resolved against the base definition.

#include "core/definition/builtin_tools.hpp"
#include "core/definition/definition_limits.hpp"
#include "core/definition/definition_parser.hpp"
#include "core/definition/definition_patches.hpp"

namespace agentrt {
namespace {

using nlohmann::json;

const std::vector<std::string_view> kPatchKeys = {"id", "tools", "policies", "system"};
const std::vector<std::string_view> kToolOverrideKeys = {"requires_approval", "description", "parameters", "timeout",
                                                         "retries"};
const std::vector<std::string_view> kPolicyOverrideKeys = {"max_steps_per_turn",  "turn_timeout", "tool_timeout",
                                                           "retry",               "max_invalid_replies",
                                                           "max_tokens_per_turn", "checkpoint_every"};

// True when the file's tool `name` sets `key` itself (on the tool or in its http/command
// block) instead of inheriting policies.tool_timeout / policies.retry.
bool sets_own(const ObjectReader& top, const std::string& name, std::string_view key) {
  const json* tools = top.find("tools");
  if (tools == nullptr || !tools->is_array()) return false;
  for (const auto& tool : *tools) {
    if (!tool.is_object() || tool.value("name", json()) != name) continue;
    if (tool.contains(key)) return true;
    for (const char* block : {"http", "command"}) {
      if (tool.contains(block) && tool[block].is_object() && tool[block].contains(key)) return true;
    }
  }
  return false;
}

PolicyOverrides parse_policy_overrides(const ObjectReader& patch, const Policies& base) {
  PolicyOverrides o;
  const json* value = patch.mapping("policies", Need::optional, "a mapping of policies");
  if (value == nullptr) return o;
  const ObjectReader r(*value, patch.path_of("policies"), patch.diag(), kPolicyOverrideKeys);
  const auto read_int = [&](std::string_view key, const IntRange& range) {
    return r.integer(key, Need::optional, range.min, range.max, range.expectation);
  };
  if (auto v = read_int("max_steps_per_turn", kMaxStepsRange)) o.max_steps_per_turn = static_cast<int>(*v);
  o.turn_timeout = r.duration("turn_timeout");
  o.tool_timeout = r.duration("tool_timeout");
  if (const json* retry = r.find("retry")) o.retry = parse_retry(*retry, r.path_of("retry"), r.diag(), base.retry);
  if (auto v = read_int("max_invalid_replies", kMaxInvalidRepliesRange)) o.max_invalid_replies = static_cast<int>(*v);
  o.max_tokens_per_turn = read_int("max_tokens_per_turn", kTokensPerTurnRange);
  if (auto v = read_int("checkpoint_every", kCheckpointEveryRange)) o.checkpoint_every = static_cast<int>(*v);
  return o;
}

ToolOverrides parse_tool_overrides(const ObjectReader& r, const ToolDefinition& tool) {
  ToolOverrides o;
  o.requires_approval = r.boolean("requires_approval");
  o.description = r.string("description", Need::optional, "text for the model");
  if (const json* parameters = r.mapping("parameters", Need::optional, "a JSON schema (mapping)")) o.parameters = *parameters;
  const bool builtin = is_builtin_kind(tool.kind);
  for (std::string_view key : {"timeout", "retries"}) {
    if (builtin && r.has(key)) r.diag().error(r.path_of(key), "not used by built-in tools (the runtime runs them)");
  }
  if (builtin) return o;
  o.timeout = r.duration("timeout");
  if (auto n = r.integer("retries", Need::optional, kRetriesRange.min, kRetriesRange.max, kRetriesRange.expectation)) {
    RetryPolicy retry = tool.retry;
    retry.attempts = static_cast<int>(*n) + 1;
    o.retry = retry;
  }
  return o;
}

// A patch's policies.tool_timeout / retry reach the tools that inherited the base policies,
// as they would have if the base definition had said so; the tool's own values still win.
void inherit_policy_overrides(const ObjectReader& top, const AgentDefinition& base, DefinitionPatch& patch) {
  const PolicyOverrides& p = patch.policies;
  if (!p.tool_timeout && !p.retry) return;
  for (const auto& tool : base.tools) {
    if (is_builtin_kind(tool.kind)) continue;
    const auto given = patch.tools.find(tool.name);
    ToolOverrides o = given == patch.tools.end() ? ToolOverrides{} : given->second;
    if (p.tool_timeout && !o.timeout && !sets_own(top, tool.name, "timeout")) o.timeout = p.tool_timeout;
    if (p.retry) {
      RetryPolicy retry = *p.retry;
      retry.attempts = o.retry ? o.retry->attempts : (sets_own(top, tool.name, "retries") ? tool.retry.attempts : p.retry->attempts);
      o.retry = retry;
    }
    if (o.timeout || o.retry || given != patch.tools.end()) patch.tools[tool.name] = std::move(o);
  }
}

void parse_patch_tools(const ObjectReader& r, const AgentDefinition& base, DefinitionPatch& patch) {
  const json* tools = r.mapping("tools", Need::optional, "a mapping of tool name to overrides");
  if (tools == nullptr) return;
  for (const auto& [name, value] : tools->items()) {
    const std::string path = child_path(r.path_of("tools"), name);
    const ToolDefinition* tool = base.find_tool(name);
    if (tool == nullptr) {
      std::string known;
      for (const auto& t : base.tools) known += (known.empty() ? "" : ", ") + t.name;
      r.diag().key_error(path, "unknown tool " + quote_text(name) + " (tools: " + (known.empty() ? "none" : known) + ")");
      continue;
    }
    if (!value.is_object()) {
      r.diag().error(path, "expected a mapping of overrides (requires_approval, description, parameters, timeout, "
                           "retries), got " + describe_value(value));
      continue;
    }
    const ObjectReader tool_reader(value, path, r.diag(), kToolOverrideKeys);
    patch.tools[name] = parse_tool_overrides(tool_reader, *tool);
  }
}

}  // namespace

std::vector<DefinitionPatch> parse_patches(const ObjectReader& top, const AgentDefinition& base) {
  std::vector<DefinitionPatch> patches;
  const json* list = top.list("patches", Need::optional, "a list of patches");
  if (list == nullptr) return patches;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string path = child_path(top.path_of("patches"), i);
    const json& item = (*list)[i];
    if (!item.is_object()) {
      top.diag().error(path, "expected a patch (mapping with id and tools, policies or system), got " +
                                 describe_value(item));
      continue;
    }
    const ObjectReader r(item, path, top.diag(), kPatchKeys);
    DefinitionPatch patch;
    patch.id = r.string("id", Need::required, "a patch id: a-z, 0-9 and -").value_or("");
    patch.system = r.string("system", Need::optional, "the system prompt");
    patch.policies = parse_policy_overrides(r, base.policies);
    parse_patch_tools(r, base, patch);
    inherit_policy_overrides(top, base, patch);
    patches.push_back(std::move(patch));
  }
  return patches;
}

}  // namespace agentrt
