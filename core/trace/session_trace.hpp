#pragma once
// The spans of one session's trace, named so that every worker agrees (core/trace/span_ids.hpp):
// the session's root span, each turn, each LLM call and each tool call. The runner uses these
// to put `traceparent` on its outbound calls; the SessionTracer exports spans with the same ids.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/trace/span_ids.hpp"
#include "core/trace/trace_context.hpp"

namespace agentrt {

struct SessionTrace {
  SessionTrace(TraceContext recorded, std::string session_id)
      : context(std::move(recorded)), session(std::move(session_id)), seed_(context.trace_id, session) {}

  TraceContext context;  // the session's recorded context: span_id is the creator's span
  std::string session;

  // The session's recorded trace, or nullopt when it was started without one (or the
  // recorded value is malformed, which the API never writes).
  static std::optional<SessionTrace> of(std::string_view session, std::string_view traceparent,
                                        std::string_view tracestate);

  [[nodiscard]] SpanIdHex root_span_id() const { return seed_.derive("session", 0); }  // "agentrt.session"
  [[nodiscard]] SpanIdHex turn_span_id(std::int64_t turn_started_ms) const { return seed_.derive("turn", turn_started_ms); }
  [[nodiscard]] SpanIdHex llm_span_id(std::int64_t request_seq) const { return seed_.derive("llm", request_seq); }
  [[nodiscard]] SpanIdHex tool_span_id(std::int64_t request_seq) const { return seed_.derive("tool", request_seq); }
  [[nodiscard]] SpanIdHex activation_span_id(std::string_view worker, std::int64_t started_ns) const {
    return seed_.derive("activation:" + std::string(worker), started_ns);
  }
  // What an outbound call made inside `span` carries.
  [[nodiscard]] std::string traceparent_for(const SpanIdHex& span) const { return context.traceparent_with_span(span.str()); }

 private:
  SpanIdSeed seed_;  // of (trace id, session): set at construction, as the two fields are
};

}  // namespace agentrt
