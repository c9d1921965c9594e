#pragma once
// The children and probes of task_group_test.cpp: small coroutines that behave like the
// session's children (sleep, fail, block in a read, throw, clean up late, spawn), each writing
// what it saw into a Probe the test reads after the io_context stopped.

#include <array>
#include <chrono>
#include <exception>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

// GCC 12 reports a false -Wnull-dereference inside Asio's io_context executor comparison
// once co_spawn is inlined; the header is Boost's, so silence it for these includes only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#pragma GCC diagnostic pop
#include <gtest/gtest.h>

#include "core/runtime/task_group.hpp"

namespace agentrt::task_group_testing {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// Every test runs its io_context at most this long: a hang fails instead of blocking CI.
inline constexpr std::chrono::seconds kRunLimit{5};
inline constexpr std::chrono::seconds kForever{10};  // a child that only ends when cancelled

// What a child saw; written by the child, read by the test after the io_context stopped.
struct Probe {
  bool started = false;
  bool cancelled = false;
  std::optional<Clock::time_point> ended_at;
  std::function<void()> on_cancelled;  // late_child calls it before its cleanup, if set
};

// The well-behaved child: sleeps, and reports Errc::cancelled when cancelled.
inline asio::awaitable<Result<void>> sleep_child(std::chrono::milliseconds delay, Probe* probe) {
  probe->started = true;
  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  probe->ended_at = Clock::now();
  if (ec == asio::error::operation_aborted) {
    probe->cancelled = true;
    co_return Error{Errc::cancelled, "sleep cancelled"};
  }
  co_return ok_result();
}

// A child that lets Asio's operation_aborted exception escape when cancelled.
inline asio::awaitable<Result<void>> throwing_sleep_child(std::chrono::milliseconds delay, Probe* probe) {
  probe->started = true;
  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  try {
    co_await timer.async_wait(asio::use_awaitable);
  } catch (const boost::system::system_error&) {
    probe->cancelled = true;
    probe->ended_at = Clock::now();
    throw;
  }
  probe->ended_at = Clock::now();
  co_return ok_result();
}

// Fails after `delay`, whether or not it was cancelled meanwhile.
inline asio::awaitable<Result<void>> failing_child(std::chrono::milliseconds delay, Errc code, std::string message, Probe* probe) {
  probe->started = true;
  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  probe->cancelled = (ec == asio::error::operation_aborted);
  probe->ended_at = Clock::now();
  co_return Error{code, std::move(message)};
}

// Ignores the first cancellation: once cancelled it cleans up for `cleanup` (as a lease
// release would), then ends. A shielded cleanup waits on a timer no cancellation can reach;
// an unshielded one keeps the child's slot, so only a second cancellation could cut it short.
enum class Cleanup { shielded, unshielded };

inline asio::awaitable<Result<void>> late_child(std::chrono::milliseconds cleanup, Cleanup kind, Probe* probe,
                                         std::optional<Clock::time_point>* cleanup_started_at,
                                         bool* cleanup_interrupted) {
  probe->started = true;
  co_await asio::this_coro::throw_if_cancelled(false);
  const auto executor = co_await asio::this_coro::executor;
  asio::steady_timer work(executor, kForever);
  boost::system::error_code ec;
  co_await work.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  probe->cancelled = (ec == asio::error::operation_aborted);
  *cleanup_started_at = Clock::now();
  if (probe->on_cancelled) probe->on_cancelled();
  asio::steady_timer cleanup_timer(executor, cleanup);
  if (kind == Cleanup::shielded) {
    co_await cleanup_timer.async_wait(
        asio::bind_cancellation_slot(asio::cancellation_slot(), asio::redirect_error(asio::use_awaitable, ec)));
  } else {
    co_await cleanup_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  *cleanup_interrupted = (ec == asio::error::operation_aborted);
  probe->ended_at = Clock::now();
  co_return Error{Errc::cancelled, "stopped after cleanup"};
}

// Blocks in a read on a socket nobody writes to, until cancelled.
inline asio::awaitable<Result<void>> reading_child(asio::ip::tcp::socket* socket, Probe* probe, boost::system::error_code* read_error) {
  probe->started = true;
  std::array<char, 64> buffer{};
  boost::system::error_code ec;
  co_await socket->async_read_some(asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
  *read_error = ec;
  probe->ended_at = Clock::now();
  if (ec == asio::error::operation_aborted) {
    probe->cancelled = true;
    co_return Error{Errc::cancelled, "read cancelled"};
  }
  co_return Error{Errc::retryable, "read ended: " + ec.message()};
}

// The same, letting operation_aborted escape as an exception.
inline asio::awaitable<Result<void>> throwing_reading_child(asio::ip::tcp::socket* socket, Probe* probe) {
  probe->started = true;
  std::array<char, 64> buffer{};
  try {
    co_await socket->async_read_some(asio::buffer(buffer), asio::use_awaitable);
  } catch (const boost::system::system_error&) {
    probe->cancelled = true;
    probe->ended_at = Clock::now();
    throw;
  }
  probe->ended_at = Clock::now();
  co_return Error{Errc::retryable, "read returned data nobody sent"};
}

inline asio::awaitable<Result<void>> throwing_child(Probe* probe) {
  probe->started = true;
  probe->ended_at = Clock::now();
  throw std::runtime_error("bad json at byte 3");
  co_return ok_result();  // makes this a coroutine: the throw happens when it runs
}

// Spawns `grandchild` into the group it runs in, then sleeps `own_delay`.
inline asio::awaitable<Result<void>> spawning_child(TaskGroup* group, asio::awaitable<Result<void>> grandchild,
                                             std::chrono::milliseconds own_delay, Probe* probe,
                                             std::optional<Result<void>>* spawned) {
  probe->started = true;
  *spawned = group->spawn("grandchild", std::move(grandchild));
  if (!spawned->value()) co_return spawned->value().error();
  co_return co_await sleep_child(own_delay, probe);
}

// The outcome of a join() co_spawned by the test: how often it completed, when, with what.
struct JoinProbe {
  int completions = 0;
  bool threw = false;
  std::optional<Result<void>> result;
  std::optional<Clock::time_point> at;
};

inline void start_join(asio::any_io_executor executor, TaskGroup& group, JoinProbe& probe,
                asio::cancellation_slot slot = asio::cancellation_slot()) {
  asio::co_spawn(executor, group.join(),
                 asio::bind_cancellation_slot(slot, [&probe](std::exception_ptr thrown, Result<void> result) {
                   ++probe.completions;
                   probe.threw = (thrown != nullptr);
                   probe.result = std::move(result);
                   probe.at = Clock::now();
                 }));
}

inline void expect_error(const std::optional<Result<void>>& result, Errc code, const std::string& message) {
  ASSERT_TRUE(result.has_value());
  ASSERT_FALSE(result->ok());
  EXPECT_EQ(result->error().code, code) << result->error().to_string();
  EXPECT_EQ(result->error().message, message);
}

// Runs `io` until it has no more work, at most kRunLimit; fails the test on the limit.
inline void run_bounded(asio::io_context& io) {
  io.run_for(kRunLimit);
  EXPECT_TRUE(io.stopped()) << "the io_context still had work after " << kRunLimit.count() << " s";
}

}  // namespace agentrt::task_group_testing
