#pragma once
// The values an HTTP handler sees and returns. No Beast type leaks from here, so the API
// handlers (sessions, messages, tokens) depend only on this header and router.hpp.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace agentrt {

struct ServerRequest {
  std::string method;                                  // upper-case: "GET", "POST", ...
  std::string target;                                  // as sent: path and query, not decoded
  std::string path;                                    // percent-decoded, without the query
  std::map<std::string, std::string, std::less<>> query;    // percent-decoded, '+' is a space; first wins
  std::map<std::string, std::string, std::less<>> headers;  // lower-case names; repeats joined by ", "
  std::string body;
  std::string remote;                                  // "ip:port" of the peer ("[v6]:port")

  // The header with this lower-case name, if present.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view lower_case_name) const;
};

struct ServerResponse {
  int status = 200;
  std::string content_type;  // no Content-Type header when empty
  std::string body;
  // Extra headers. The server owns the framing ones and ignores them here: Content-Length,
  // Transfer-Encoding, Connection, Keep-Alive, Date, Server.
  std::vector<std::pair<std::string, std::string>> headers;
};

// `status` with `value` serialised as the body, Content-Type application/json.
[[nodiscard]] ServerResponse json_response(int status, const nlohmann::json& value);

// {"error":{"code":"<code>","message":"<message>"}}. `code` is a stable, documented
// snake_case identifier clients can switch on (README.md lists them); `message` is for humans.
[[nodiscard]] ServerResponse json_error(int status, std::string_view code, std::string_view message);

}  // namespace agentrt
