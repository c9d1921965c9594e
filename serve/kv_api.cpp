#include "serve/kv_api.hpp"

#include <algorithm>
#include <optional>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <spdlog/spdlog.h>

#include "backends/http_server/percent_decoding.hpp"
#include "core/model/kv_bounds.hpp"
#include "serve/api_support.hpp"

namespace agentrt::serve {
namespace {

namespace asio = boost::asio;
using json = nlohmann::json;

template <class T>
bool is_answer(const std::variant<T, ServerResponse>& v) {
  return std::holds_alternative<ServerResponse>(v);
}

// Every `key` parameter of the query, in order (ServerRequest::query keeps only the first).
std::variant<std::vector<std::string>, ServerResponse> query_keys(const ServerRequest& request) {
  std::vector<std::string> keys;
  const auto mark = request.target.find('?');
  const std::string_view query = mark == std::string::npos ? std::string_view{} : std::string_view(request.target).substr(mark + 1);
  std::size_t start = 0;
  while (start <= query.size()) {
    const auto end = std::min(query.find('&', start), query.size());
    const auto pair = query.substr(start, end - start);
    start = end + 1;
    const auto equals = pair.find('=');
    if (pair.substr(0, equals) != "key") continue;
    auto key = percent_decode(equals == std::string_view::npos ? std::string_view{} : pair.substr(equals + 1), true);
    if (!key) return json_error(400, "invalid_request", "a key parameter is not valid percent-encoding");
    keys.push_back(std::move(*key));
    if (keys.size() > kKvBatchMax) break;  // check_kv_keys reports it; stop reading a huge query
  }
  if (keys.empty()) return json_error(400, "invalid_request", "name at least one key: ?key=a&key=b");
  return keys;
}

// The org's scope for `bot`, or the answer (401 without a valid token, 404 for a bot this
// server does not run).
std::variant<KvScope, ServerResponse> scope_of(const ServerRequest& request, const KvApiContext& c, const std::string& bot) {
  auto org = authorise(request, *c.tokens);
  if (is_answer(org)) return std::get<ServerResponse>(std::move(org));
  if (!c.bots->current()->contains(bot)) {
    return json_error(404, "unknown_bot", "no bot \"" + bot + "\" is configured on this server");
  }
  return KvScope{OrgId{std::get<std::string>(std::move(org))}, BotId{bot}};
}

// Bounds are the client's mistake (400 with the reason); anything else is the store's.
ServerResponse kv_error(const Error& error, const std::string& what) {
  if (error.code == Errc::invalid) return json_error(400, "invalid_request", error.message);
  spdlog::error("api: {}: {}", what, error.to_string());
  if (error.retryable()) return json_error(503, "unavailable", "the KV store is busy; retry the same call");
  return json_error(500, "internal", "the KV store failed; see the server log");
}

}  // namespace

void KvApi::add_routes(Router& router) {
  router.add("GET", "/v1/bots/{bot}/kv", [this](const ServerRequest& r, const PathParams& p) { return get(r, p.at("bot")); });
  router.add("PUT", "/v1/bots/{bot}/kv", [this](const ServerRequest& r, const PathParams& p) { return put(r, p.at("bot")); });
  router.add("DELETE", "/v1/bots/{bot}/kv",
             [this](const ServerRequest& r, const PathParams& p) { return erase(r, p.at("bot")); });
}

asio::awaitable<ServerResponse> KvApi::get(const ServerRequest& request, std::string bot) {
  auto scope = scope_of(request, c_, bot);
  if (is_answer(scope)) co_return std::get<ServerResponse>(std::move(scope));
  auto keys = query_keys(request);
  if (is_answer(keys)) co_return std::get<ServerResponse>(std::move(keys));
  auto asked = std::get<std::vector<std::string>>(keys);
  auto found = co_await c_.kv->get_many(std::get<KvScope>(scope), std::get<std::vector<std::string>>(std::move(keys)));
  if (!found) co_return kv_error(found.error(), "kv get bot=" + bot);
  json missing = json::array();
  for (const auto& key : asked) {
    if (found->count(key) == 0 && std::find(missing.begin(), missing.end(), key) == missing.end()) missing.push_back(key);
  }
  json entries = json::object();
  for (auto& [key, value] : *found) entries[key] = std::move(value);
  co_return json_response(200, {{"bot", bot}, {"entries", std::move(entries)}, {"missing", std::move(missing)}});
}

asio::awaitable<ServerResponse> KvApi::put(const ServerRequest& request, std::string bot) {
  auto scope = scope_of(request, c_, bot);
  if (is_answer(scope)) co_return std::get<ServerResponse>(std::move(scope));
  auto body = json_object_body(request);
  if (is_answer(body)) co_return std::get<ServerResponse>(std::move(body));
  auto& doc = std::get<json>(body);
  const auto field = doc.find("entries");
  if (field == doc.end() || !field->is_object() || field->empty()) {
    co_return json_error(400, "invalid_request", "entries must be a non-empty object {\"key\": <json value>, ...}");
  }
  if (doc.size() != 1) co_return json_error(400, "invalid_request", "the body has only \"entries\"");
  KvEntries entries;
  for (auto& [key, value] : field->items()) entries[key] = std::move(value);
  const auto count = entries.size();
  auto done = co_await c_.kv->put_many(std::get<KvScope>(scope), std::move(entries));
  if (!done) co_return kv_error(done.error(), "kv put bot=" + bot);
  co_return json_response(200, {{"bot", bot}, {"written", count}});
}

asio::awaitable<ServerResponse> KvApi::erase(const ServerRequest& request, std::string bot) {
  auto scope = scope_of(request, c_, bot);
  if (is_answer(scope)) co_return std::get<ServerResponse>(std::move(scope));
  auto keys = query_keys(request);
  if (is_answer(keys)) co_return std::get<ServerResponse>(std::move(keys));
  const auto count = std::get<std::vector<std::string>>(keys).size();
  auto done = co_await c_.kv->erase_many(std::get<KvScope>(scope), std::get<std::vector<std::string>>(std::move(keys)));
  if (!done) co_return kv_error(done.error(), "kv erase bot=" + bot);
  co_return json_response(200, {{"bot", bot}, {"erased", count}});
}

}  // namespace agentrt::serve
