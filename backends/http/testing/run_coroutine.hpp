#pragma once
// Test helpers for coroutines returning Result<T> (which has no default constructor, so
// co_spawn with a completion token cannot carry it directly).
//
//   auto r = testing::run_coroutine(ioc, client.request(req));            // drive to completion
//   auto f = co_spawn(ioc, testing::as_optional(client.request(req)),
//                     bind_cancellation_slot(signal.slot(), use_future));  // std::future<optional<T>>

#include <chrono>
#include <future>
#include <optional>
#include <stdexcept>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace agentrt::testing {

template <class T>
boost::asio::awaitable<std::optional<T>> as_optional(boost::asio::awaitable<T> coroutine) {
  co_return co_await std::move(coroutine);
}

// Runs the io_context until `done` is ready (not until it runs out of work: idle timers and
// cached connections may stay registered). Throws if the context runs dry first.
template <class T>
T wait_for_future(boost::asio::io_context& ioc, std::future<T>& done) {
  ioc.restart();
  while (done.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    if (ioc.run_one() == 0) throw std::logic_error("wait_for_future: the io_context ran out of work");
  }
  return done.get();
}

// Runs one coroutine on the io_context and returns its value (rethrowing its exception).
template <class T>
T run_coroutine(boost::asio::io_context& ioc, boost::asio::awaitable<T> coroutine) {
  auto done = boost::asio::co_spawn(ioc, as_optional(std::move(coroutine)), boost::asio::use_future);
  return *wait_for_future(ioc, done);
}

}  // namespace agentrt::testing
