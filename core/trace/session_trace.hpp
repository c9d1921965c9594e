#pragma once
// The spans of one session's trace, named so that every worker agrees (core/trace/span_ids.hpp):
// the session's root span, each turn, each LLM call and each tool call. The runner uses these
// to put `traceparent` on its outbound calls; the SessionTracer exports spans with the same ids.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/trace/trace_context.hpp"

namespace agentrt {

struct SessionTrace {
  TraceContext context;  // the session's recorded context: span_id is the creator's span
  std::string session;

  // The session's recorded trace, or nullopt when it was started without one (or the
  // recorded value is malformed, which the API never writes).
  static std::optional<SessionTrace> of(std::string_view session, std::string_view traceparent,
                                        std::string_view tracestate);

  [[nodiscard]] std::string root_span_id() const;                       // "agentrt.session"
  [[nodiscard]] std::string turn_span_id(std::int64_t turn_started_ms) const;
  [[nodiscard]] std::string llm_span_id(std::int64_t request_seq) const;
  [[nodiscard]] std::string tool_span_id(std::int64_t request_seq) const;
  // What an outbound call made inside `span` carries.
  [[nodiscard]] std::string traceparent_for(const std::string& span) const { return context.with_span(span).traceparent(); }
};

}  // namespace agentrt
