#pragma once
// Span ids derived from what the history already holds, so that a worker resuming a session
// after a crash names the same spans as the worker that started them: the turn span that a
// dead worker opened is closed, under the same id, by the worker that finishes the turn, and
// the tool call that carried `traceparent` to a tool server is the span exported later.
// Derivation: FNV-1a 64 over (trace id, session, kind, n), never zero. Span ids only need to
// be unique within their trace, and each (kind, n) names one thing of one session.

#include <cstdint>
#include <string>
#include <string_view>

namespace agentrt {

// kind: "session" (n = 0), "turn" (n = the turn's start, ms), "llm" / "tool" (n = the seq of
// its LlmRequested / ToolRequested).
[[nodiscard]] std::string derive_span_id(std::string_view trace_id, std::string_view session, std::string_view kind,
                                         std::int64_t n);

}  // namespace agentrt
