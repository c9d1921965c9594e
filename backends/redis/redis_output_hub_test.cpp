#include "backends/redis/redis_output_hub.hpp"

#include <chrono>

#include <gtest/gtest.h>

#include "backends/http/testing/run_coroutine.hpp"
#include "backends/redis/redis_output_codec.hpp"
#include "backends/redis/testing/redis_test_server.hpp"

namespace agentrt {
namespace {

using std::chrono::milliseconds;
using testing::RedisTestServer;
using testing::run_coroutine;
using testing::run_until;

OutputEvent event(std::int64_t seq, std::string text = "x") {
  OutputEvent e;
  e.seq = seq;
  e.kind = "output";
  e.data = {{"text", std::move(text)}};
  e.follows_seq = seq - 1;
  return e;
}

// One process's Redis side: its pool, its subscriber connection and the hub over them.
struct Worker {
  Worker(boost::asio::io_context& ioc, const RedisOptions& options)
      : client(ioc.get_executor(), options), subscriber(ioc.get_executor(), options), hub(ioc.get_executor(), client, subscriber) {
    client.start();
    subscriber.start();
  }
  ~Worker() {
    subscriber.stop();
    client.stop();
  }
  RedisClient client;
  RedisSubscriber subscriber;
  RedisOutputHub hub;
};

class RedisOutputHubTest : public ::testing::Test {
 protected:
  Result<OutputBatch> next(OutputSubscription& subscription, milliseconds wait = milliseconds{2000}) {
    return run_coroutine(ioc_, subscription.next(wait));
  }
  Result<void> publish(Worker& worker, const std::string& session, std::vector<OutputEvent> events) {
    return run_coroutine(ioc_, worker.hub.publish(SessionId{session}, std::move(events)));
  }
  bool subscribed(Worker& worker, std::uint64_t confirmed) {
    return run_until(ioc_, [&] { return worker.subscriber.subscriptions_confirmed() >= confirmed; });
  }

  boost::asio::io_context ioc_;
  RedisTestServer server_;
};

TEST_F(RedisOutputHubTest, AClientOnOneWorkerGetsWhatASessionOnAnotherPublishes) {
  Worker a(ioc_, server_.options());
  Worker b(ioc_, server_.options());
  ASSERT_TRUE(run_until(ioc_, [&] { return a.hub.up() && b.hub.up(); }));
  auto subscription = a.hub.subscribe(SessionId{"s-1"}, SubscriberLimits{});
  auto other = a.hub.subscribe(SessionId{"s-2"}, SubscriberLimits{});
  ASSERT_TRUE(subscribed(a, 2));
  EXPECT_EQ(a.subscriber.channel_count(), 2u);
  ASSERT_TRUE(publish(b, "s-1", {event(3, "hello"), event(4, "world")}).ok());
  auto batch = next(*subscription);
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->events.size(), 2u);
  EXPECT_EQ(batch->events[0].seq, 3);
  EXPECT_EQ(batch->events[0].data["text"], "hello");
  EXPECT_EQ(batch->events[1].follows_seq, 3);
  EXPECT_FALSE(batch->overflowed);
  auto nothing = next(*other, milliseconds{100});  // another session's subscriber gets none of it
  ASSERT_TRUE(nothing.ok());
  EXPECT_TRUE(nothing->events.empty());
  EXPECT_EQ(b.hub.stats().published, 1u);
  EXPECT_EQ(a.hub.stats().received, 1u);
}

TEST_F(RedisOutputHubTest, SubscribersShareOneChannelAndItIsDroppedWithTheLast) {
  Worker a(ioc_, server_.options());
  ASSERT_TRUE(run_until(ioc_, [&] { return a.hub.up(); }));
  auto first = a.hub.subscribe(SessionId{"s-1"}, SubscriberLimits{});
  auto second = a.hub.subscribe(SessionId{"s-1"}, SubscriberLimits{});
  ASSERT_TRUE(subscribed(a, 1));
  EXPECT_EQ(a.subscriber.channel_count(), 1u);
  ASSERT_TRUE(publish(a, "s-1", {event(1)}).ok());
  EXPECT_EQ(next(*first)->events.size(), 1u);
  EXPECT_EQ(next(*second)->events.size(), 1u);
  first.reset();
  EXPECT_EQ(a.subscriber.channel_count(), 1u);
  second.reset();
  EXPECT_EQ(a.subscriber.channel_count(), 0u);
  EXPECT_EQ(a.hub.subscriber_count(), 0u);
}

TEST_F(RedisOutputHubTest, ASlowSubscriberOverflowsOnceAndOthersAreUnaffected) {
  Worker a(ioc_, server_.options());
  Worker b(ioc_, server_.options());
  ASSERT_TRUE(run_until(ioc_, [&] { return a.hub.up() && b.hub.up(); }));
  auto slow = a.hub.subscribe(SessionId{"s-1"}, SubscriberLimits{3, 1024 * 1024});
  auto fast = a.hub.subscribe(SessionId{"s-1"}, SubscriberLimits{});
  ASSERT_TRUE(subscribed(a, 1));
  for (int i = 1; i <= 5; ++i) ASSERT_TRUE(publish(b, "s-1", {event(i)}).ok());
  ASSERT_TRUE(run_until(ioc_, [&] { return a.hub.stats().received == 5; }));
  auto overflowed = next(*slow);
  ASSERT_TRUE(overflowed.ok());
  EXPECT_EQ(overflowed->events.size(), 3u);
  EXPECT_TRUE(overflowed->overflowed);
  auto after = next(*slow, milliseconds{50});
  EXPECT_FALSE(after->overflowed);  // reported once
  EXPECT_TRUE(after->events.empty());
  auto all = next(*fast);
  EXPECT_EQ(all->events.size(), 5u);
  EXPECT_FALSE(all->overflowed);
  EXPECT_EQ(a.hub.stats().overflows, 1u);
}

TEST_F(RedisOutputHubTest, RedisKilledMidStreamFailsPublishFastAndDeliveryResumesAfterRestart) {
  Worker a(ioc_, server_.options());
  Worker b(ioc_, server_.options());
  ASSERT_TRUE(run_until(ioc_, [&] { return a.hub.up() && b.hub.up(); }));
  auto subscription = a.hub.subscribe(SessionId{"s-1"}, SubscriberLimits{});
  ASSERT_TRUE(subscribed(a, 1));
  ASSERT_TRUE(publish(b, "s-1", {event(1)}).ok());
  EXPECT_EQ(next(*subscription)->events.size(), 1u);

  server_.kill();
  ASSERT_TRUE(run_until(ioc_, [&] { return !a.hub.up() && !b.hub.up(); }));
  const auto started = std::chrono::steady_clock::now();
  auto lost = publish(b, "s-1", {event(2)});
  ASSERT_FALSE(lost.ok());
  EXPECT_TRUE(lost.error().retryable());
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds{250});  // well under the 1 s command timeout
  EXPECT_EQ(b.hub.stats().publish_failures, 1u);
  auto silent = next(*subscription, milliseconds{50});  // the subscription lives on, silent
  ASSERT_TRUE(silent.ok());
  EXPECT_TRUE(silent->events.empty());

