#pragma once
// Span ids derived from what the history already holds, so that a worker resuming a session
// after a crash names the same spans as the worker that started them: the turn span that a
// dead worker opened is closed, under the same id, by the worker that finishes the turn, and
// the tool call that carried `traceparent` to a tool server is the span exported later.
// Derivation: FNV-1a 64 over (trace id, session, kind, n), never zero. Span ids only need to
// be unique within their trace, and each (kind, n) names one thing of one session.

#include <cstdint>
#include <string_view>

#include "core/trace/hex_id.hpp"

namespace agentrt {

// The hash state after (trace id, session): a session's spans share it, so each derivation
// mixes only the kind and n (SessionTrace keeps one; the runtime derives several per step).
class SpanIdSeed {
 public:
  SpanIdSeed(std::string_view trace_id, std::string_view session);
  // kind: "session" (n = 0), "turn" (n = the turn's start, ms), "llm" / "tool" (n = the seq of
  // its LlmRequested / ToolRequested), "activation:<worker>" (n = its start, ns).
  [[nodiscard]] SpanIdHex derive(std::string_view kind, std::int64_t n) const;

 private:
  std::uint64_t hash_;
};

[[nodiscard]] inline SpanIdHex derive_span_id(std::string_view trace_id, std::string_view session,
                                              std::string_view kind, std::int64_t n) {
  return SpanIdSeed(trace_id, session).derive(kind, n);
}

}  // namespace agentrt
