#include "core/definition/definition_validation.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>
#include <system_error>

#include "core/definition/definition_patches.hpp"
#include "core/definition/json_schema.hpp"

namespace agentrt {
namespace {

using nlohmann::json;

bool is_agent_name(std::string_view name) {
  const auto ok = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (name.empty() || name.size() > 64 || !ok(name[0])) return false;
  return std::all_of(name.begin(), name.end(), [&](char c) { return ok(c) || c == '_' || c == '-'; });
}

bool is_tool_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
  });
}

bool is_header_name(std::string_view name) {
  constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || kSpecials.find(c) != std::string_view::npos;
  });
}

bool is_blank(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
}

std::string ms_text(milliseconds ms) { return std::to_string(ms.count()) + "ms"; }

// "/properties/q/type" inside `schema` at `base` -> "base.properties.q.type" (for line numbers).
std::string pointer_to_path(const json& schema, const std::string& base, std::string_view pointer) {
  std::string path = base;
  const json* node = &schema;
  std::size_t start = 1;
  while (start <= pointer.size() && !pointer.empty() && node != nullptr) {
    const auto end = std::min(pointer.find('/', start), pointer.size());
    std::string token(pointer.substr(start, end - start));
    for (auto at = token.find("~1"); at != std::string::npos; at = token.find("~1", at + 1)) token.replace(at, 2, "/");
    for (auto at = token.find("~0"); at != std::string::npos; at = token.find("~0", at + 1)) token.replace(at, 2, "~");
    if (node->is_array() && !token.empty() && std::all_of(token.begin(), token.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      const auto index = std::stoul(token);
      path = child_path(path, index);
      node = index < node->size() ? &(*node)[index] : nullptr;
    } else if (node->is_object() && node->contains(token)) {
      path = child_path(path, token);
      node = &(*node)[token];
    } else {
      break;
    }
    start = end + 1;
  }
  return path;
}

void check_retry(const RetryPolicy& retry, const std::string& path, Diagnostics& diag) {
  if (retry.max_backoff < retry.initial_backoff) {
    diag.error(child_path(path, "max_backoff"), ms_text(retry.max_backoff) + " is less than initial_backoff " +
                                                    ms_text(retry.initial_backoff));
  }
}

void check_model(const ModelConfig& model, Diagnostics& diag, FileChecks files) {
  if (model.provider == "openai") {
    if (model.name.empty()) diag.error("model.name", "is empty (expected the model name, e.g. gpt-4o-mini)");
    if (auto problem = check_http_url(model.base_url, false, nullptr)) diag.error("model.base_url", *problem);
  } else if (model.provider == "scripted") {
    std::error_code ec;
    if (model.script.empty()) {
      diag.error("model.script", "is empty (expected the path of the reply script)");
    } else if (files == FileChecks::on && !std::filesystem::is_regular_file(model.script, ec)) {
      diag.error("model.script", "cannot read " + quote_text(model.script) + ": " +
                                     (ec ? ec.message() : std::string("No such file")));
    }
  } else {
    diag.error("model.provider", "unknown provider " + quote_text(model.provider) + " (expected openai or scripted)");
  }
  if (!model.api_key_env.empty() && !is_env_name(model.api_key_env)) {
    diag.error("model.api_key_env", "is not an environment variable name (letters, digits and _; "
                                    "give the variable's name, never the key itself)");
  }
  check_retry(model.retry, "model.retry", diag);
}

void check_parameters(const ToolDefinition& tool, const std::string& path, Diagnostics& diag) {
  const std::string at = child_path(path, "parameters");
  if (auto problem = check_schema(tool.parameters)) {
    const auto colon = problem->find(": ");
    const auto pointer = colon == std::string::npos ? std::string_view() : std::string_view(*problem).substr(0, colon);
    diag.error_located(at, "not a valid schema: " + *problem, pointer_to_path(tool.parameters, at, pointer));
    return;
  }
  if (!tool.parameters.is_object() || tool.parameters.value("type", json()) != "object") {
    diag.error(at, "the schema must have type: object (tool arguments are a JSON object)");
  }
}

void check_http(const ToolDefinition& tool, const std::string& path, Diagnostics& diag) {
  static const std::set<std::string, std::less<>> kMethods = {"GET", "POST", "PUT", "PATCH", "DELETE"};
  if (!kMethods.contains(tool.http.method)) {
    diag.error(path + ".http.method", "unknown method " + quote_text(tool.http.method) +
                                          " (expected GET, POST, PUT, PATCH or DELETE)");
  }
  std::vector<std::string> placeholders;
  if (auto problem = check_http_url(tool.http.url, true, &placeholders)) {
    diag.error(path + ".http.url", *problem);
  }
  const json properties = tool.parameters.is_object() ? tool.parameters.value("properties", json::object()) : json();
  for (const auto& name : placeholders) {
    if (!properties.is_object() || !properties.contains(name)) {
      diag.error(path + ".http.url", "placeholder {" + name + "} is not a property of the parameters schema");
    }
  }
  for (const auto& [name, value] : tool.http.headers) {
    const std::string at = path + ".http.headers." + name;
    if (!is_header_name(name)) diag.error(at, "is not a valid header name");
    if (value.find_first_of("\r\n") != std::string::npos) diag.error(at, "the value contains a line break");
    if (auto problem = check_env_references(value)) diag.error(at, *problem);
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower == "idempotency-key") diag.error(at, "is set by agentrt on every call (remove it)");
  }
}

