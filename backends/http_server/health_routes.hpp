#pragma once
// The probes of `agentrt serve`: liveness and readiness, as routes on the API port.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "backends/http_server/router.hpp"

namespace agentrt {

// GET /healthz: 200 {"status":"ok"} whenever the process answers (liveness).
// GET /readyz: 200 {"status":"ready"} when `not_ready()` gives nothing, else 503 not_ready
// with its reason as the message (readiness: the store is reachable, the server is not
// draining). `not_ready` runs on the server's executor for each probe: it must be cheap and
// must not block.
// `degraded` (optional) names the optional dependencies that are down, each {"name","detail"}:
// the server still takes requests (200), and the body says what runs slower:
// {"status":"ready","degraded":[{"name":"redis","detail":"..."}]}.
struct DegradedDependency {
  std::string name;
  std::string detail;  // why it is down; never a secret
};
void add_health_routes(Router& router, std::function<std::optional<std::string>()> not_ready,
                       std::function<std::vector<DegradedDependency>()> degraded = {});

}  // namespace agentrt
