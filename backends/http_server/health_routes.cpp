#include "backends/http_server/health_routes.hpp"

#include <utility>

namespace agentrt {
namespace {

boost::asio::awaitable<ServerResponse> healthz(const ServerRequest&, const PathParams&) {
  co_return json_response(200, nlohmann::json{{"status", "ok"}});
}

boost::asio::awaitable<ServerResponse> readyz(std::optional<std::string> problem) {
  if (!problem) co_return json_response(200, nlohmann::json{{"status", "ready"}});
  co_return json_error(503, "not_ready", "not ready: " + *problem);
}

}  // namespace

void add_health_routes(Router& router, std::function<std::optional<std::string>()> not_ready) {
  router.add("GET", "/healthz", healthz);
  // Not a coroutine lambda: the probe runs now, and no coroutine frame refers to the closure.
  router.add("GET", "/readyz", [probe = std::move(not_ready)](const ServerRequest&, const PathParams&) { return readyz(probe()); });
}

}  // namespace agentrt
