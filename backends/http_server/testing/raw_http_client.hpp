#pragma once
// Test helpers: raw TCP clients for input a real HTTP client will not send (garbage, half
// requests, stalls, pipelining), and a bounded runner so a broken server fails a test
// instead of hanging it. Header-only; everything runs on the test's io_context.

#include <chrono>
#include <functional>
#include <future>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

namespace agentrt::testing {

using RawResponse = boost::beast::http::response<boost::beast::http::string_body>;

inline boost::asio::awaitable<boost::asio::ip::tcp::socket> connect_local(unsigned short port) {
  boost::asio::ip::tcp::socket socket(co_await boost::asio::this_coro::executor);
  const boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::make_address("127.0.0.1"), port);
  co_await socket.async_connect(endpoint, boost::asio::use_awaitable);
  co_return socket;
}

// The error of a connection attempt (success: an empty error_code).
inline boost::asio::awaitable<boost::system::error_code> try_connect_local(unsigned short port) {
  boost::asio::ip::tcp::socket socket(co_await boost::asio::this_coro::executor);
  const boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::make_address("127.0.0.1"), port);
  auto [ec] = co_await socket.async_connect(endpoint, boost::asio::as_tuple(boost::asio::use_awaitable));
  co_return ec;
}

inline boost::asio::awaitable<void> send_bytes(boost::asio::ip::tcp::socket& socket, std::string bytes) {
  co_await boost::asio::async_write(socket, boost::asio::buffer(bytes), boost::asio::use_awaitable);
}

// One response from a keep-alive connection; `head`: the request was HEAD (no body follows).
inline boost::asio::awaitable<RawResponse> read_response(boost::asio::ip::tcp::socket& socket,
                                                         boost::beast::flat_buffer& buffer, bool head = false) {
  boost::beast::http::response_parser<boost::beast::http::string_body> parser;
  parser.skip(head);
  co_await boost::beast::http::async_read(socket, buffer, parser, boost::asio::use_awaitable);
  co_return parser.release();
}

struct ReadToEnd {
  std::string bytes;                  // everything received
  bool closed = false;                // the peer closed (EOF or reset) before the limit
  std::chrono::milliseconds elapsed{0};
};

// Reads until the peer closes the connection or `limit` passes.
inline boost::asio::awaitable<ReadToEnd> read_until_closed(boost::asio::ip::tcp::socket& socket,
                                                           std::chrono::milliseconds limit) {
  using namespace boost::asio::experimental::awaitable_operators;
  const auto start = std::chrono::steady_clock::now();
  boost::asio::steady_timer deadline(co_await boost::asio::this_coro::executor, limit);
  ReadToEnd result;
  std::string chunk(4096, '\0');
  for (;;) {
    auto outcome = co_await (socket.async_read_some(boost::asio::buffer(chunk), boost::asio::as_tuple(boost::asio::use_awaitable)) ||
                             deadline.async_wait(boost::asio::use_awaitable));
    if (outcome.index() == 1) break;
    auto [ec, n] = std::get<0>(outcome);
    if (ec) {
      result.closed = true;
      break;
    }
    result.bytes.append(chunk, 0, n);
  }
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  co_return result;
}

template <class T>
boost::asio::awaitable<std::optional<T>> wrap_optional(boost::asio::awaitable<T> op) {
  co_return co_await std::move(op);
}

inline boost::asio::awaitable<std::optional<bool>> wrap_optional(boost::asio::awaitable<void> op) {
  co_await std::move(op);
  co_return true;
}

// Runs the io_context until `done()` holds; throws after `limit`.
inline void run_until(boost::asio::io_context& ioc, const std::function<bool()>& done,
                      std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  ioc.restart();
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("run_until: timed out");
    ioc.run_one_for(std::chrono::milliseconds(10));
  }
}

// Runs the io_context until the future is ready; throws after `limit`.
template <class T>
T wait_bounded(boost::asio::io_context& ioc, std::future<T>& done, std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  run_until(ioc, [&done] { return done.wait_for(std::chrono::seconds(0)) == std::future_status::ready; }, limit);
  return done.get();
}

// Runs one coroutine to completion on the io_context, at most `limit`; returns its value.
template <class T>
auto run_bounded(boost::asio::io_context& ioc, boost::asio::awaitable<T> op,
                 std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  auto done = boost::asio::co_spawn(ioc, wrap_optional(std::move(op)), boost::asio::use_future);
  return *wait_bounded(ioc, done, limit);
}

}  // namespace agentrt::testing
