#include "backends/http_server/http_connection.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <exception>
#include <limits>
#include <string_view>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/system/system_error.hpp>
#include <spdlog/spdlog.h>

#include "backends/http_server/server_core.hpp"
#include "backends/http_server/websocket_channel.hpp"

namespace agentrt {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::as_tuple;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

constexpr std::size_t kReadChunkBytes = 16 * 1024;
// Lingering close after a final error answer: bounded in time and bytes.
constexpr std::chrono::milliseconds kLingerTimeMax{2000};
constexpr std::size_t kLingerBytesMax = 1024 * 1024;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

std::string format_remote(const tcp::socket& socket) {
  boost::system::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  const auto address = endpoint.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(endpoint.port());
}

bool expects_continue(const WireRequest& request) {
  return request.version() >= 11 && beast::iequals(request[http::field::expect], "100-continue");
}

bool is_parse_error(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_method).category() && ec != http::error::end_of_stream &&
         ec != http::error::partial_message;
}

// The handler's exceptions never escape: a bug is a 500 (STYLE: exceptions stay inside).
asio::awaitable<ServerResponse> invoke_guarded(const RequestHandler& handler, const ServerRequest& request) {
  try {
    co_return co_await handler(request);
  } catch (const boost::system::system_error& e) {
    if (e.code() == asio::error::operation_aborted) {
      spdlog::debug("http {} from {}: handler cancelled", request.method, request.remote);
    } else {
      spdlog::error("http {} from {}: handler threw: {}", request.method, request.remote, e.what());
    }
  } catch (const std::exception& e) {
    spdlog::error("http {} from {}: handler threw: {}", request.method, request.remote, e.what());
  } catch (...) {
    spdlog::error("http {} from {}: handler threw a non-standard exception", request.method, request.remote);
  }
  co_return json_error(500, "internal", "internal error");
}

// Writes a streamed body as HTTP chunks, each bounded by the server's write timeout.
class ChunkWriter final : public ResponseStream {
 public:
  ChunkWriter(beast::tcp_stream& stream, const ServerCore& core) : stream_(stream), core_(core) {}

  asio::awaitable<bool> write(std::string_view data) override {
    if (failed_) co_return false;
    if (data.empty()) co_return true;  // an empty chunk would end the body
    stream_.expires_after(core_.options.write_timeout);
    auto [ec, n] = co_await asio::async_write(stream_, http::make_chunk(asio::buffer(data.data(), data.size())),
                                              as_tuple(use_awaitable));
    (void)n;
    stream_.expires_never();
    failed_ = static_cast<bool>(ec);
    co_return !failed_;
  }

  [[nodiscard]] bool stopping() const override { return core_.connections.draining(); }
  [[nodiscard]] bool failed() const { return failed_; }

 private:
  beast::tcp_stream& stream_;
  const ServerCore& core_;
  bool failed_ = false;
};

}  // namespace

HttpConnection::HttpConnection(tcp::socket socket, std::shared_ptr<ServerCore> core, Mode mode)
    : core_(std::move(core)),
      stream_(std::move(socket)),
      remote_(format_remote(stream_.socket())),
      mode_(mode),
      accepted_at_(std::chrono::steady_clock::now()),
      abort_event_(core_->executor, asio::steady_timer::time_point::max()) {
  core_->connections.insert(*this, mode_ == Mode::serve);
}

HttpConnection::~HttpConnection() { core_->connections.erase(*this, mode_ == Mode::serve); }

asio::awaitable<void> HttpConnection::run(std::unique_ptr<HttpConnection> self) {
  if (self->mode_ == Mode::reject) {
    co_await self->reject();
  } else {
    co_await self->serve();
  }
  beast::error_code ignored;
  self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  self->stream_.close();
}

void HttpConnection::close_if_idle() {
  if (idle_) stream_.close();  // the pending read ends with operation_aborted
}

void HttpConnection::abort() {
  aborted_ = true;
  abort_event_.cancel();
  stream_.close();
}

asio::awaitable<void> HttpConnection::reject() {
  ServerResponse refusal = json_error(503, "overloaded", "too many connections; retry later");
  refusal.headers.emplace_back("Retry-After", "1");
  co_await answer_and_linger(std::move(refusal));
}

