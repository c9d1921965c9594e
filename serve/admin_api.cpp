#include "serve/admin_api.hpp"

#include <string>
#include <utility>
#include <variant>

#include <spdlog/spdlog.h>

#include "serve/api_support.hpp"
#include "serve/serve_config.hpp"

namespace agentrt::serve {
namespace {

std::string level_name(spdlog::level::level_enum level) {
  if (level == spdlog::level::warn) return "warn";  // spdlog says "warning"; the config says "warn"
  const auto name = spdlog::level::to_string_view(level);
  return std::string(name.data(), name.size());
}

}  // namespace

Result<std::optional<OrgTokens>> admin_tokens(const std::string& token_env, const EnvLookup& env) {
  if (token_env.empty()) return std::optional<OrgTokens>{};
  auto tokens = OrgTokens::from_config({OrgAccess{"admin", token_env, ""}}, env);
  if (!tokens) return tokens.error().with_context("admin_token_env");
  return std::optional<OrgTokens>(std::move(tokens).value());
}

void AdminApi::add_routes(Router& router) {
  router.add("GET", "/v1/admin/log-level", [this](const ServerRequest& r, const PathParams&) { return get_log_level(r); });
  router.add("PUT", "/v1/admin/log-level", [this](const ServerRequest& r, const PathParams&) { return put_log_level(r); });
}

std::optional<ServerResponse> AdminApi::refuse(const ServerRequest& request) const {
  if (!admin_) return json_error(404, "not_enabled", "the admin API is off: set admin_token_env in the serve config");
  auto caller = authorise(request, *admin_);
  if (auto* refused = std::get_if<ServerResponse>(&caller)) return std::move(*refused);
  return std::nullopt;
}

boost::asio::awaitable<ServerResponse> AdminApi::get_log_level(const ServerRequest& request) {
  if (auto refused = refuse(request)) co_return std::move(*refused);
  co_return json_response(200, nlohmann::json{{"level", level_name(spdlog::get_level())}});
}

boost::asio::awaitable<ServerResponse> AdminApi::put_log_level(const ServerRequest& request) {
  if (auto refused = refuse(request)) co_return std::move(*refused);
  auto body = json_object_body(request);
  if (auto* bad = std::get_if<ServerResponse>(&body)) co_return std::move(*bad);
  const auto& object = std::get<nlohmann::json>(body);
  const auto level = object.find("level");
  if (level == object.end() || !level->is_string() || !valid_log_level(level->get<std::string>()) || object.size() != 1) {
    co_return json_error(400, "invalid_request",
                         "expected {\"level\": L} with L one of trace, debug, info, warn, error, critical, off");
  }
  const std::string previous = level_name(spdlog::get_level());
  const std::string next = level->get<std::string>();
  spdlog::set_level(spdlog::level::from_str(next));
  // Said at warn so that it is seen at the default level, whatever the new one is.
  spdlog::warn("serve: log level changed from {} to {} through the admin API", previous, next);
  co_return json_response(200, nlohmann::json{{"level", next}, {"previous", previous}});
}

}  // namespace agentrt::serve
