#include "core/definition/builtin_tools.hpp"

namespace agentrt {

std::optional<ToolKind> builtin_kind(std::string_view name) {
  if (name == "ask_human") return ToolKind::ask_human;
  if (name == "sleep") return ToolKind::sleep;
  if (name == "kv_get") return ToolKind::kv_get;
  if (name == "kv_put") return ToolKind::kv_put;
  return std::nullopt;
}

bool is_builtin_kind(ToolKind kind) { return kind != ToolKind::http && kind != ToolKind::command; }

std::string_view tool_kind_name(ToolKind kind) {
  switch (kind) {
    case ToolKind::http: return "http";
    case ToolKind::command: return "command";
    case ToolKind::ask_human: return "ask_human";
    case ToolKind::sleep: return "sleep";
    case ToolKind::kv_get: return "kv_get";
    case ToolKind::kv_put: return "kv_put";
  }
  return "http";
}

std::optional<ToolKind> parse_tool_kind(std::string_view name) {
  if (name == "http") return ToolKind::http;
  if (name == "command") return ToolKind::command;
  return builtin_kind(name);
}

std::string_view builtin_description(ToolKind kind) {
  if (kind == ToolKind::ask_human) {
    return "Ask the human user a question and wait for the answer. Use it when you need information "
           "or a decision only the user can give.";
  }
  if (kind == ToolKind::sleep) return "Pause for the given number of seconds, then continue.";
  if (kind == ToolKind::kv_get) {
    return "Read values saved for this bot by key. Returns {entries: {key: value}, missing: [keys not found]}.";
  }
  if (kind == ToolKind::kv_put) return "Save JSON values for this bot by key (overwrites). Returns {written: n}.";
  return "";
}

nlohmann::json builtin_parameters(ToolKind kind) {
  using nlohmann::json;
  if (kind == ToolKind::ask_human) {
    return json{{"type", "object"},
                {"properties", {{"question", {{"type", "string"}, {"description", "The question to ask."}}}}},
                {"required", json::array({"question"})},
                {"additionalProperties", false}};
  }
  if (kind == ToolKind::sleep) {
    return json{{"type", "object"},
                {"properties",
                 {{"seconds",
                   {{"type", "number"}, {"minimum", 0}, {"maximum", 2592000}, {"description", "How long to pause."}}}}},
                {"required", json::array({"seconds"})},
                {"additionalProperties", false}};
  }
  if (kind == ToolKind::kv_get) {
    return json{{"type", "object"},
                {"properties",
                 {{"keys",
                   {{"type", "array"},
                    {"items", {{"type", "string"}, {"minLength", 1}, {"maxLength", 512}}},
                    {"minItems", 1},
                    {"maxItems", 250},
                    {"description", "The keys to read."}}}}},
                {"required", json::array({"keys"})},
                {"additionalProperties", false}};
  }
  if (kind == ToolKind::kv_put) {
    return json{{"type", "object"},
                {"properties",
                 {{"entries", {{"type", "object"}, {"description", "The values to save, by key: {\"key\": value}."}}}}},
                {"required", json::array({"entries"})},
                {"additionalProperties", false}};
  }
  return json{{"type", "object"}, {"properties", json::object()}};
}

}  // namespace agentrt
