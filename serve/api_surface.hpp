#pragma once
// ApiSurface: an API beside the HTTP one (the gRPC server, serve/grpc/) that serves the same
// routes and streams. serve only knows this interface; cli/ builds the concrete one, so the
// serve library does not depend on gRPC.
//
// Threading: constructed, started and stopped on the serve io_context's thread; it may run
// threads of its own, but touches serve state (router, store, hub) only on that io_context.

#include <chrono>
#include <functional>
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "backends/http_server/router.hpp"
#include "core/model/error.hpp"
#include "serve/event_stream_api.hpp"
#include "serve/metrics/rpc_observer.hpp"
#include "serve/serve_config.hpp"

namespace agentrt::serve {

struct ApiSurfaceDeps {
  boost::asio::any_io_executor executor;  // the serve io_context's
  const Router* router = nullptr;          // the HTTP API's routes (unary calls run through them)
  StreamContext streams;                   // what an output stream needs (store, hub, tokens, limits)
  const ServeConfig* config = nullptr;
  RpcObserver* rpc_observer = nullptr;     // told of every call that ended (metrics); optional
};

class ApiSurface {
 public:
  virtual ~ApiSurface() = default;
  // Binds and starts serving; the port it listens on (the configured one, or the free one
  // picked for port 0). An error when it cannot bind.
  virtual Result<unsigned short> start() = 0;
  // Starts the shutdown: open streams end (clients resume elsewhere), new calls are refused,
  // calls in flight get `grace`. Idempotent: once started, later calls change nothing.
  virtual void begin_stop(std::chrono::milliseconds grace) = 0;
  // Completes once the surface has stopped (after begin_stop).
  virtual boost::asio::awaitable<void> stopped() = 0;
};

// Builds the surface, or nullptr when its config turns it off.
using ApiSurfaceFactory = std::function<std::unique_ptr<ApiSurface>(ApiSurfaceDeps deps)>;

}  // namespace agentrt::serve
