#include "core/trace/session_trace.hpp"

#include "core/trace/span_ids.hpp"

namespace agentrt {

std::optional<SessionTrace> SessionTrace::of(std::string_view session, std::string_view traceparent,
                                             std::string_view tracestate) {
  if (traceparent.empty()) return std::nullopt;
  auto context = parse_traceparent(traceparent, tracestate);
  if (!context) return std::nullopt;
  return SessionTrace{std::move(*context), std::string(session)};
}

std::string SessionTrace::root_span_id() const { return derive_span_id(context.trace_id, session, "session", 0); }

std::string SessionTrace::turn_span_id(std::int64_t turn_started_ms) const {
  return derive_span_id(context.trace_id, session, "turn", turn_started_ms);
}

std::string SessionTrace::llm_span_id(std::int64_t request_seq) const {
  return derive_span_id(context.trace_id, session, "llm", request_seq);
}

std::string SessionTrace::tool_span_id(std::int64_t request_seq) const {
  return derive_span_id(context.trace_id, session, "tool", request_seq);
}

}  // namespace agentrt