asio::awaitable<void> HttpConnection::serve() {
  const HttpServerOptions& options = core_->options;
  for (bool first = true;; first = false) {
    // The first request's time counts from the accept, so a silent client is dropped too.
    const TimePoint wait_deadline = first ? accepted_at_ + options.read_timeout : std::chrono::steady_clock::now() + options.idle_timeout;
    if (!co_await wait_for_request(wait_deadline)) co_return;
    stream_.expires_at(first ? accepted_at_ + options.read_timeout : std::chrono::steady_clock::now() + options.read_timeout);
    Parser parser;
    parser.header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(options.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser.body_limit(options.max_body_bytes);
    const beast::error_code ec = co_await read_request(parser);
    if (ec) {
      std::optional<ServerResponse> refusal = answer_to_read_error(ec);
      spdlog::debug("http {}: request not read ({}); {}", remote_, ec.message(), refusal ? "answered, closing" : "closing");
      if (refusal) co_await answer_and_linger(std::move(*refusal));
      co_return;
    }
    stream_.expires_never();  // the handler's time is its own; the write sets its deadline
    if (!co_await answer(parser.get())) co_return;
  }
}

asio::awaitable<bool> HttpConnection::wait_for_request(TimePoint deadline) {
  if (buffer_.size() > 0) co_return true;  // pipelined: the next request is here already
  if (core_->connections.draining() || aborted_) co_return false;
  idle_ = true;
  stream_.expires_at(deadline);
  auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(kReadChunkBytes), as_tuple(use_awaitable));
  idle_ = false;
  if (ec || aborted_ || !stream_.socket().is_open()) co_return false;
  buffer_.commit(n);
  co_return true;
}

asio::awaitable<beast::error_code> HttpConnection::read_request(Parser& parser) {
  auto [ec, header_bytes] = co_await http::async_read_header(stream_, buffer_, parser, as_tuple(use_awaitable));
  (void)header_bytes;
  if (ec || parser.is_done()) co_return ec;
  if (expects_continue(parser.get())) {
    auto [write_ec, written] =
        co_await asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()), as_tuple(use_awaitable));
    (void)written;
    if (write_ec) co_return write_ec;
  }
  auto [body_ec, body_bytes] = co_await http::async_read(stream_, buffer_, parser, as_tuple(use_awaitable));
  (void)body_bytes;
  co_return body_ec;
}

std::optional<ServerResponse> HttpConnection::answer_to_read_error(const beast::error_code& ec) const {
  const HttpServerOptions& options = core_->options;
  if (ec == http::error::header_limit) {
    return json_error(431, "headers_too_large",
                      "the request line and headers exceed " + std::to_string(options.max_header_bytes) + " bytes");
  }
  if (ec == http::error::body_limit) {
    return json_error(413, "body_too_large", "the request body exceeds " + std::to_string(options.max_body_bytes) + " bytes");
  }
  if (is_parse_error(ec)) return json_error(400, "bad_request", "malformed request: " + ec.message());
  return std::nullopt;  // timeout, reset, end of stream: nobody to answer
}

asio::awaitable<bool> HttpConnection::answer(WireRequest& wire) {
  const bool head_only = wire.method() == http::verb::head;
  const unsigned version = wire.version();
  bool keep_alive = wire.keep_alive();
  const Result<ServerRequest> request = to_server_request(wire, remote_);
  ServerResponse response;
  if (request.ok()) {
    response = co_await call_handler(request.value());
  } else {
    response = json_error(400, "bad_request", request.error().message);
    keep_alive = false;
  }
  if (aborted_) co_return false;
  if (response.upgrade) {
    if (beast::websocket::is_upgrade(wire)) {
      co_await run_websocket(wire, std::move(response.upgrade));
      co_return false;  // the connection was the WebSocket's
    }
    response = json_error(400, "bad_request", "this resource expects a WebSocket handshake");
    keep_alive = false;
  }
  if (response.stream && !head_only) {
    co_await write_stream(std::move(response), version);
    co_return false;  // a streamed response ends its connection
  }
  response.stream = nullptr;
  keep_alive = keep_alive && !core_->connections.draining();  // draining: answer, then close
  const bool written = co_await write(std::move(response), version, keep_alive, head_only);
  co_return written && keep_alive;
}

