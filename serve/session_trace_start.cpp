#include "serve/session_trace_start.hpp"

#include <cstdio>

#include "core/trace/session_trace.hpp"

namespace agentrt::serve {

SessionTraceStart::SessionTraceStart(double ratio) : ratio_(ratio), random_(std::random_device{}()) {}

std::string SessionTraceStart::random_trace_id() {
  const std::lock_guard lock(mutex_);
  for (;;) {
    const auto high = random_();
    const auto low = random_();
    if (high == 0 && low == 0) continue;  // all zero is invalid
    char hex[33];
    std::snprintf(hex, sizeof hex, "%016llx%016llx", static_cast<unsigned long long>(high),
                  static_cast<unsigned long long>(low));
    return hex;
  }
}

TraceContext SessionTraceStart::for_new_session(std::string_view session, std::optional<std::string_view> traceparent,
                                                std::optional<std::string_view> tracestate) {
  if (traceparent) {
    if (auto caller = parse_traceparent(*traceparent, tracestate.value_or(""))) return *caller;
  }
  TraceContext context;
  context.trace_id = random_trace_id();
  context.sampled = trace_id_ratio_sampled(context.trace_id, ratio_);
  // The session's root span is its own parent context: SessionTracer exports it as a root.
  context.span_id = std::string(SessionTrace{context, std::string(session)}.root_span_id().str());
  return context;
}

}  // namespace agentrt::serve
