#pragma once
// Versioning patches of a definition (docs/versioning.md): read from the definition file,
// written to and read back from the canonical JSON, and validated (shared by both readers).
// A patch's values are resolved against the base definition when it is read: durations in
// ms, `retries` as a whole RetryPolicy, and a patch's policies.tool_timeout / policies.retry
// copied onto the tools that inherit them. Internal to core/definition; the effective view a
// session sees is in effective_definition.hpp.

#include <cstddef>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/definition/diagnostics.hpp"
#include "core/definition/object_reader.hpp"
#include "core/model/definition.hpp"

namespace agentrt {

inline constexpr std::size_t kPatchesMax = 64;

// `patches:` of a definition file; `base` is the definition parsed so far (tools, policies).
std::vector<DefinitionPatch> parse_patches(const ObjectReader& top, const AgentDefinition& base);

// [{"id", "system" (string or null), "policies": {only overridden keys}, "tools": {name: {...}}}]
nlohmann::json patches_to_canonical(const std::vector<DefinitionPatch>& patches);
std::vector<DefinitionPatch> read_canonical_patches(const nlohmann::json& value, Diagnostics& diag);

// Ids ([a-z0-9-]+, unique), tools that exist, overrides allowed for the tool's kind, schemas.
void validate_patches(const AgentDefinition& def, Diagnostics& diag);

}  // namespace agentrt
