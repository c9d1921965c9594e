#pragma once
// The HTTP and gRPC request probes: the Router's RequestObserver and the gRPC server's
// RpcObserver, counting into ServeMetrics. Labels stay bounded: the route is the Router's
// template, and a method outside the usual HTTP ones is counted as "other".

#include "backends/http_server/router.hpp"
#include "serve/metrics/rpc_observer.hpp"
#include "serve/metrics/serve_metrics.hpp"

namespace agentrt::serve {

class HttpMetrics final : public RequestObserver {
 public:
  explicit HttpMetrics(ServeMetrics& metrics) : metrics_(metrics) {}
  void on_request(std::string_view method, std::string_view route, int status, std::chrono::nanoseconds duration) override;

 private:
  ServeMetrics& metrics_;
};

class GrpcMetrics final : public RpcObserver {
 public:
  explicit GrpcMetrics(ServeMetrics& metrics) : metrics_(metrics) {}
  void on_call(std::string_view method, std::string_view code, std::chrono::nanoseconds duration) override;

 private:
  ServeMetrics& metrics_;
};

}  // namespace agentrt::serve
