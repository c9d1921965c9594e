// with_timeout: the operation's own result when it finishes first; a timeout that really
// cancels the operation; a cancelled caller reported as cancelled, not as a timeout.
#include "core/runtime/with_timeout.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>

namespace agentrt {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

// Waits `delay` and answers 42; records whether it was cancelled instead.
asio::awaitable<Result<int>> answer_after(std::chrono::milliseconds delay, bool& cancelled) {
  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    cancelled = true;
    co_return Error{Errc::cancelled, "answer: cancelled"};
  }
  co_return 42;
}

struct Run {
  std::optional<Result<int>> result;
  bool operation_cancelled = false;
};

// Races answer_after(`work`) against `timeout`; the caller is cancelled after `cancel_after`
// if given.
Run race(std::chrono::milliseconds work, std::chrono::milliseconds timeout, const std::string& what,
         std::optional<std::chrono::milliseconds> cancel_after = std::nullopt) {
  asio::io_context ctx;
  Run run;
  asio::cancellation_signal cancel;
  asio::co_spawn(
      ctx,
      [&]() -> asio::awaitable<void> {
        run.result.emplace(co_await with_timeout(answer_after(work, run.operation_cancelled), timeout, what));
      },
      asio::bind_cancellation_slot(cancel.slot(), asio::detached));
  asio::steady_timer later(ctx, cancel_after.value_or(std::chrono::milliseconds(0)));
  if (cancel_after) {
    later.async_wait([&](boost::system::error_code) { cancel.emit(asio::cancellation_type::terminal); });
  }
  ctx.run_for(5s);
  return run;
}

TEST(WithTimeoutTest, TheOperationsResultWhenItFinishesFirst) {
  const auto run = race(1ms, 5s, "call");
  ASSERT_TRUE(run.result.has_value());
  ASSERT_TRUE(run.result->ok()) << run.result->error().to_string();
  EXPECT_EQ(**run.result, 42);
  EXPECT_FALSE(run.operation_cancelled);
}

TEST(WithTimeoutTest, ATimeoutCancelsTheOperationAndSaysHowLong) {
  const auto run = race(10s, 20ms, "tool search");
  ASSERT_TRUE(run.result.has_value());
  ASSERT_FALSE(run.result->ok());
  EXPECT_EQ(run.result->error().code, Errc::timeout);
  EXPECT_THAT(run.result->error().message, HasSubstr("tool search: timed out after 20 ms"));
  EXPECT_TRUE(run.operation_cancelled);
}

TEST(WithTimeoutTest, ACancelledCallerIsReportedAsCancelledNotAsATimeout) {
  const auto run = race(10s, 10s, "llm", 20ms);
  ASSERT_TRUE(run.result.has_value());
  ASSERT_FALSE(run.result->ok());
  EXPECT_EQ(run.result->error().code, Errc::cancelled);
  EXPECT_TRUE(run.operation_cancelled);
}

TEST(WithTimeoutTest, NoTimeLeftFailsAtOnce) {
  const auto run = race(1ms, 0ms, "llm");
  ASSERT_TRUE(run.result.has_value());
  ASSERT_FALSE(run.result->ok());
  EXPECT_EQ(run.result->error().code, Errc::timeout);
  EXPECT_THAT(run.result->error().message, HasSubstr("no time left"));
}

}  // namespace
}  // namespace agentrt
