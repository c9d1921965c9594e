#pragma once
// Semantic checks of a converted definition, shared by the file loader and the canonical
// reader: names, URLs and their placeholders, header ${env:NAME} syntax, parameter schemas,
// duplicate tool names, and (for files only) that referenced files and folders exist.
// Internal to core/definition.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/definition/diagnostics.hpp"
#include "core/model/definition.hpp"

namespace agentrt {

enum class FileChecks { on, off };

void validate_definition(const AgentDefinition& def, Diagnostics& diag, FileChecks files);

// Problems of an http(s) URL; fills `placeholders` with the {names} it uses (when allowed).
std::optional<std::string> check_http_url(std::string_view url, bool allow_placeholders,
                                          std::vector<std::string>* placeholders);
// True for [A-Za-z_][A-Za-z0-9_]*.
bool is_env_name(std::string_view name);
// nullopt when every "${" in `value` starts a well-formed ${env:NAME}.
std::optional<std::string> check_env_references(std::string_view value);

}  // namespace agentrt
