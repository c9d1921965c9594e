#pragma once
// The definition as one session sees it: the base definition plus the overrides of every
// patch the session has a Marker event for, applied in the definition's order (a later patch
// wins on the same field). A session without markers sees the base definition, so a history
// recorded before a patch existed replays unchanged (docs/versioning.md).
//
// A cheap view, made per decide() call: no copy of tools or schemas, only Policies by value.
// With no patch applying (the common case) every accessor returns the base definition's field.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/definition.hpp"

namespace agentrt {

// A tool with the session's overrides applied. Pointers refer into the definition.
struct EffectiveTool {
  const ToolDefinition* base = nullptr;       // name, kind, http / command spec
  bool requires_approval = false;
  const std::string* description = nullptr;
  const nlohmann::json* parameters = nullptr;
  milliseconds timeout{0};
  RetryPolicy retry;

  // A ToolDefinition with the overrides applied, for a ToolRunner (one copy per call).
  [[nodiscard]] ToolDefinition to_definition() const;
};

class EffectiveDefinition {
 public:
  // `session_patches`: the session's marker ids, sorted (SessionState::patches). Both
  // arguments must outlive the view.
  EffectiveDefinition(const AgentDefinition& base, const std::vector<std::string>& session_patches);

  [[nodiscard]] const AgentDefinition& base() const { return base_; }
  [[nodiscard]] const std::string& system() const { return *system_; }
  [[nodiscard]] const Policies& policies() const { return policies_; }
  // nullopt when the definition has no tool of that name.
  [[nodiscard]] std::optional<EffectiveTool> find_tool(std::string_view name) const;
  // Ids of the definition's patches this session takes, in definition order.
  [[nodiscard]] std::vector<std::string> applied_patch_ids() const;

 private:
  const AgentDefinition& base_;
  std::vector<const DefinitionPatch*> applied_;  // empty (no allocation) when nothing applies
  const std::string* system_;
  Policies policies_;
};

// The Marker events a new session records right after SessionStarted: one per patch of its
// definition, in order, so the session takes every branch its definition knows.
std::vector<std::string> patch_marker_ids(const AgentDefinition& definition);

}  // namespace agentrt
