#include "backends/http_server/websocket_channel.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "backends/http_server/server_core.hpp"

namespace agentrt {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::as_tuple;
using asio::use_awaitable;

constexpr std::size_t kCloseReasonBytesMax = 123;  // RFC 6455: a control frame's payload is <= 125

}  // namespace

asio::awaitable<bool> accept_websocket(WireWebSocket& ws, const WireRequest& request, const ServerCore& core) {
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = core.options.write_timeout;
  timeouts.idle_timeout = websocket::stream_base::none();
  timeouts.keep_alive_pings = false;
  beast::get_lowest_layer(ws).expires_never();  // Beast: the websocket's own timer, not the stream's
  ws.set_option(timeouts);
  ws.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& response) { response.set(beast::http::field::server, "agentrt"); }));
  ws.read_message_max(core.options.max_websocket_message_bytes);
  ws.auto_fragment(false);
  auto [ec] = co_await ws.async_accept(request, as_tuple(use_awaitable));
  co_return !ec;
}

BeastWebSocketChannel::BeastWebSocketChannel(WireWebSocket& ws, const ServerCore& core)
    : ws_(ws), core_(core), watchdog_(core.executor) {}

asio::awaitable<std::optional<std::string>> BeastWebSocketChannel::read() {
  if (failed_) co_return std::nullopt;
  read_buffer_.clear();
  auto [ec, n] = co_await ws_.async_read(read_buffer_, as_tuple(use_awaitable));
  (void)n;
  if (ec) {
    // message_too_big: Beast has started the close handshake with 1009 already.
    co_return std::nullopt;
  }
  if (!ws_.got_text()) {
    // Binary is not part of this server's protocol: refuse with a policy close, then stop.
    if (!closed_) {
      const websocket::close_reason reason(websocket::close_code::policy_error, "binary messages are not supported");
      closed_ = true;
      arm_watchdog();
      auto [close_ec] = co_await ws_.async_close(reason, as_tuple(use_awaitable));
      (void)close_ec;
      watchdog_.cancel();
    }
    co_return std::nullopt;
  }
  co_return beast::buffers_to_string(read_buffer_.data());
}

asio::awaitable<bool> BeastWebSocketChannel::write(std::string_view text) {
  if (failed_ || closed_) co_return false;
  ws_.text(true);
  arm_watchdog();
  auto [ec, n] = co_await ws_.async_write(asio::buffer(text.data(), text.size()), as_tuple(use_awaitable));
  (void)n;
  watchdog_.cancel();
  if (ec) failed_ = true;
  co_return !failed_;
}

asio::awaitable<void> BeastWebSocketChannel::close(std::string_view reason) {
  if (failed_ || closed_) co_return;
  closed_ = true;
  const std::string text(reason.substr(0, kCloseReasonBytesMax));
  const websocket::close_reason close_reason(websocket::close_code::normal, text);
  arm_watchdog();
  auto [ec] = co_await ws_.async_close(close_reason, as_tuple(use_awaitable));
  watchdog_.cancel();
  if (ec) failed_ = true;
}

bool BeastWebSocketChannel::stopping() const { return core_.connections.draining(); }

void BeastWebSocketChannel::abort() {
  failed_ = true;
  beast::get_lowest_layer(ws_).close();
}

void BeastWebSocketChannel::arm_watchdog() {
  watchdog_.expires_after(core_.options.write_timeout);
  // A cancelled wait completes with an error and touches nothing: safe after destruction.
  watchdog_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) abort();
  });
}

}  // namespace agentrt
