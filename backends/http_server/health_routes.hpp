#pragma once
// The probes of `agentrt serve`: liveness and readiness, as routes on the API port.

#include <functional>

#include "backends/http_server/router.hpp"

namespace agentrt {

// GET /healthz: 200 {"status":"ok"} whenever the process answers (liveness).
// GET /readyz: 200 {"status":"ready"} when `ready()` is true, else 503 not_ready (readiness:
// for instance the store is reachable and the server is not draining). `ready` runs on the
// server's executor for each probe: it must be cheap and must not block.
void add_health_routes(Router& router, std::function<bool()> ready);

}  // namespace agentrt
