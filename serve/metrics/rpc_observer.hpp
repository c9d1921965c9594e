#pragma once
// RpcObserver: told of every gRPC call that ended (serve's metrics implement it), so the gRPC
// server does not depend on a metrics library. Called on the serve io_context or on a gRPC
// thread; must be thread-safe and must not block. `method` is the RPC's name (bounded: the
// service's methods), `code` the status code's name ("OK", "NOT_FOUND", ...).

#include <chrono>
#include <string_view>

namespace agentrt::serve {

class RpcObserver {
 public:
  virtual ~RpcObserver() = default;
  virtual void on_call(std::string_view method, std::string_view code, std::chrono::nanoseconds duration) = 0;
};

}  // namespace agentrt::serve
