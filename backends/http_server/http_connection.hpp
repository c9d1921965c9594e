#pragma once
// One accepted TCP connection: reads requests one after another (keep-alive), bounds and
// times them, calls the server's handler, writes the answers. Internal to HttpServer.
//
// States, for stop(): *idle* while waiting for the first byte of a request, and while
// lingering after a final error answer (close_if_idle() closes it then); *busy* while a
// request is read, handled or answered (only abort() closes it then). The connection erases
// itself from the ConnectionSet when destroyed, so the set never holds a dangling member.

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>

#include "backends/http_server/http_wire.hpp"

namespace agentrt {

struct ServerCore;

class HttpConnection final {
 public:
  enum class Mode {
    serve,   // a normal connection
    reject,  // over max_connections: answer 503 overloaded, then close
  };

  HttpConnection(boost::asio::ip::tcp::socket socket, std::shared_ptr<ServerCore> core, Mode mode);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // The connection's coroutine; it owns the connection until it ends.
  static boost::asio::awaitable<void> run(std::unique_ptr<HttpConnection> self);

  void close_if_idle();
  // Closes the socket and cancels the handler in flight; the coroutine then ends.
  void abort();

 private:
  using Parser = boost::beast::http::request_parser<boost::beast::http::string_body>;
  using TimePoint = std::chrono::steady_clock::time_point;

  boost::asio::awaitable<void> serve();
  boost::asio::awaitable<void> reject();
  boost::asio::awaitable<bool> wait_for_request(TimePoint deadline);
  boost::asio::awaitable<boost::beast::error_code> read_request(Parser& parser);
  boost::asio::awaitable<bool> answer(WireRequest& request);
  boost::asio::awaitable<ServerResponse> call_handler(const ServerRequest& request);
  boost::asio::awaitable<void> wait_for_abort();
  boost::asio::awaitable<bool> write(ServerResponse response, unsigned version, bool keep_alive, bool head_only);
  boost::asio::awaitable<void> answer_and_linger(ServerResponse response);
  boost::asio::awaitable<void> write_stream(ServerResponse response, unsigned version);
  boost::asio::awaitable<void> run_stream_body(const StreamBody& body, ResponseStream& writer);
  boost::asio::awaitable<void> run_websocket(WireRequest& wire, WebSocketSession session);
  [[nodiscard]] std::optional<ServerResponse> answer_to_read_error(const boost::beast::error_code& ec) const;

  std::shared_ptr<ServerCore> core_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::string remote_;
  Mode mode_;
  TimePoint accepted_at_;
  bool idle_ = false;
  bool aborted_ = false;
  boost::asio::steady_timer abort_event_;  // never expires: abort() cancels its wait
};

}  // namespace agentrt
