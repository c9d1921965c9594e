#pragma once
// Runs one coroutine to completion on a CLI's private io_context. The CLI blocks only
// between coroutines (reading the terminal), never inside one.

#include <exception>
#include <optional>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace agentrt::cli {

template <class T>
T run_sync(boost::asio::io_context& ctx, boost::asio::awaitable<T> op) {
  std::optional<T> result;
  std::exception_ptr error;
  bool done = false;
  boost::asio::co_spawn(
      ctx, [&]() -> boost::asio::awaitable<void> { result.emplace(co_await std::move(op)); },
      [&](std::exception_ptr e) {
        error = e;
        done = true;
      });
  ctx.restart();
  // The guard keeps run_one() blocking while a store's worker thread holds our completion;
  // run_one, not run(): idle timers of the HTTP client must not keep us here.
  auto guard = boost::asio::make_work_guard(ctx);
  while (!done) ctx.run_one();
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

}  // namespace agentrt::cli
