#include "backends/http_server/health_routes.hpp"

#include <utility>

namespace agentrt {
namespace {

boost::asio::awaitable<ServerResponse> healthz(const ServerRequest&, const PathParams&) {
  co_return json_response(200, nlohmann::json{{"status", "ok"}});
}

boost::asio::awaitable<ServerResponse> readyz(bool ready) {
  if (ready) co_return json_response(200, nlohmann::json{{"status", "ready"}});
  co_return json_error(503, "not_ready", "the server is not ready to take requests");
}

}  // namespace

void add_health_routes(Router& router, std::function<bool()> ready) {
  router.add("GET", "/healthz", healthz);
  // Not a coroutine lambda: the probe runs now, and no coroutine frame refers to the closure.
  router.add("GET", "/readyz", [probe = std::move(ready)](const ServerRequest&, const PathParams&) { return readyz(probe()); });
}

}  // namespace agentrt
