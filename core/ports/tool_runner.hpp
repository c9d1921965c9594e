#pragma once
// ToolRunner: runs one external tool call (http or command; built-ins are the runtime's).
//
// Contract:
// - run() makes one call with at most tool.retry.attempts tries, each bounded by tool.timeout,
//   with backoff and jitter between tries. Every try carries the same idempotency key
//   (`Idempotency-Key` header for http, AGENTRT_IDEMPOTENCY_KEY env for command), so a
//   repeated call after a crash is recognised by the tool. A non-empty traceparent goes along
//   too (`traceparent` header; TRACEPARENT env), so the tool's own spans join the session's trace.
// - A tool's own failure (HTTP 4xx, non-zero exit) is a value: ToolResult{ok=false}. It is
//   retried only when transient (HTTP 429/5xx, transport error, timeout).
// - Returns an Error only for cancellation or a runner bug; the runtime records it as ToolFailed.
// - Output is bounded (tool_output_bytes_max); longer output is cut with a marker, never silently.

#include <string>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "core/model/definition.hpp"
#include "core/model/error.hpp"

namespace agentrt {

inline constexpr std::size_t kToolOutputBytesMax = 256 * 1024;

struct ToolInvocation {
  const ToolDefinition* tool = nullptr;    // never null
  nlohmann::json arguments;                // validated against tool->parameters
  std::string idempotency_key;             // <session>:<ToolRequested seq>
  std::string traceparent{};               // W3C context of this call's span; empty: none
};

struct ToolResult {
  bool ok = false;
  std::string output;                      // body / stdout (ok) or what went wrong (not ok)
  int attempts = 0;
};

class ToolRunner {
 public:
  virtual ~ToolRunner() = default;
  virtual boost::asio::awaitable<Result<ToolResult>> run(ToolInvocation invocation) = 0;
};

}  // namespace agentrt
