#include "backends/http_server/http_server.hpp"

#include <exception>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "backends/http_server/http_connection.hpp"
#include "backends/http_server/server_core.hpp"

namespace agentrt {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Connections being refused with 503 at once; past this a flood is closed without an answer.
constexpr std::size_t kRejectingMax = 64;
// After a failed accept (EMFILE, ENOBUFS) wait before retrying, so the loop does not spin.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};

void log_coroutine_failure(const char* what, std::exception_ptr failure) {
  if (!failure) return;
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& e) {
    spdlog::error("http server {} failed: {}", what, e.what());
  } catch (...) {
    spdlog::error("http server {} failed with a non-standard exception", what);
  }
}

void admit(const std::shared_ptr<ServerCore>& core, tcp::socket socket) {
  auto mode = HttpConnection::Mode::serve;
  if (core->connections.counted() >= core->options.max_connections) {
    if (core->connections.size() - core->connections.counted() >= kRejectingMax) return;  // the socket closes
    mode = HttpConnection::Mode::reject;
  }
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  auto connection = std::make_unique<HttpConnection>(std::move(socket), core, mode);
  asio::co_spawn(core->executor, HttpConnection::run(std::move(connection)),
                 [](std::exception_ptr failure) { log_coroutine_failure("connection", failure); });
}

asio::awaitable<void> accept_loop(std::shared_ptr<ServerCore> core) {
  for (;;) {
    auto [ec, socket] = co_await core->acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (!core->acceptor.is_open() || core->connections.draining()) co_return;  // stop() closed it
    if (!ec) {
      admit(core, std::move(socket));
      continue;
    }
    spdlog::warn("http server: accept on port {} failed: {}", core->port, ec.message());
    asio::steady_timer pause(core->executor, kAcceptRetryDelay);
    auto [wait_ec] = co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
    (void)wait_ec;
  }
}

std::string host_port(const std::string& host, unsigned short port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace

HttpServer::HttpServer(asio::any_io_executor executor, HttpServerOptions options, RequestHandler handler)
    : core_(std::make_shared<ServerCore>(std::move(executor), std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() {
  // Without a completed stop(): close everything; the coroutines end when the executor runs.
  boost::system::error_code ignored;
  core_->acceptor.close(ignored);
  core_->connections.abort_all();
}

Result<void> HttpServer::listen() {
  ServerCore& core = *core_;
  const std::string where = host_port(core.options.host, core.options.port);
  if (core.acceptor.is_open()) return Error{Errc::invalid, "listen on " + where + ": already listening"};
  boost::system::error_code ec;
  const std::string host = core.options.host == "localhost" ? std::string("127.0.0.1") : core.options.host;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return Error{Errc::invalid, "listen on " + where + ": the host is not an IP address"};
  const tcp::endpoint endpoint(address, core.options.port);
  core.acceptor.open(endpoint.protocol(), ec);
  if (!ec) core.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) core.acceptor.bind(endpoint, ec);
  if (!ec) core.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) core.port = core.acceptor.local_endpoint(ec).port();
  if (!ec) return ok_result();
  boost::system::error_code ignored;
  core.acceptor.close(ignored);
  const Errc code = ec == asio::error::address_in_use ? Errc::conflict : Errc::fatal;
  return Error{code, "listen on " + where + ": " + ec.message()};
}

unsigned short HttpServer::port() const { return core_->port; }

bool HttpServer::draining() const { return core_->connections.draining(); }

std::size_t HttpServer::connection_count() const { return core_->connections.size(); }

void HttpServer::start() {
  if (started_ || !core_->acceptor.is_open()) return;
  started_ = true;
  asio::co_spawn(core_->executor, accept_loop(core_),
                 [](std::exception_ptr failure) { log_coroutine_failure("accept loop", failure); });
}

asio::awaitable<void> HttpServer::stop(std::chrono::milliseconds grace) {
  using namespace asio::experimental::awaitable_operators;
  const std::shared_ptr<ServerCore> core = core_;  // alive however the caller treats `this`
  boost::system::error_code ignored;
  core->acceptor.close(ignored);  // new connections are refused from here
  core->connections.drain();
  if (core->connections.size() == 0) co_return;
  asio::steady_timer grace_timer(core->executor, grace);
  co_await (core->connections.wait_until_empty() || grace_timer.async_wait(asio::use_awaitable));
  if (core->connections.size() == 0) co_return;
  spdlog::info("http server: grace of {} ms passed; closing {} connections", grace.count(), core->connections.size());
  core->connections.abort_all();
  co_await core->connections.wait_until_empty();
}

}  // namespace agentrt