  server_.start();
  ASSERT_TRUE(run_until(ioc_, [&] { return a.hub.up() && b.hub.up(); }));
  ASSERT_TRUE(subscribed(a, 2));  // resubscribed on the new connection
  ASSERT_TRUE(publish(b, "s-1", {event(3)}).ok());
  auto resumed = next(*subscription);
  ASSERT_TRUE(resumed.ok());
  ASSERT_EQ(resumed->events.size(), 1u);
  EXPECT_EQ(resumed->events[0].seq, 3);  // seq 2 is the store's to deliver (follows_seq says so)
  EXPECT_EQ(resumed->events[0].follows_seq, 2);
}

TEST_F(RedisOutputHubTest, MalformedMessagesAreDroppedAndCounted) {
  Worker a(ioc_, server_.options());
  ASSERT_TRUE(run_until(ioc_, [&] { return a.hub.up(); }));
  auto subscription = a.hub.subscribe(SessionId{"s-1"}, SubscriberLimits{});
  ASSERT_TRUE(subscribed(a, 1));
  const std::string channel = "agentrt:out:s-1";
  std::string deep(200, '[');
  for (const std::string& payload : {std::string("not json"), std::string(R"({"v":1,"events":[{"seq":"1"}]})"),
                                     std::string(R"({"v":2,"events":[]})"), deep}) {
    ASSERT_TRUE(run_coroutine(ioc_, a.client.command({"PUBLISH", channel, payload})).ok());
  }
  ASSERT_TRUE(publish(a, "s-1", {event(7)}).ok());
  auto batch = next(*subscription);
  ASSERT_TRUE(run_until(ioc_, [&] { return a.hub.stats().malformed == 4; }));
  ASSERT_EQ(batch->events.size(), 1u);
  EXPECT_EQ(batch->events[0].seq, 7);
}

TEST_F(RedisOutputHubTest, SubscriptionsMayOutliveTheHub) {
  std::unique_ptr<OutputSubscription> subscription;
  {
    Worker a(ioc_, server_.options());
    ASSERT_TRUE(run_until(ioc_, [&] { return a.hub.up(); }));
    subscription = a.hub.subscribe(SessionId{"s-1"}, SubscriberLimits{});
  }
  auto batch = next(*subscription, milliseconds{20});
  ASSERT_TRUE(batch.ok());
  EXPECT_TRUE(batch->events.empty());
  subscription.reset();
}

TEST(RedisOutputCodecTest, RoundTripsAndRefusesBadShapes) {
  OutputEvent token;
  token.seq = 4;
  token.kind = "token";
  token.data = {{"text", "hé"}};
  token.durable = false;
  token.follows_seq = 2;
  auto decoded = decode_output_events(encode_output_events({token}));
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded->size(), 1u);
  EXPECT_EQ((*decoded)[0].kind, "token");
  EXPECT_FALSE((*decoded)[0].durable);
  EXPECT_EQ((*decoded)[0].follows_seq, 2);
  EXPECT_EQ((*decoded)[0].data["text"], "hé");
  EXPECT_FALSE(decode_output_events(R"({"v":1,"events":[{"seq":-5,"kind":"x","data":{},"durable":true,"follows_seq":1}]})").ok());
  EXPECT_FALSE(decode_output_events(R"({"v":1,"events":[{"seq":1,"kind":"","data":{},"durable":true,"follows_seq":1}]})").ok());
  EXPECT_FALSE(decode_output_events(R"({"v":1,"events":{}})").ok());
  OutputCodecLimits limits;
  limits.max_events = 1;
  EXPECT_FALSE(decode_output_events(encode_output_events({token, token}), limits).ok());
}

}  // namespace
}  // namespace agentrt
