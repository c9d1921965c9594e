#pragma once
// The probes of `agentrt serve`: liveness and readiness, as routes on the API port.

#include <functional>
#include <optional>
#include <string>

#include "backends/http_server/router.hpp"

namespace agentrt {

// GET /healthz: 200 {"status":"ok"} whenever the process answers (liveness).
// GET /readyz: 200 {"status":"ready"} when `not_ready()` gives nothing, else 503 not_ready
// with its reason as the message (readiness: the store is reachable, the server is not
// draining). `not_ready` runs on the server's executor for each probe: it must be cheap and
// must not block.
void add_health_routes(Router& router, std::function<std::optional<std::string>()> not_ready);

}  // namespace agentrt