void check_command(const ToolDefinition& tool, const std::string& path, Diagnostics& diag, FileChecks files) {
  if (tool.command.argv.empty()) diag.error(path + ".command.argv", "is empty (expected the program and its arguments)");
  for (std::size_t i = 0; i < tool.command.argv.size(); ++i) {
    if (tool.command.argv[i].empty()) diag.error(child_path(path + ".command.argv", i), "is an empty string");
  }
  const std::filesystem::path dir(tool.command.working_dir);
  std::error_code ec;
  if (!dir.is_absolute()) {
    diag.error(path + ".command.working_dir", quote_text(tool.command.working_dir) + " is not an absolute path");
  } else if (files == FileChecks::on && !std::filesystem::is_directory(dir, ec)) {
    diag.error(path + ".command.working_dir", quote_text(tool.command.working_dir) + " is not a directory");
  }
}

void check_tools(const std::vector<ToolDefinition>& tools, Diagnostics& diag, FileChecks files) {
  std::map<std::string, std::size_t> first_index;
  for (std::size_t i = 0; i < tools.size(); ++i) {
    const ToolDefinition& tool = tools[i];
    const std::string path = child_path("tools", i);
    if (!is_tool_name(tool.name)) {
      diag.error(path + ".name", quote_text(tool.name) + " is not a valid tool name (1 to 64 letters, digits, _ or -)");
    }
    if (const auto [it, inserted] = first_index.emplace(tool.name, i); !inserted) {
      diag.error(path + ".name", "duplicate tool name " + quote_text(tool.name) + " (also tools[" +
                                     std::to_string(it->second) + "])");
    }
    check_parameters(tool, path, diag);
    if (tool.kind == ToolKind::http) check_http(tool, path, diag);
    if (tool.kind == ToolKind::command) check_command(tool, path, diag, files);
  }
}

}  // namespace

void validate_definition(const AgentDefinition& def, Diagnostics& diag, FileChecks files) {
  if (!is_agent_name(def.name)) {
    diag.error("name", quote_text(def.name) + " is not a valid agent name (1 to 64 of a-z, 0-9, _ or -, "
                                          "starting with a letter or digit)");
  }
  if (def.version < 1) diag.error("version", std::to_string(def.version) + " is not an integer >= 1");
  if (is_blank(def.system)) diag.error("system", "is empty (expected the system prompt)");
  check_model(def.model, diag, files);
  check_retry(def.policies.retry, "policies.retry", diag);
  check_tools(def.tools, diag, files);
  validate_patches(def, diag);
}

}  // namespace agentrt
