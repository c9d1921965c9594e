#pragma once
// Loads and validates an agent definition (YAML or JSON; docs/definitions.md).
// A bad definition is refused before anything runs: the Error (Errc::invalid) names the file,
// the line (and column) or the field path, and what is wrong, e.g.
//   "agent.yaml:7:5: tools[0].http.url: missing (an http tool needs a url)".

#include <filesystem>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/model/definition.hpp"
#include "core/model/error.hpp"

namespace agentrt {

// Reads `path` (.yaml, .yml or .json). Relative paths inside (scripted provider's script,
// command tool working_dir) are resolved against the file's directory.
Result<AgentDefinition> load_definition(const std::filesystem::path& path);

// Parses text already read; `source_name` is used in error messages, `base_dir` to resolve
// relative paths.
Result<AgentDefinition> parse_definition(std::string_view text, std::string_view source_name,
                                         const std::filesystem::path& base_dir);

// Rebuilds a definition from its canonical JSON (as stored with a session). The hash must
// match; relative paths were already resolved when it was first loaded.
Result<AgentDefinition> definition_from_canonical(const nlohmann::json& canonical);

}  // namespace agentrt
