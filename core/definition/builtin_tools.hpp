#pragma once
// The built-in tools the runtime implements itself, and the description and parameters a
// definition gets for them when it gives none.

#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/model/definition.hpp"

namespace agentrt {

// "ask_human" -> ToolKind::ask_human, "sleep" -> ToolKind::sleep; nullopt otherwise.
std::optional<ToolKind> builtin_kind(std::string_view name);
// "http", "command", "ask_human", "sleep".
std::string_view tool_kind_name(ToolKind kind);
std::optional<ToolKind> parse_tool_kind(std::string_view name);

std::string_view builtin_description(ToolKind kind);
// ask_human: {question: string}; sleep: {seconds: number 0..2592000}.
nlohmann::json builtin_parameters(ToolKind kind);

}  // namespace agentrt
