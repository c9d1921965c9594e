#include "core/trace/session_trace.hpp"

namespace agentrt {

std::optional<SessionTrace> SessionTrace::of(std::string_view session, std::string_view traceparent,
                                             std::string_view tracestate) {
  if (traceparent.empty()) return std::nullopt;
  auto context = parse_traceparent(traceparent, tracestate);
  if (!context) return std::nullopt;
  return SessionTrace{std::move(*context), std::string(session)};
}

}  // namespace agentrt
