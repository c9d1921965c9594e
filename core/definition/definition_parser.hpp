#pragma once
// The definition file format (docs/definitions.md) -> AgentDefinition. Checks keys, types,
// ranges and relations between fields as it converts; cross-field semantics shared with the
// canonical reader (URLs, schemas, duplicate names, files) are in definition_validation.
// Internal to core/definition.

#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/definition/diagnostics.hpp"
#include "core/definition/object_reader.hpp"
#include "core/model/definition.hpp"

namespace agentrt {

// `base_dir` must be absolute; relative paths in the file are resolved against it.
AgentDefinition parse_definition_fields(const nlohmann::json& root, const std::filesystem::path& base_dir,
                                        Diagnostics& diag);

// tools: [...] (tool_parser.cpp); tools without timeout/retries take the policies' defaults.
std::vector<ToolDefinition> parse_tools(const ObjectReader& parent, const Policies& policies,
                                        const std::filesystem::path& base_dir);

// A retry mapping {attempts, initial_backoff, max_backoff, multiplier}; absent fields keep `defaults`.
RetryPolicy parse_retry(const nlohmann::json& value, const std::string& path, Diagnostics& diag, RetryPolicy defaults);

// `relative` resolved against `base_dir` and normalised ("a/../b" -> "b").
std::string resolve_path(const std::filesystem::path& base_dir, const std::string& relative);

}  // namespace agentrt
