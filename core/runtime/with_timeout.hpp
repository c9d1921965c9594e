#pragma once
// Races an operation against a timer (Asio 1.81 has no cancel_after). The loser is cancelled
// through its cancellation slot, so an HTTP transfer or a child process is really stopped.

#include <chrono>
#include <string>

#include <boost/asio/awaitable.hpp>
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
  auto winner = co_await (std::move(op) || timer.async_wait(boost::asio::use_awaitable));
  if (winner.index() == 0) co_return std::get<0>(std::move(winner));
  co_return Error{Errc::timeout, what + ": timed out after " + std::to_string(timeout.count()) + " ms"};
}

}  // namespace agentrt
