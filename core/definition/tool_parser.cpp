// tools: [...] of a definition file -> ToolDefinition. A tool has exactly one of http, command
// or builtin; timeout/retries may sit in the tool or in its http/command block, not both.

#include "core/definition/builtin_tools.hpp"
#include "core/definition/definition_limits.hpp"
#include "core/definition/definition_parser.hpp"

namespace agentrt {
namespace {

using nlohmann::json;

const std::vector<std::string_view> kToolKeys = {"name",    "description", "parameters",        "http",    "command",
                                                 "builtin", "requires_approval", "timeout", "retries"};
const std::vector<std::string_view> kHttpKeys = {"method", "url", "headers", "timeout", "retries"};
const std::vector<std::string_view> kCommandKeys = {"argv", "working_dir", "timeout", "retries"};

// Reads timeout/retries from the tool or its kind block into `tool` (defaults already set).
void read_limits(const ObjectReader& tool_reader, const ObjectReader* block, ToolDefinition& tool) {
  for (std::string_view key : {"timeout", "retries"}) {
    if (block != nullptr && block->has(key) && tool_reader.has(key)) {
      tool_reader.diag().error(block->path_of(key), "given twice (also at " + tool_reader.path_of(key) + "); keep one");
    }
  }
  for (const ObjectReader* reader : {&tool_reader, block}) {
    if (reader == nullptr) continue;
    if (auto t = reader->duration("timeout")) tool.timeout = *t;
    if (auto n = reader->integer("retries", Need::optional, kRetriesRange.min, kRetriesRange.max,
                                 kRetriesRange.expectation)) {
      tool.retry.attempts = static_cast<int>(*n) + 1;
    }
  }
}

void parse_http(const ObjectReader& tool_reader, const json& value, ToolDefinition& tool) {
  const ObjectReader http(value, tool_reader.path_of("http"), tool_reader.diag(), kHttpKeys);
  if (auto method = http.string("method", Need::optional, "GET, POST, PUT, PATCH or DELETE")) tool.http.method = *method;
  tool.http.url = http.string("url", Need::required, "an http(s) URL").value_or("");
  if (const json* headers = http.mapping("headers", Need::optional, "a mapping of header name to value")) {
    for (const auto& [name, header_value] : headers->items()) {
      const std::string path = child_path(http.path_of("headers"), name);
      // Header values may hold credentials: never echo them.
      if (!header_value.is_string()) {
        http.diag().error(path, "expected a string value, got " + std::string(header_value.type_name()) +
                                    " (put it in quotes)");
        continue;
      }
      tool.http.headers[name] = header_value.get<std::string>();
    }
  }
  read_limits(tool_reader, &http, tool);
}

void parse_command(const ObjectReader& tool_reader, const json& value, const std::filesystem::path& base_dir,
                   ToolDefinition& tool) {
  const ObjectReader command(value, tool_reader.path_of("command"), tool_reader.diag(), kCommandKeys);
  if (const json* argv = command.list("argv", Need::required, "a list: program and its arguments")) {
    for (std::size_t i = 0; i < argv->size(); ++i) {
      auto arg = read_string((*argv)[i], child_path(command.path_of("argv"), i), command.diag(), "a string");
      if (arg) tool.command.argv.push_back(std::move(*arg));
    }
  }
  const auto dir = command.string("working_dir", Need::optional, "a directory path");
  tool.command.working_dir = resolve_path(base_dir, dir.value_or("."));
  read_limits(tool_reader, &command, tool);
}

void parse_builtin(const ObjectReader& tool_reader, ToolDefinition& tool) {
  const auto name = tool_reader.string("builtin", Need::required, "ask_human, sleep, kv_get or kv_put");
  if (!name) return;
  if (auto kind = builtin_kind(*name)) {
    tool.kind = *kind;
  } else {
    tool_reader.diag().error(tool_reader.path_of("builtin"),
                             "unknown built-in " + quote_text(*name) + " (expected ask_human, sleep, kv_get or kv_put)");
  }
  for (std::string_view key : {"timeout", "retries"}) {
    if (tool_reader.has(key)) {
      tool_reader.diag().error(tool_reader.path_of(key), "not used by built-in tools (the runtime runs them)");
    }
  }
  if (!tool_reader.has("description")) tool.description = std::string(builtin_description(tool.kind));
  if (!tool_reader.has("parameters")) tool.parameters = builtin_parameters(tool.kind);
}

// Exactly one of http / command / builtin.
std::optional<std::string_view> kind_key(const ObjectReader& reader) {
  std::vector<std::string_view> given;
  for (std::string_view key : {"http", "command", "builtin"}) {
    if (reader.has(key)) given.push_back(key);
  }
  if (given.size() == 1) return given.front();
  if (given.empty()) {
    reader.diag().error(reader.path(), "needs one of http, command or builtin (what the tool runs)");
  } else {
    reader.diag().error(reader.path(), "has both " + std::string(given[0]) + " and " + std::string(given[1]) +
                                           " (a tool has exactly one of http, command or builtin)");
  }
  return std::nullopt;
}

ToolDefinition parse_tool(const ObjectReader& reader, const Policies& policies, const std::filesystem::path& base_dir) {
  ToolDefinition tool;
  tool.timeout = policies.tool_timeout;
  tool.retry = policies.retry;
  tool.name = reader.string("name", Need::required, "tool name: letters, digits, _ or -").value_or("");
  tool.description = reader.string("description", Need::optional, "text for the model").value_or("");
  tool.parameters = json{{"type", "object"}, {"properties", json::object()}};
  if (const json* parameters = reader.mapping("parameters", Need::optional, "a JSON schema (mapping)")) {
    tool.parameters = *parameters;
  }
  if (auto approval = reader.boolean("requires_approval")) tool.requires_approval = *approval;
  const auto kind = kind_key(reader);
  if (!kind) return tool;
  if (*kind == "builtin") {
    parse_builtin(reader, tool);
  } else if (const json* block = reader.mapping(*kind, Need::required, "a mapping")) {
    if (*kind == "http") {
      tool.kind = ToolKind::http;
      parse_http(reader, *block, tool);
    } else {
      tool.kind = ToolKind::command;
      parse_command(reader, *block, base_dir, tool);
    }
  }
  return tool;
}

}  // namespace

std::vector<ToolDefinition> parse_tools(const ObjectReader& parent, const Policies& policies,
                                        const std::filesystem::path& base_dir) {
  std::vector<ToolDefinition> tools;
  const json* list = parent.list("tools", Need::optional, "a list of tools");
  if (list == nullptr) return tools;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string path = child_path(parent.path_of("tools"), i);
    const json& item = (*list)[i];
    if (!item.is_object()) {
      parent.diag().error(path, "expected a tool (mapping with name and http, command or builtin), got " +
                                    describe_value(item));
      continue;
    }
    const ObjectReader reader(item, path, parent.diag(), kToolKeys);
    tools.push_back(parse_tool(reader, policies, base_dir));
  }
  return tools;
}

}  // namespace agentrt
