#pragma once
// W3C trace context (https://www.w3.org/TR/trace-context/): the `traceparent` and `tracestate`
// of a request, a queue message or a session. Each session is one trace: its context is
// recorded in SessionStarted (data.traceparent / data.tracestate), so every worker that runs
// the session later continues the same trace, with the same sampling decision.
//
// Ids are kept as lower-case hex, the form of the header and of OTLP/JSON.

#include <optional>
#include <string>
#include <string_view>

namespace agentrt {

struct TraceContext {
  std::string trace_id;    // 32 lower-case hex digits, not all zero
  std::string span_id;     // 16 lower-case hex digits, not all zero: the caller's span
  bool sampled = false;    // flags bit 0
  std::string tracestate;  // vendor data, passed on unchanged; empty when absent or invalid

  // "00-<trace_id>-<span_id>-<flags>"
  [[nodiscard]] std::string traceparent() const;
  // The same trace with another current span (what a child call carries).
  [[nodiscard]] TraceContext with_span(std::string span) const;
  // with_span(span).traceparent(), without the copy of the context.
  [[nodiscard]] std::string traceparent_with_span(std::string_view span) const;
};

// Parses a traceparent header. Version 00 must be exactly 55 characters; a later version may
// append "-..." fields (read as version 00, as the spec says); version ff, upper-case hex and
// all-zero ids are invalid. A malformed tracestate (longer than 512 bytes, or holding control
// characters) is dropped, not an error: the spec says to ignore it.
[[nodiscard]] std::optional<TraceContext> parse_traceparent(std::string_view traceparent,
                                                            std::string_view tracestate = {});

[[nodiscard]] bool is_trace_id(std::string_view hex);
[[nodiscard]] bool is_span_id(std::string_view hex);

// The sampling decision for a new trace without a sampled parent: the trace id's low 8 bytes
// (the random part the spec requires) against ratio * 2^64, so every process decides alike.
[[nodiscard]] bool trace_id_ratio_sampled(std::string_view trace_id, double ratio);

}  // namespace agentrt
