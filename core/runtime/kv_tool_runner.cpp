#include "core/runtime/kv_tool_runner.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace agentrt {
namespace {

namespace asio = boost::asio;
using json = nlohmann::json;

ToolResult failed(std::string why) { return ToolResult{false, std::move(why), 1}; }

// A store failure as the tool's result; cancellation stays an Error (the session is stopping).
Result<ToolResult> store_failure(const Error& error) {
  if (error.code == Errc::cancelled) return error;
  return failed(error.code == Errc::invalid ? error.message : "the KV store is unavailable: " + error.to_string());
}

}  // namespace

asio::awaitable<Result<ToolResult>> KvToolRunner::run(ToolInvocation invocation) {
  if (!invocation.arguments.is_object()) co_return failed("arguments must be an object");
  if (invocation.tool->kind == ToolKind::kv_get) co_return co_await get(invocation.arguments);
  if (invocation.tool->kind == ToolKind::kv_put) co_return co_await put(invocation.arguments);
  co_return failed("tool " + invocation.tool->name + " is not a KV tool");
}

asio::awaitable<Result<ToolResult>> KvToolRunner::get(const json& arguments) {
  const auto field = arguments.find("keys");
  if (field == arguments.end() || !field->is_array() || field->empty()) co_return failed("keys must be a non-empty array of strings");
  std::vector<std::string> keys;
  for (const auto& key : *field) {
    if (!key.is_string()) co_return failed("keys must be a non-empty array of strings");
    keys.push_back(key.get<std::string>());
  }
  const auto asked = keys;
  auto found = co_await store_.get_many(scope_, std::move(keys));
  if (!found) co_return store_failure(found.error());
  json missing = json::array();
  for (const auto& key : asked) {
    if (found->count(key) == 0 && std::find(missing.begin(), missing.end(), key) == missing.end()) missing.push_back(key);
  }
  json entries = json::object();
  for (auto& [key, value] : *found) entries[key] = std::move(value);
  const json output{{"entries", std::move(entries)}, {"missing", std::move(missing)}};
  co_return ToolResult{true, output.dump(), 1};
}

asio::awaitable<Result<ToolResult>> KvToolRunner::put(const json& arguments) {
  const auto field = arguments.find("entries");
  if (field == arguments.end() || !field->is_object() || field->empty()) {
    co_return failed("entries must be a non-empty object {\"key\": value}");
  }
  KvEntries entries;
  for (const auto& [key, value] : field->items()) entries[key] = value;
  const auto count = entries.size();
  auto done = co_await store_.put_many(scope_, std::move(entries));
  if (!done) co_return store_failure(done.error());
  const json output{{"written", count}};
  co_return ToolResult{true, output.dump(), 1};
}

}  // namespace agentrt
