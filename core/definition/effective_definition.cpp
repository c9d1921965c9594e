#include "core/definition/effective_definition.hpp"

#include <algorithm>

namespace agentrt {
namespace {

void apply(const PolicyOverrides& o, Policies& p) {
  if (o.max_steps_per_turn) p.max_steps_per_turn = *o.max_steps_per_turn;
  if (o.turn_timeout) p.turn_timeout = *o.turn_timeout;
  if (o.tool_timeout) p.tool_timeout = *o.tool_timeout;
  if (o.retry) p.retry = *o.retry;
  if (o.max_invalid_replies) p.max_invalid_replies = *o.max_invalid_replies;
  if (o.max_tokens_per_turn) p.max_tokens_per_turn = *o.max_tokens_per_turn;
  if (o.checkpoint_every) p.checkpoint_every = *o.checkpoint_every;
}

}  // namespace

ToolDefinition EffectiveTool::to_definition() const {
  ToolDefinition tool = *base;
  tool.requires_approval = requires_approval;
  tool.description = *description;
  tool.parameters = *parameters;
  tool.timeout = timeout;
  tool.retry = retry;
  return tool;
}

EffectiveDefinition::EffectiveDefinition(const AgentDefinition& base, const std::vector<std::string>& session_patches)
    : base_(base), system_(&base.system), policies_(base.policies) {
  if (session_patches.empty()) return;
  for (const auto& patch : base.patches) {
    if (!std::binary_search(session_patches.begin(), session_patches.end(), patch.id)) continue;
    applied_.push_back(&patch);
    if (patch.system) system_ = &*patch.system;
    apply(patch.policies, policies_);
  }
}

std::optional<EffectiveTool> EffectiveDefinition::find_tool(std::string_view name) const {
  const ToolDefinition* tool = base_.find_tool(name);
  if (tool == nullptr) return std::nullopt;
  EffectiveTool t{tool, tool->requires_approval, &tool->description, &tool->parameters, tool->timeout, tool->retry};
  for (const DefinitionPatch* patch : applied_) {
    const auto found = patch->tools.find(tool->name);
    if (found == patch->tools.end()) continue;
    const ToolOverrides& o = found->second;
    if (o.requires_approval) t.requires_approval = *o.requires_approval;
    if (o.description) t.description = &*o.description;
    if (o.parameters) t.parameters = &*o.parameters;
    if (o.timeout) t.timeout = *o.timeout;
    if (o.retry) t.retry = *o.retry;
  }
  return t;
}

std::vector<std::string> EffectiveDefinition::applied_patch_ids() const {
  std::vector<std::string> ids;
  for (const DefinitionPatch* patch : applied_) ids.push_back(patch->id);
  return ids;
}

std::vector<std::string> patch_marker_ids(const AgentDefinition& definition) {
  std::vector<std::string> ids;
  for (const auto& patch : definition.patches) ids.push_back(patch.id);
  return ids;
}

}  // namespace agentrt
