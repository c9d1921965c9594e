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

#include <boost/asio/awaitable.hpp>
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

// The writer of a streamed response body (Server-Sent Events). The server sends the status and
// headers first, with chunked transfer encoding, then hands this to the response's `stream`.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  // Sends `data` as the next piece of the body. False when the client is gone or has not taken
  // it within the server's write_timeout (a stalled reader): the stream must end then.
  virtual boost::asio::awaitable<bool> write(std::string_view data) = 0;
  // True once the server is draining: end the stream soon (the client reconnects elsewhere).
  [[nodiscard]] virtual bool stopping() const = 0;
};

// Produces a streamed body until it returns (or is cancelled when the server stops).
using StreamBody = std::function<boost::asio::awaitable<void>(ResponseStream&)>;

// A WebSocket connection the server accepted for a handler (ServerResponse::upgrade). Text
// messages only. At most one read() and one write() or close() in flight at a time (Beast's
// rule), e.g. one reader coroutine and one writer coroutine.
class WebSocketChannel {
 public:
  virtual ~WebSocketChannel() = default;
  // The next text message; nullopt once the peer closed, the connection failed or was aborted,
  // or the peer sent a binary message or one over the server's max_websocket_message_bytes
  // (the server then closes with a policy / too-big close code).
  virtual boost::asio::awaitable<std::optional<std::string>> read() = 0;
  // Sends one text message. False when the client is gone or has not taken it within the
  // server's write_timeout (the connection is then dropped).
  virtual boost::asio::awaitable<bool> write(std::string_view text) = 0;
  // Sends a close frame (normal closure, `reason` at most 123 bytes) bounded by write_timeout;
  // a pending read() then ends.
  virtual boost::asio::awaitable<void> close(std::string_view reason) = 0;
  // True once the server is draining: end the session soon.
  [[nodiscard]] virtual bool stopping() const = 0;
  // Drops the connection at once, without a close frame: a pending read() or write() ends.
  virtual void abort() = 0;
};

// Runs an accepted WebSocket until it returns (or is cancelled when the server stops).
using WebSocketSession = std::function<boost::asio::awaitable<void>(WebSocketChannel&)>;

// True for a WebSocket opening handshake (GET with Upgrade: websocket, Connection: upgrade).
[[nodiscard]] bool is_websocket_upgrade(const ServerRequest& request);

struct ServerResponse {
  int status = 200;
  std::string content_type;  // no Content-Type header when empty
  std::string body;
  // Extra headers. The server owns the framing ones and ignores them here: Content-Length,
  // Transfer-Encoding, Connection, Keep-Alive, Date, Server.
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, the body is streamed (`body` is ignored) and the connection closes after it.
  StreamBody stream;
  // When set and the request is a WebSocket handshake, the server answers 101 Switching
  // Protocols and runs this on the connection (status, body and headers are not sent); the
  // connection closes after it. A request that is not a handshake gets 400 bad_request.
  WebSocketSession upgrade;
};

// `status` with `value` serialised as the body, Content-Type application/json.
[[nodiscard]] ServerResponse json_response(int status, const nlohmann::json& value);

// {"error":{"code":"<code>","message":"<message>"}}. `code` is a stable, documented
// snake_case identifier clients can switch on (README.md lists them); `message` is for humans.
[[nodiscard]] ServerResponse json_error(int status, std::string_view code, std::string_view message);

}  // namespace agentrt
