#include "serve/metrics/api_metrics.hpp"

#include <array>
#include <string>

namespace agentrt::serve {
namespace {

// The client chooses the method: anything unusual is one label value, not one per spelling.
std::string method_label(std::string_view method) {
  constexpr std::array<std::string_view, 7> kKnown{"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
  for (const auto known : kKnown) {
    if (method == known) return std::string(known);
  }
  return "other";
}

double seconds(std::chrono::nanoseconds duration) { return std::chrono::duration<double>(duration).count(); }

}  // namespace

void HttpMetrics::on_request(std::string_view method, std::string_view route, int status,
                             std::chrono::nanoseconds duration) {
  const std::string verb = method_label(method);
  metrics_.http_requests.Add({{"method", verb}, {"route", std::string(route)}, {"code", std::to_string(status)}}).Increment();
  metrics_.http_request_duration.Add({{"method", verb}, {"route", std::string(route)}}, latency_buckets())
      .Observe(seconds(duration));
}

void GrpcMetrics::on_call(std::string_view method, std::string_view code, std::chrono::nanoseconds duration) {
  metrics_.grpc_requests.Add({{"method", std::string(method)}, {"code", std::string(code)}}).Increment();
  metrics_.grpc_request_duration.Add({{"method", std::string(method)}}, latency_buckets()).Observe(seconds(duration));
}

}  // namespace agentrt::serve
