#pragma once
// The server side of an accepted WebSocket (http_message.hpp's WebSocketChannel) over the
// connection's tcp_stream, with Beast's websocket::stream. Internal to HttpConnection.
//
// Bounds: read_message_max = max_websocket_message_bytes (a larger message: close 1009); the
// handshake and the close handshake are bounded by write_timeout (Beast's timeout option);
// each write is bounded by write_timeout with a watchdog timer that drops the connection.
// No idle timeout here: the protocol above (Engine.IO pings) decides when a peer is gone.

#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "backends/http_server/http_message.hpp"
#include "backends/http_server/http_wire.hpp"

namespace agentrt {

struct ServerCore;

using WireWebSocket = boost::beast::websocket::stream<boost::beast::tcp_stream&>;

class BeastWebSocketChannel final : public WebSocketChannel {
 public:
  BeastWebSocketChannel(WireWebSocket& ws, const ServerCore& core);

  boost::asio::awaitable<std::optional<std::string>> read() override;
  boost::asio::awaitable<bool> write(std::string_view text) override;
  boost::asio::awaitable<void> close(std::string_view reason) override;
  [[nodiscard]] bool stopping() const override;

  void abort() override;

 private:
  void arm_watchdog();

  WireWebSocket& ws_;
  const ServerCore& core_;
  boost::beast::flat_buffer read_buffer_;
  boost::asio::steady_timer watchdog_;
  bool failed_ = false;
  bool closed_ = false;
};

// Configures `ws` (limits, timeouts, Server header) and answers the handshake `request`.
// False when the handshake failed (the connection should close).
boost::asio::awaitable<bool> accept_websocket(WireWebSocket& ws, const WireRequest& request, const ServerCore& core);

}  // namespace agentrt
