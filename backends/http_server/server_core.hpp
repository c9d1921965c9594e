#pragma once
// The state an HttpServer shares with its accept loop and its connections. Shared, so a
// server destroyed without stop() leaves its coroutines nothing dangling of its own.

#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "backends/http_server/connection_set.hpp"
#include "backends/http_server/http_server.hpp"

namespace agentrt {

struct ServerCore {
  ServerCore(boost::asio::any_io_executor ex, HttpServerOptions opts, RequestHandler on_request)
      : executor(ex), options(std::move(opts)), handler(std::move(on_request)), acceptor(ex), connections(ex) {}

  boost::asio::any_io_executor executor;
  HttpServerOptions options;
  RequestHandler handler;
  boost::asio::ip::tcp::acceptor acceptor;
  ConnectionSet connections;
  unsigned short port = 0;  // bound port, 0 before listen()
};

}  // namespace agentrt
