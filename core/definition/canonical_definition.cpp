#include "core/definition/canonical_definition.hpp"

#include "core/definition/builtin_tools.hpp"
#include "core/definition/definition_limits.hpp"
#include "core/definition/definition_patches.hpp"
#include "core/definition/object_reader.hpp"

namespace agentrt {
namespace {

using nlohmann::json;

json optional_json(const auto& value) { return value ? json(*value) : json(nullptr); }

json retry_json(const RetryPolicy& retry) {
  return {{"attempts", retry.attempts},
          {"initial_backoff_ms", retry.initial_backoff.count()},
          {"max_backoff_ms", retry.max_backoff.count()},
          {"multiplier", retry.multiplier}};
}

json tool_json(const ToolDefinition& tool) {
  json out = {{"name", tool.name},
              {"description", tool.description},
              {"parameters", tool.parameters},
              {"kind", tool_kind_name(tool.kind)},
              {"requires_approval", tool.requires_approval},
              {"timeout_ms", tool.timeout.count()},
              {"retry", retry_json(tool.retry)}};
  if (tool.kind == ToolKind::http) {
    out["http"] = {{"method", tool.http.method}, {"url", tool.http.url}, {"headers", tool.http.headers}};
  } else if (tool.kind == ToolKind::command) {
    out["command"] = {{"argv", tool.command.argv}, {"working_dir", tool.command.working_dir}};
  }
  return out;
}

// ---- reading back ----

int read_int(const ObjectReader& r, std::string_view key, const IntRange& range) {
  return static_cast<int>(r.integer(key, Need::required, range.min, range.max, range.expectation).value_or(range.min));
}

milliseconds read_ms(const ObjectReader& r, std::string_view key) {
  return milliseconds{r.integer(key, Need::required, kDurationMsRange.min, kDurationMsRange.max,
                                kDurationMsRange.expectation)
                          .value_or(1)};
}

// Present and either null or a value in range.
template <class T>
std::optional<T> read_nullable(const ObjectReader& r, std::string_view key, const IntRange& range) {
  const json* value = r.find(key);
  if (value == nullptr) r.diag().missing(r.path_of(key), "required: null or " + std::string(range.expectation));
  if (value == nullptr || value->is_null()) return std::nullopt;
  if (auto v = r.integer(key, Need::required, range.min, range.max, range.expectation)) return static_cast<T>(*v);
  return std::nullopt;
}

const json& object_or_empty(const ObjectReader& r, std::string_view key) {
  static const json kEmpty = json::object();  // immutable: not mutable global state
  const json* value = r.mapping(key, Need::required, "an object");
  return value == nullptr ? kEmpty : *value;
}

RetryPolicy read_retry(const ObjectReader& parent) {
  const ObjectReader r(object_or_empty(parent, "retry"), parent.path_of("retry"), parent.diag(),
                       {"attempts", "initial_backoff_ms", "max_backoff_ms", "multiplier"});
  RetryPolicy retry;
  retry.attempts = read_int(r, "attempts", kAttemptsRange);
  retry.initial_backoff = read_ms(r, "initial_backoff_ms");
  retry.max_backoff = read_ms(r, "max_backoff_ms");
  retry.multiplier = r.number("multiplier", Need::required, kMultiplierRange.min, kMultiplierRange.max,
                              kMultiplierRange.expectation)
                         .value_or(1.0);
  return retry;
}

std::string read_text(const ObjectReader& r, std::string_view key) {
  return r.string(key, Need::required, "a string").value_or("");
}

ModelConfig read_model(const ObjectReader& top) {
  const ObjectReader r(object_or_empty(top, "model"), "model", top.diag(),
                       {"provider", "name", "base_url", "api_key_env", "script", "temperature", "max_tokens",
                        "timeout_ms", "retry"});
  ModelConfig model;
  model.provider = read_text(r, "provider");
  model.name = read_text(r, "name");
  model.base_url = read_text(r, "base_url");
  model.api_key_env = read_text(r, "api_key_env");
  model.script = read_text(r, "script");
  if (const json* t = r.find("temperature"); t == nullptr || !t->is_null()) {
    model.temperature = r.number("temperature", Need::required, kTemperatureRange.min, kTemperatureRange.max,
                                 kTemperatureRange.expectation);
  }
  model.max_tokens = read_nullable<int>(r, "max_tokens", kMaxTokensRange);
  model.timeout = read_ms(r, "timeout_ms");
  model.retry = read_retry(r);
  return model;
}

Policies read_policies(const ObjectReader& top) {
  const ObjectReader r(object_or_empty(top, "policies"), "policies", top.diag(),
                       {"max_steps_per_turn", "turn_timeout_ms", "tool_timeout_ms", "retry", "max_invalid_replies",
                        "max_tokens_per_turn", "checkpoint_every"});
  Policies policies;
  policies.max_steps_per_turn = read_int(r, "max_steps_per_turn", kMaxStepsRange);
  policies.turn_timeout = read_ms(r, "turn_timeout_ms");
  policies.tool_timeout = read_ms(r, "tool_timeout_ms");
  policies.retry = read_retry(r);
  policies.max_invalid_replies = read_int(r, "max_invalid_replies", kMaxInvalidRepliesRange);
  policies.max_tokens_per_turn = read_nullable<long long>(r, "max_tokens_per_turn", kTokensPerTurnRange);
  policies.checkpoint_every = read_int(r, "checkpoint_every", kCheckpointEveryRange);
  return policies;
}

void read_kind_block(const ObjectReader& r, ToolDefinition& tool) {
  for (std::string_view key : {"http", "command"}) {
    if (r.has(key) && tool_kind_name(tool.kind) != key) r.diag().error(r.path_of(key), "not used by this kind of tool");
  }
  if (tool.kind == ToolKind::http) {
    const ObjectReader http(object_or_empty(r, "http"), r.path_of("http"), r.diag(), {"method", "url", "headers"});
    tool.http.method = read_text(http, "method");
    tool.http.url = read_text(http, "url");
    for (const auto& [name, value] : object_or_empty(http, "headers").items()) {
      if (auto text = read_string(value, child_path(http.path_of("headers"), name), r.diag(), "a string")) {
        tool.http.headers[name] = *text;
      }
    }
  } else if (tool.kind == ToolKind::command) {
    const ObjectReader command(object_or_empty(r, "command"), r.path_of("command"), r.diag(), {"argv", "working_dir"});
    if (const json* argv = command.list("argv", Need::required, "a list of strings")) {
      for (std::size_t i = 0; i < argv->size(); ++i) {
        if (auto arg = read_string((*argv)[i], child_path(command.path_of("argv"), i), r.diag(), "a string")) {
          tool.command.argv.push_back(*arg);
        }
      }
    }
    tool.command.working_dir = read_text(command, "working_dir");
  }
}

ToolDefinition read_tool(const json& value, const std::string& path, Diagnostics& diag) {
  static const json kEmpty = json::object();
  const ObjectReader r(value.is_object() ? value : kEmpty, path, diag,
                       {"name", "description", "parameters", "kind", "requires_approval", "timeout_ms", "retry",
                        "http", "command"});
  if (!value.is_object()) diag.error(path, "expected an object, got " + describe_value(value));
  ToolDefinition tool;
  tool.name = read_text(r, "name");
  tool.description = read_text(r, "description");
  if (const json* parameters = r.find("parameters")) {
    tool.parameters = *parameters;
  } else {
    diag.missing(r.path_of("parameters"), "required: a JSON schema");
  }
  const std::string kind = read_text(r, "kind");
  if (auto parsed = parse_tool_kind(kind)) {
    tool.kind = *parsed;
  } else {
    diag.error(r.path_of("kind"), "unknown tool kind " + quote_text(kind) + " (expected http, command, ask_human, sleep, kv_get or kv_put)");
  }
  tool.requires_approval = r.boolean("requires_approval").value_or(false);
  if (!r.has("requires_approval")) diag.missing(r.path_of("requires_approval"), "required: true or false");
  tool.timeout = read_ms(r, "timeout_ms");
  tool.retry = read_retry(r);
  read_kind_block(r, tool);
  return tool;
}

}  // namespace

json to_canonical_json(const AgentDefinition& def) {
  json tools = json::array();
  for (const auto& tool : def.tools) tools.push_back(tool_json(tool));
  const ModelConfig& m = def.model;
  const Policies& p = def.policies;
  json out = {{"canonical_format", kCanonicalFormat},
              {"name", def.name},
              {"version", def.version},
              {"system", def.system},
              {"model",
               {{"provider", m.provider},
                {"name", m.name},
                {"base_url", m.base_url},
                {"api_key_env", m.api_key_env},
                {"script", m.script},
                {"temperature", optional_json(m.temperature)},
                {"max_tokens", optional_json(m.max_tokens)},
                {"timeout_ms", m.timeout.count()},
                {"retry", retry_json(m.retry)}}},
              {"policies",
               {{"max_steps_per_turn", p.max_steps_per_turn},
                {"turn_timeout_ms", p.turn_timeout.count()},
                {"tool_timeout_ms", p.tool_timeout.count()},
                {"retry", retry_json(p.retry)},
                {"max_invalid_replies", p.max_invalid_replies},
                {"max_tokens_per_turn", optional_json(p.max_tokens_per_turn)},
                {"checkpoint_every", p.checkpoint_every}}},
              {"tools", tools}};
  if (!def.patches.empty()) out["patches"] = patches_to_canonical(def.patches);
  return out;
}

AgentDefinition read_canonical_fields(const json& canonical, Diagnostics& diag) {
  AgentDefinition def;
  if (!canonical.is_object()) {
    diag.error("", "expected a canonical definition object, got " + describe_value(canonical));
    return def;
  }
  const ObjectReader top(canonical, "", diag,
                         {"canonical_format", "name", "version", "system", "model", "policies", "tools", "patches"});
  if (top.integer("canonical_format", Need::required, kCanonicalFormat, kCanonicalFormat,
                  "format " + std::to_string(kCanonicalFormat) + " (written by this version of agentrt)")) {
    def.name = read_text(top, "name");
    def.version = read_int(top, "version", kVersionRange);
    def.system = read_text(top, "system");
    def.model = read_model(top);
    def.policies = read_policies(top);
    if (const json* tools = top.list("tools", Need::required, "a list of tools")) {
      for (std::size_t i = 0; i < tools->size(); ++i) {
        def.tools.push_back(read_tool((*tools)[i], child_path("tools", i), diag));
      }
    }
    if (const json* patches = top.find("patches")) def.patches = read_canonical_patches(*patches, diag);
  }
  return def;
}

}  // namespace agentrt
