// Checks of a definition's patches, shared by the file loader and the canonical reader.

#include <algorithm>
#include <cctype>
#include <map>

#include "core/definition/builtin_tools.hpp"
#include "core/definition/definition_patches.hpp"
#include "core/definition/json_schema.hpp"

namespace agentrt {
namespace {

using nlohmann::json;

bool is_patch_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

bool is_builtin(ToolKind kind) { return is_builtin_kind(kind); }

void check_tool_overrides(const AgentDefinition& def, const DefinitionPatch& patch, const std::string& path,
                          Diagnostics& diag) {
  for (const auto& [name, o] : patch.tools) {
    const std::string at = child_path(path + ".tools", name);
    const ToolDefinition* tool = def.find_tool(name);
    if (tool == nullptr) {
      diag.error(at, "unknown tool " + quote_text(name) + " (a patch may only change a tool of the definition)");
      continue;
    }
    if (is_builtin(tool->kind) && (o.timeout || o.retry)) {
      diag.error(at, "timeout and retries are not used by built-in tools (the runtime runs them)");
    }
    if (o.parameters) {
      if (auto problem = check_schema(*o.parameters)) {
        diag.error(at + ".parameters", "not a valid schema: " + *problem);
      } else if (!o.parameters->is_object() || o.parameters->value("type", json()) != "object") {
        diag.error(at + ".parameters", "the schema must have type: object (tool arguments are a JSON object)");
      }
    }
    if (o.retry && o.retry->max_backoff < o.retry->initial_backoff) {
      diag.error(at + ".retry.max_backoff", "is less than initial_backoff");
    }
  }
}

}  // namespace

void validate_patches(const AgentDefinition& def, Diagnostics& diag) {
  if (def.patches.size() > kPatchesMax) {
    diag.error("patches", std::to_string(def.patches.size()) + " patches; at most " + std::to_string(kPatchesMax) +
                              " (fold old patches into the definition once no running session lacks their marker)");
  }
  std::map<std::string, std::size_t> first_index;
  for (std::size_t i = 0; i < def.patches.size(); ++i) {
    const DefinitionPatch& patch = def.patches[i];
    const std::string path = child_path("patches", i);
    if (!is_patch_id(patch.id)) {
      diag.error(path + ".id", quote_text(patch.id) + " is not a valid patch id (1 to 64 of a-z, 0-9 or -)");
    } else if (const auto [it, inserted] = first_index.emplace(patch.id, i); !inserted) {
      diag.error(path + ".id", "duplicate patch id " + quote_text(patch.id) + " (also patches[" +
                                   std::to_string(it->second) + "])");
    }
    if (patch.system && std::all_of(patch.system->begin(), patch.system->end(),
                                    [](unsigned char c) { return std::isspace(c) != 0; })) {
      diag.error(path + ".system", "is empty (expected the system prompt)");
    }
    if (patch.policies.retry && patch.policies.retry->max_backoff < patch.policies.retry->initial_backoff) {
      diag.error(path + ".policies.retry.max_backoff", "is less than initial_backoff");
    }
    check_tool_overrides(def, patch, path, diag);
  }
}

}  // namespace agentrt
