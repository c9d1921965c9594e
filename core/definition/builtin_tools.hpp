#pragma once
// The built-in tools the runtime implements itself, and the description and parameters a
// definition gets for them when it gives none.

#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/model/definition.hpp"

namespace agentrt {

// "ask_human" -> ToolKind::ask_human, "sleep", "kv_get", "kv_put" likewise; nullopt otherwise.
std::optional<ToolKind> builtin_kind(std::string_view name);
// True for the kinds the runtime runs itself (no timeout or retries of their own).
bool is_builtin_kind(ToolKind kind);
// "http", "command", "ask_human", "sleep", "kv_get", "kv_put".
std::string_view tool_kind_name(ToolKind kind);
std::optional<ToolKind> parse_tool_kind(std::string_view name);

std::string_view builtin_description(ToolKind kind);
// ask_human: {question: string}; sleep: {seconds: number 0..2592000}; kv_get: {keys: [string]};
// kv_put: {entries: {key: json}}.
nlohmann::json builtin_parameters(ToolKind kind);

}  // namespace agentrt
