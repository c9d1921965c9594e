#pragma once
// The trace a new session joins (docs/observability.md): the caller's, when its request
// carries a valid `traceparent` (its sampled flag decides, as OpenTelemetry's parent-based
// sampler does), else a new trace whose root is the session's own span, sampled by ratio.
// Every session gets a trace id, even with tracing off here: its outbound calls carry it,
// and a worker with tracing on exports the spans of the sampled ones.

#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "core/trace/trace_context.hpp"

namespace agentrt::serve {

class SessionTraceStart {
 public:
  // ratio: the share of new traces sampled; 0 when this process does not export traces.
  explicit SessionTraceStart(double ratio);

  [[nodiscard]] TraceContext for_new_session(std::string_view session, std::optional<std::string_view> traceparent,
                                             std::optional<std::string_view> tracestate);

 private:
  std::string random_trace_id();

  double ratio_;
  std::mutex mutex_;  // API handlers may run on several threads
  std::mt19937_64 random_;
};

}  // namespace agentrt::serve
