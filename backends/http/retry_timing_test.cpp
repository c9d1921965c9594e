#include "backends/http/retry_timing.hpp"

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>

#include "backends/http/retry_after.hpp"
#include "backends/http/testing/run_coroutine.hpp"

namespace agentrt {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;

TEST(RetryAfter, ParsesDelaySeconds) {
  EXPECT_EQ(parse_retry_after("3", system_clock::now()), milliseconds(3000));
  EXPECT_EQ(parse_retry_after(" 0 ", system_clock::now()), milliseconds(0));
}

TEST(RetryAfter, ParsesHttpDateRelativeToNow) {
  const auto now = system_clock::from_time_t(784111777);  // Sun, 06 Nov 1994 08:49:37 GMT
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:42 GMT", now), milliseconds(5000));
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now), milliseconds(0));  // in the past
}

TEST(RetryAfter, RejectsGarbage) {
  EXPECT_FALSE(parse_retry_after("", system_clock::now()));
  EXPECT_FALSE(parse_retry_after("soon", system_clock::now()));
  EXPECT_FALSE(parse_retry_after("-5", system_clock::now()));
}

TEST(RetryAfter, HugeSecondsAreClamped) {
  const auto delay = parse_retry_after("99999999999999999999999", system_clock::now());
  ASSERT_TRUE(delay);
  EXPECT_GT(*delay, milliseconds(0));
}

TEST(RetryDelay, GrowsAndIsCappedByMaxBackoff) {
  const RetryPolicy policy{5, milliseconds(100), milliseconds(300), 2.0};
  EXPECT_EQ(retry_delay(policy, 2, 1.0, std::nullopt), milliseconds(100));
  EXPECT_EQ(retry_delay(policy, 3, 1.0, std::nullopt), milliseconds(200));
  EXPECT_EQ(retry_delay(policy, 4, 1.0, std::nullopt), milliseconds(300));
  EXPECT_EQ(retry_delay(policy, 2, 0.0, std::nullopt), milliseconds(50));  // equal jitter: half fixed
}

TEST(RetryDelay, RetryAfterWinsWhenLongerButStaysCapped) {
  const RetryPolicy policy{5, milliseconds(100), milliseconds(1000), 2.0};
  EXPECT_EQ(retry_delay(policy, 2, 1.0, milliseconds(700)), milliseconds(700));
  EXPECT_EQ(retry_delay(policy, 2, 1.0, milliseconds(5000)), milliseconds(1000));
  EXPECT_EQ(retry_delay(policy, 2, 1.0, milliseconds(10)), milliseconds(100));
}

TEST(RetryJitter, SameSeedSameDrawsAllInRange) {
  RetryJitter a(42);
  RetryJitter b(42);
  for (int i = 0; i < 100; ++i) {
    const double x = a.next();
    EXPECT_EQ(x, b.next());
    EXPECT_GE(x, 0.0);
    EXPECT_LT(x, 1.0);
  }
}

TEST(SleepFor, WaitsAtLeastTheDelay) {
  boost::asio::io_context ioc;
  const auto start = std::chrono::steady_clock::now();
  const auto slept = testing::run_coroutine(ioc, sleep_for(milliseconds(50)));
  EXPECT_TRUE(slept.ok());
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(50));
}

TEST(SleepFor, CancellationEndsTheWaitWithCancelled) {
  boost::asio::io_context ioc;
  boost::asio::cancellation_signal signal;
  auto done = boost::asio::co_spawn(ioc, sleep_for(milliseconds(10'000)),
                                    boost::asio::bind_cancellation_slot(signal.slot(), boost::asio::use_future));
  boost::asio::steady_timer trigger(ioc, milliseconds(20));
  trigger.async_wait([&](auto) { signal.emit(boost::asio::cancellation_type::terminal); });
  const auto start = std::chrono::steady_clock::now();
  ioc.run();
  const auto result = done.get();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, Errc::cancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(5000));
}

}  // namespace
}  // namespace agentrt
