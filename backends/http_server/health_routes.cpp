#include "backends/http_server/health_routes.hpp"

#include <utility>

namespace agentrt {
namespace {

boost::asio::awaitable<ServerResponse> healthz(const ServerRequest&, const PathParams&) {
  co_return json_response(200, nlohmann::json{{"status", "ok"}});
}

boost::asio::awaitable<ServerResponse> readyz(std::optional<std::string> problem,
                                              std::vector<DegradedDependency> degraded) {
  if (problem) co_return json_error(503, "not_ready", "not ready: " + *problem);
  nlohmann::json body{{"status", "ready"}};
  if (!degraded.empty()) {
    auto& list = body["degraded"] = nlohmann::json::array();
    for (const auto& d : degraded) list.push_back({{"name", d.name}, {"detail", d.detail}});
  }
  co_return json_response(200, body);
}

}  // namespace

void add_health_routes(Router& router, std::function<std::optional<std::string>()> not_ready,
                       std::function<std::vector<DegradedDependency>()> degraded) {
  router.add("GET", "/healthz", healthz);
  // Not a coroutine lambda: the probes run now, and no coroutine frame refers to the closure.
  router.add("GET", "/readyz",
             [probe = std::move(not_ready), down = std::move(degraded)](const ServerRequest&, const PathParams&) {
               return readyz(probe(), down ? down() : std::vector<DegradedDependency>{});
             });
}

}  // namespace agentrt
