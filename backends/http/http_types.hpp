#pragma once
// Plain request/response values for CurlClient. No libcurl types leak from here.

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agentrt {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::size_t kHttpResponseBytesMaxDefault = 8 * 1024 * 1024;

struct HttpRequest {
  std::string method = "GET";                        // GET, HEAD, POST, PUT, PATCH, DELETE, ...
  std::string url;                                   // http:// or https:// only
  HttpHeaders headers;                               // sent as given; no CR/LF allowed
  std::string body;                                  // sent for every method but GET/HEAD
  std::chrono::milliseconds timeout{30'000};         // whole exchange: connect, send, whole body
  std::size_t response_bytes_max = kHttpResponseBytesMaxDefault;  // body bytes accepted
  bool truncate_body = false;  // true: a longer body is cut (HttpResponse::truncated), not an error
};

struct HttpResponse {
  long status = 0;
  HttpHeaders headers;         // of the final response (after any 1xx), in arrival order
  std::string body;            // empty when a 2xx body was streamed to a BodyChunkSink
  bool truncated = false;      // the body was cut at response_bytes_max (truncate_body only)

  // First header with this name, compared case-insensitively.
  [[nodiscard]] std::optional<std::string> header(std::string_view name) const;
};

// Receives the body of a 2xx response as it arrives, in chunks of any size. It runs on the
// client's executor inside libcurl's callback: it must not block, and must not throw.
using BodyChunkSink = std::function<void(std::string_view chunk)>;

// ASCII case-insensitive equality, for header names.
[[nodiscard]] bool header_name_equals(std::string_view a, std::string_view b);

}  // namespace agentrt
