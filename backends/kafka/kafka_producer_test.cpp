// KafkaProducer against librdkafka's mock cluster: keyed messages with headers arrive in
// order, deliver() reports the broker's acknowledgement, a full local queue drops instead of
// waiting, and deliveries survive a broker error injected mid-stream.
#include "backends/kafka/kafka_producer.hpp"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "backends/http/testing/run_coroutine.hpp"
#include "backends/kafka/testing/kafka_mock_cluster.hpp"

namespace agentrt::kafka {
namespace {

using namespace std::chrono_literals;
using testing::KafkaMockCluster;

std::unique_ptr<KafkaProducer> open_producer(KafkaProducerOptions o) {
  o.properties["log_level"] = "0";
  auto opened = KafkaProducer::open(std::move(o));
  if (!opened) throw std::runtime_error(opened.error().to_string());
  return std::move(opened).value();
}

TEST(KafkaProducer, PublishesKeyedMessagesWithHeadersInOrder) {
  KafkaMockCluster cluster;
  cluster.create_topic("out", 3);
  auto producer = open_producer(KafkaProducerOptions{cluster.bootstraps()});
  for (int i = 0; i < 6; ++i) {
    EXPECT_TRUE(producer->publish(BusMessage{"out", "s-1", "e" + std::to_string(i), {{"traceparent", "00-t"}}}));
  }
  auto records = cluster.read("out", 6, 10s);
  ASSERT_EQ(records.size(), 6U);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(records[i].key, std::optional<std::string>("s-1"));
    EXPECT_EQ(records[i].value, "e" + std::to_string(i));  // one key: one partition, in order
    ASSERT_EQ(records[i].headers.size(), 1U);
    EXPECT_EQ(records[i].headers[0].second, "00-t");
  }
  EXPECT_EQ(producer->stats().queued, 6U);
}

TEST(KafkaProducer, DeliverWaitsForTheBrokerAndSurvivesInjectedErrors) {
  KafkaMockCluster cluster;
  cluster.create_topic("dlq", 1);
  auto producer = open_producer(KafkaProducerOptions{cluster.bootstraps()});
  boost::asio::io_context io;
  auto first = agentrt::testing::run_coroutine(io, producer->deliver(BusMessage{"dlq", "k", "one", {}}));
  ASSERT_TRUE(first) << first.error().to_string();
  constexpr std::int16_t kProduce = 0;
  cluster.fail_requests(kProduce, 2, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);  // retried by the idempotent producer
  auto second = agentrt::testing::run_coroutine(io, producer->deliver(BusMessage{"dlq", "k", "two", {}}));
  ASSERT_TRUE(second) << second.error().to_string();
  auto records = cluster.read("dlq", 2, 10s);
  ASSERT_EQ(records.size(), 2U);  // idempotence: the retries wrote it once
  EXPECT_EQ(records[1].value, "two");
  EXPECT_GE(producer->stats().delivered, 2U);
}

TEST(KafkaProducer, AFullQueueDropsInsteadOfWaiting) {
  KafkaMockCluster cluster;
  cluster.create_topic("out", 1);
  cluster.broker_down(1);
  KafkaProducerOptions o{cluster.bootstraps()};
  o.queue_max = 2;
  o.flush_timeout = 100ms;
  auto producer = open_producer(o);
  const auto start = std::chrono::steady_clock::now();
  int accepted = 0;
  for (int i = 0; i < 5; ++i) accepted += producer->publish(BusMessage{"out", "k", "v", {}}) ? 1 : 0;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_EQ(accepted, 2);
  EXPECT_EQ(producer->stats().dropped, 3U);
}

TEST(KafkaProducer, DeliverReportsAFailureAfterTheTimeout) {
  KafkaMockCluster cluster;
  cluster.create_topic("dlq", 1);
  cluster.broker_down(1);
  KafkaProducerOptions o{cluster.bootstraps()};
  o.delivery_timeout = 300ms;
  auto producer = open_producer(o);
  boost::asio::io_context io;
  auto delivered = agentrt::testing::run_coroutine(io, producer->deliver(BusMessage{"dlq", "k", "v", {}}));
  ASSERT_FALSE(delivered);
  EXPECT_EQ(delivered.error().code, Errc::timeout);
}

}  // namespace
}  // namespace agentrt::kafka
