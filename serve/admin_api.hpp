#pragma once
// The admin endpoints of `agentrt serve` (docs/observability.md, "Log level"):
//
//   GET /v1/admin/log-level                  200 {"level": "warn"}
//   PUT /v1/admin/log-level {"level":"debug"}  200 {"level": "debug", "previous": "warn"}
//
// Guarded by the admin token (config admin_token_env, `Authorization: Bearer TOKEN`), never
// by an org token: an org must not change what the whole process logs. Without an admin
// token configured every admin route answers 404 not_enabled; a missing or wrong token 401.
// A level outside trace, debug, info, warn, error, critical, off is 400 invalid_request.
// The level is the process's (spdlog's default logger); it lasts until the next change or
// restart. Threading: on the serve io_context.

#include <optional>

#include <boost/asio/awaitable.hpp>

#include "backends/http_server/router.hpp"
#include "serve/org_tokens.hpp"

namespace agentrt::serve {

class AdminApi {
 public:
  // nullopt: no admin token configured (the routes answer 404 not_enabled).
  explicit AdminApi(std::optional<OrgTokens> admin) : admin_(std::move(admin)) {}

  void add_routes(Router& router);
  boost::asio::awaitable<ServerResponse> get_log_level(const ServerRequest& request);
  boost::asio::awaitable<ServerResponse> put_log_level(const ServerRequest& request);

 private:
  // The answer when the caller may not use the admin API; nullopt when it may.
  [[nodiscard]] std::optional<ServerResponse> refuse(const ServerRequest& request) const;

  std::optional<OrgTokens> admin_;
};

// The admin token's check: one entry named "admin" read from `token_env` (16+ characters).
// nullopt without a variable configured; Errc::invalid naming the variable when it is unset.
Result<std::optional<OrgTokens>> admin_tokens(const std::string& token_env, const EnvLookup& env);

}  // namespace agentrt::serve
