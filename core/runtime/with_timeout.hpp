#pragma once
// Races an operation against a timer (Asio 1.81 has no cancel_after). The loser is cancelled
// through its cancellation slot, so an HTTP transfer or a child process is really stopped.
// The timer completes with an error code, never an exception: the timer loses the race on
// every LLM and tool call, and a thrown operation_aborted cost a few microseconds of
// unwinding each time on the worker's only thread.

#include <chrono>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/model/error.hpp"

namespace agentrt {

template <class T>
boost::asio::awaitable<Result<T>> with_timeout(boost::asio::awaitable<Result<T>> op, std::chrono::milliseconds timeout,
                                               std::string what) {
  using namespace boost::asio::experimental::awaitable_operators;
  if (timeout.count() <= 0) co_return Error{Errc::timeout, what + ": no time left"};
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, timeout);
  auto winner = co_await (std::move(op) || timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable)));
  if (winner.index() == 0) co_return std::get<0>(std::move(winner));
  // The timer ended first: it expired, or the caller was cancelled before anything finished.
  if (std::get<0>(std::get<1>(winner)) == boost::asio::error::operation_aborted) {
    co_return Error{Errc::cancelled, what + ": cancelled"};
  }
  co_return Error{Errc::timeout, what + ": timed out after " + std::to_string(timeout.count()) + " ms"};
}

}  // namespace agentrt
