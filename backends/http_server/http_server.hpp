#pragma once
// HttpServer: HTTP/1.1 on one port (Boost.Beast), one coroutine per connection, keep-alive.
// It frames, bounds and times requests; a RequestHandler (usually Router::handle) answers them.
//
// Contract:
// - Threading: the server, its connections and the handler all run on `executor`, which must
//   not run two handlers at once (an io_context run by one thread, or a strand). Call every
//   member function on it. Nothing blocks it.
// - Lifecycle: listen() -> start() -> co_await stop(grace) -> destroy. stop() is idempotent.
//   Destroying a started server without stop() closes everything, but cannot wait: the
//   handler (and whatever it references) must then outlive the connections' coroutines.
// - stop(grace): stops accepting (new connections are refused), closes idle keep-alive
//   connections, lets in-flight requests finish and answers them with `Connection: close`;
//   when `grace` passes it closes the rest and cancels their handlers (terminal
//   cancellation), then returns once every connection coroutine has ended. A handler that
//   ignores cancellation delays stop(): handlers must await cancellable operations.
// - Errors the server answers itself, each then closing the connection, with the JSON body
//   {"error":{"code","message"}}: 400 bad_request (unparsable request), 413 body_too_large
//   (sent as soon as the declared length or the chunks pass the limit: the rest is not
//   read), 431 headers_too_large, 503 overloaded (over max_connections). A request that does
//   not arrive within read_timeout is dropped without an answer. The handler's own
//   exceptions become 500 internal.
// - Responses carry Content-Length, Date and `Server: agentrt`; HEAD responses carry no body.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "backends/http_server/http_message.hpp"
#include "core/model/error.hpp"

namespace agentrt {

struct HttpServerOptions {
  std::string host = "127.0.0.1";          // a numeric IPv4/IPv6 address, or "localhost"
  unsigned short port = 0;                 // 0: an ephemeral port (see HttpServer::port())
  std::size_t max_body_bytes = 1024 * 1024;        // 1 MiB; more: 413 body_too_large
  std::size_t max_header_bytes = 16 * 1024;        // 16 KiB, request line included; more: 431
  std::chrono::milliseconds read_timeout{10'000};  // whole request, from its first byte (from
                                                   // the accept for the first one): slowloris
  std::chrono::milliseconds idle_timeout{60'000};  // keep-alive wait for the next request
  std::chrono::milliseconds write_timeout{10'000}; // one whole response: a reader that stalls
  std::size_t max_connections = 1024;              // more: 503 overloaded, then close
  std::size_t max_websocket_message_bytes = 1024 * 1024;  // one WebSocket message; more: close 1009
};

// Answers one request. Called on the server's executor; the request outlives the coroutine.
using RequestHandler = std::function<boost::asio::awaitable<ServerResponse>(const ServerRequest&)>;

struct ServerCore;

class HttpServer final {
 public:
  HttpServer(boost::asio::any_io_executor executor, HttpServerOptions options, RequestHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens. Errors name host:port: Errc::invalid for a host that is not an
  // address, Errc::conflict when the port is taken, Errc::fatal otherwise.
  Result<void> listen();
  // The bound port (the ephemeral one when options.port is 0); 0 before listen().
  [[nodiscard]] unsigned short port() const;
  // Starts the accept loop. Requires a successful listen(); a second call does nothing.
  void start();
  // See the contract above.
  boost::asio::awaitable<void> stop(std::chrono::milliseconds grace);

  // True once stop() began: readiness probes report "not ready" while draining.
  [[nodiscard]] bool draining() const;
  // Open connections, served and rejected ones (tests, metrics).
  [[nodiscard]] std::size_t connection_count() const;

 private:
  std::shared_ptr<ServerCore> core_;  // shared with the accept loop and every connection
  bool started_ = false;
};

}  // namespace agentrt
