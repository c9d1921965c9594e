#include "backends/memory/in_process_output_hub.hpp"

#include <chrono>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <gtest/gtest.h>

namespace agentrt {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

OutputEvent output(std::int64_t seq, std::string text = "x") {
  return OutputEvent{seq, "output", {{"text", std::move(text)}}, true};
}

// gtest's ASSERT_* return from the function: in a coroutine, check and co_return instead.
#define CO_ASSERT_TRUE(cond)   \
  do {                         \
    EXPECT_TRUE(cond);         \
    if (!(cond)) co_return;    \
  } while (0)
#define CO_ASSERT_EQ(a, b)     \
  do {                         \
    EXPECT_EQ(a, b);           \
    if (!((a) == (b))) co_return; \
  } while (0)

// Named locals, never braced temporaries inside a co_await (GCC 12 destroys those twice).
asio::awaitable<void> publish(InProcessOutputHub& hub, std::string session, std::vector<OutputEvent> events) {
  const SessionId id{std::move(session)};
  auto published = co_await hub.publish(id, std::move(events));
  EXPECT_TRUE(published.ok());
}

// Runs `body` on a fresh io_context's hub and returns when it finished.
template <class Body>
void with_hub(Body body) {
  asio::io_context ctx;
  InProcessOutputHub hub(ctx.get_executor());
  std::exception_ptr failure;
  asio::co_spawn(ctx, body(hub), [&](std::exception_ptr e) { failure = e; });
  ctx.run_for(5s);
  if (failure) std::rethrow_exception(failure);
}

TEST(InProcessOutputHub, DeliversToEverySubscriberOfTheSessionOnly) {
  with_hub([](InProcessOutputHub& hub) -> asio::awaitable<void> {
    auto a1 = hub.subscribe(SessionId{"s-a"}, {});
    auto a2 = hub.subscribe(SessionId{"s-a"}, {});
    auto b = hub.subscribe(SessionId{"s-b"}, {});
    EXPECT_EQ(hub.subscriber_count(), 3U);
    std::vector<OutputEvent> events{output(1), output(2)};
    co_await publish(hub, "s-a", std::move(events));
    for (auto* s : {a1.get(), a2.get()}) {
      auto batch = co_await s->next(1s);
      EXPECT_TRUE(batch.ok());
      if (!batch.ok()) co_return;
      CO_ASSERT_EQ(batch->events.size(), 2U);
      EXPECT_EQ(batch->events[0].seq, 1);
      EXPECT_EQ(batch->events[1].seq, 2);
      EXPECT_FALSE(batch->overflowed);
    }
    const auto started = Clock::now();
    auto none = co_await b->next(50ms);
    EXPECT_TRUE(none.ok() && none->events.empty());
    EXPECT_GE(Clock::now() - started, 45ms);  // it waited for the timeout
    b.reset();
    EXPECT_EQ(hub.subscriber_count(), 2U);
  });
}

TEST(InProcessOutputHub, APublishWakesAWaitingSubscriberAtOnce) {
  with_hub([](InProcessOutputHub& hub) -> asio::awaitable<void> {
    auto sub = hub.subscribe(SessionId{"s-a"}, {});
    const auto ex = co_await asio::this_coro::executor;
    asio::steady_timer later(ex, 20ms);
    later.async_wait([&hub, ex](boost::system::error_code) {
      std::vector<OutputEvent> events{output(5)};
      asio::co_spawn(ex, publish(hub, "s-a", std::move(events)), asio::detached);
    });
    const auto started = Clock::now();
    auto batch = co_await sub->next(3s);
    EXPECT_LT(Clock::now() - started, 1s);
    CO_ASSERT_TRUE(batch.ok());
    CO_ASSERT_EQ(batch->events.size(), 1U);
    EXPECT_EQ(batch->events[0].seq, 5);
  });
}

TEST(InProcessOutputHub, ASubscriberPastItsEventLimitIsToldOnceAndGetsNothingMore) {
  with_hub([](InProcessOutputHub& hub) -> asio::awaitable<void> {
    auto slow = hub.subscribe(SessionId{"s-a"}, SubscriberLimits{3, 1 << 20});
    auto fast = hub.subscribe(SessionId{"s-a"}, {});
    for (int i = 1; i <= 5; ++i) {
      std::vector<OutputEvent> one{output(i)};
      co_await publish(hub, "s-a", std::move(one));
    }
    auto batch = co_await slow->next(1s);
    CO_ASSERT_TRUE(batch.ok());
    EXPECT_EQ(batch->events.size(), 3U);  // what fitted, then the mark
    EXPECT_TRUE(batch->overflowed);
    std::vector<OutputEvent> sixth{output(6)};
    co_await publish(hub, "s-a", std::move(sixth));
    auto after = co_await slow->next(20ms);
    CO_ASSERT_TRUE(after.ok());
    EXPECT_TRUE(after->events.empty());
    EXPECT_FALSE(after->overflowed);  // reported once
    auto others = co_await fast->next(1s);
    CO_ASSERT_TRUE(others.ok());
    EXPECT_EQ(others->events.size(), 6U);  // the slow one cost the other nothing
  });
}

TEST(InProcessOutputHub, TheByteLimitBoundsBigEvents) {
  with_hub([](InProcessOutputHub& hub) -> asio::awaitable<void> {
    auto sub = hub.subscribe(SessionId{"s-a"}, SubscriberLimits{1000, 4096});
    std::vector<OutputEvent> big{output(1, std::string(3000, 'a')), output(2, std::string(3000, 'b'))};
    co_await publish(hub, "s-a", std::move(big));
    auto batch = co_await sub->next(1s);
    CO_ASSERT_TRUE(batch.ok());
    EXPECT_EQ(batch->events.size(), 1U);
    EXPECT_TRUE(batch->overflowed);
  });
}

TEST(InProcessOutputHub, ASubscriptionMayOutliveTheHub) {
  asio::io_context ctx;
  std::unique_ptr<OutputSubscription> sub;
  {
    InProcessOutputHub hub(ctx.get_executor());
    sub = hub.subscribe(SessionId{"s-a"}, {});
  }
  bool done = false;
  auto wait = [](OutputSubscription* s, bool* finished) -> asio::awaitable<void> {
    auto batch = co_await s->next(10ms);
    EXPECT_TRUE(batch.ok() && batch->events.empty());
    *finished = true;
  };
  asio::co_spawn(ctx, wait(sub.get(), &done), asio::detached);
  ctx.run_for(2s);
  EXPECT_TRUE(done);
  sub.reset();  // unregisters from the registry it shares, not from a dead hub
}

}  // namespace
}  // namespace agentrt
