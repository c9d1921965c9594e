#pragma once
// ToolRunner for ToolKind::http: one HTTP call per try through the shared CurlClient.
//
// - The request comes from the tool spec and the arguments (see http_tool_request.hpp):
//   URL template, query string or JSON body, headers with ${env:NAME} resolved at call time.
// - Every try carries `Idempotency-Key: <invocation.idempotency_key>`, the same on retries.
// - 2xx: ToolResult{ok, body}; a body over output_bytes_max is cut with a visible marker
//   "[agentrt: output truncated, K bytes shown]"; invalid UTF-8 becomes U+FFFD.
// - 429, 5xx, timeouts (tool.timeout per try) and transport errors are retried per tool.retry
//   with backoff, jitter and Retry-After; after the last try:
//   ToolResult{ok=false, "HTTP 503 from POST http://host/path: <body excerpt>", attempts}.
// - Other statuses (4xx, 3xx) and a call that cannot be built (a placeholder without its
//   argument, an unset ${env:...} variable): ToolResult{ok=false} at once.
// - Returns an Error only when cancelled (Errc::cancelled) or for a tool that is not http.
// Messages carry the URL without its query string, and never a header value.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "backends/http/curl_client.hpp"
#include "core/ports/tool_runner.hpp"

namespace agentrt {

struct HttpToolRunnerOptions {
  std::size_t output_bytes_max = kToolOutputBytesMax;  // ToolResult::output, marker included
  std::size_t error_excerpt_bytes = 1000;              // body shown in a failure message
  std::optional<std::uint32_t> jitter_seed;            // empty: seeded from std::random_device
};

std::unique_ptr<ToolRunner> make_http_tool_runner(CurlClient& http);
std::unique_ptr<ToolRunner> make_http_tool_runner(CurlClient& http, HttpToolRunnerOptions options);

}  // namespace agentrt