asio::awaitable<ServerResponse> HttpConnection::call_handler(const ServerRequest& request) {
  using namespace asio::experimental::awaitable_operators;
  auto outcome = co_await (invoke_guarded(core_->handler, request) || wait_for_abort());
  if (outcome.index() == 0) co_return std::move(std::get<0>(outcome));
  co_return json_error(503, "unavailable", "the server stopped");  // never sent: the socket is closed
}

asio::awaitable<void> HttpConnection::wait_for_abort() {
  if (aborted_) co_return;
  auto [ec] = co_await abort_event_.async_wait(as_tuple(use_awaitable));
  (void)ec;  // operation_aborted: abort() cancelled the wait, or the handler finished first
}

asio::awaitable<bool> HttpConnection::write(ServerResponse response, unsigned version, bool keep_alive, bool head_only) {
  WireResponse message = to_wire_response(std::move(response), version, keep_alive);
  stream_.expires_after(core_->options.write_timeout);
  beast::error_code ec;
  if (head_only) {
    http::response_serializer<http::string_body> serializer(message);
    auto [write_ec, written] = co_await http::async_write_header(stream_, serializer, as_tuple(use_awaitable));
    (void)written;
    ec = write_ec;
  } else {
    auto [write_ec, written] = co_await http::async_write(stream_, message, as_tuple(use_awaitable));
    (void)written;
    ec = write_ec;
  }
  stream_.expires_never();
  co_return !ec;
}

asio::awaitable<void> HttpConnection::write_stream(ServerResponse response, unsigned version) {
  StreamBody body = std::move(response.stream);
  response.body.clear();
  WireResponse message = to_wire_response(std::move(response), version, false);
  message.erase(http::field::content_length);
  message.chunked(true);
  stream_.expires_after(core_->options.write_timeout);
  http::response_serializer<http::string_body> serializer(message);
  auto [ec, written] = co_await http::async_write_header(stream_, serializer, as_tuple(use_awaitable));
  (void)written;
  stream_.expires_never();
  if (ec) co_return;
  ChunkWriter writer(stream_, *core_);
  co_await run_stream_body(body, writer);
  if (writer.failed() || aborted_) co_return;
  stream_.expires_after(core_->options.write_timeout);
  auto [last_ec, last_written] = co_await asio::async_write(stream_, http::make_chunk_last(), as_tuple(use_awaitable));
  (void)last_ec;
  (void)last_written;
  stream_.expires_never();
}

asio::awaitable<void> HttpConnection::run_stream_body(const StreamBody& body, ResponseStream& writer) {
  using namespace asio::experimental::awaitable_operators;
  try {
    co_await (body(writer) || wait_for_abort());
  } catch (const std::exception& e) {
    spdlog::error("http stream to {}: the body threw: {}", remote_, e.what());
  }
}

asio::awaitable<void> HttpConnection::run_websocket(WireRequest& wire, WebSocketSession session) {
  using namespace asio::experimental::awaitable_operators;
  WireWebSocket ws(stream_);
  if (!co_await accept_websocket(ws, wire, *core_)) co_return;
  BeastWebSocketChannel channel(ws, *core_);
  try {
    co_await (session(channel) || wait_for_abort());
  } catch (const std::exception& e) {
    spdlog::error("http websocket from {}: the session threw: {}", remote_, e.what());
  }
  channel.abort();
}

asio::awaitable<void> HttpConnection::answer_and_linger(ServerResponse response) {
  if (!co_await write(std::move(response), 11, false, false)) co_return;
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  // Lingering close: closing with unread input makes the kernel send a reset, which can
  // destroy our answer before the client reads it. So discard its input until it closes.
  idle_ = true;
  stream_.expires_after(std::min<std::chrono::milliseconds>(core_->options.read_timeout, kLingerTimeMax));
  std::array<char, 4096> scratch{};
  std::size_t discarded = 0;
  while (discarded < kLingerBytesMax && !core_->connections.draining()) {
    auto [ec, n] = co_await stream_.async_read_some(asio::buffer(scratch), as_tuple(use_awaitable));
    if (ec) break;
    discarded += n;
  }
  idle_ = false;
}

}  // namespace agentrt
