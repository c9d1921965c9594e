// KafkaConsumer against librdkafka's in-process mock cluster: order, commits only of what the
// caller committed, redelivery after a restart, pause/resume under a slow caller, a second
// member joining (rebalance) without loss, and a broker error mid-stream.
#include "backends/kafka/kafka_consumer.hpp"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "backends/http/testing/run_coroutine.hpp"
#include "backends/kafka/testing/kafka_mock_cluster.hpp"

namespace agentrt::kafka {
namespace {

using namespace std::chrono_literals;
using testing::KafkaMockCluster;

KafkaConsumerOptions options_for(const KafkaMockCluster& cluster, std::string topic, std::size_t handoff_max = 1000) {
  KafkaConsumerOptions o;
  o.brokers = cluster.bootstraps();
  o.group_id = "g1";
  o.topics = {std::move(topic)};
  o.handoff_max = handoff_max;
  o.commit_interval = 20ms;
  o.properties = {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "200"}, {"log_level", "0"}};
  return o;
}

std::unique_ptr<KafkaConsumer> open_consumer(boost::asio::io_context& io, KafkaConsumerOptions o) {
  auto opened = KafkaConsumer::open(io.get_executor(), std::move(o));
  if (!opened) throw std::runtime_error(opened.error().to_string());
  return std::move(opened).value();
}

void produce_n(KafkaMockCluster& cluster, const std::string& topic, int n, int first = 0) {
  for (int i = first; i < first + n; ++i) {
    auto sent = cluster.produce(topic, "k" + std::to_string(i % 7), "v" + std::to_string(i));
    if (!sent) throw std::runtime_error(sent.error().to_string());
  }
}

// Takes up to `n` records, waiting at most `timeout` in all.
std::vector<BusRecord> take(boost::asio::io_context& io, KafkaConsumer& consumer, std::size_t n,
                            std::chrono::milliseconds timeout = 20s, bool commit = true) {
  std::vector<BusRecord> out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < n && std::chrono::steady_clock::now() < deadline) {
    auto next = agentrt::testing::run_coroutine(io, consumer.next(100ms));
    if (!next) throw std::runtime_error(next.error().to_string());
    if (!*next) continue;
    if (commit) consumer.commit(**next);
    out.push_back(std::move(**next));
  }
  return out;
}

std::int64_t committed_eventually(KafkaConsumer& consumer, const std::string& topic, std::int32_t partition,
                                  std::int64_t want) {
  std::int64_t got = -1;
  for (int i = 0; i < 100; ++i) {
    auto c = consumer.committed(topic, partition, 2s);
    if (c) got = *c;
    if (got == want) return got;
    std::this_thread::sleep_for(50ms);
  }
  return got;
}

TEST(KafkaConsumer, HandsRecordsOverInOrderWithKeysAndHeaders) {
  KafkaMockCluster cluster;
  cluster.create_topic("in", 1);
  ASSERT_TRUE(cluster.produce("in", "s-1", "{\"a\":1}", {{"session", "s-9"}, {"traceparent", "00-x"}}));
  ASSERT_TRUE(cluster.produce("in", std::nullopt, "second"));
  boost::asio::io_context io;
  auto consumer = open_consumer(io, options_for(cluster, "in"));
  auto records = take(io, *consumer, 2);
  ASSERT_EQ(records.size(), 2U);
  EXPECT_EQ(records[0].topic, "in");
  EXPECT_EQ(records[0].offset, 0);
  EXPECT_EQ(records[0].key, std::optional<std::string>("s-1"));
  EXPECT_EQ(records[0].value, "{\"a\":1}");
  ASSERT_EQ(records[0].headers.size(), 2U);
  EXPECT_EQ(records[0].headers[0], (std::pair<std::string, std::string>{"session", "s-9"}));
  EXPECT_EQ(records[1].offset, 1);
  EXPECT_FALSE(records[1].key.has_value());
  EXPECT_EQ(records[1].value, "second");
}

TEST(KafkaConsumer, CommitsOnlyWhatTheCallerCommittedAndRedeliversTheRest) {
  KafkaMockCluster cluster;
  cluster.create_topic("in", 1);
  produce_n(cluster, "in", 5);
  boost::asio::io_context io;
  {
    auto consumer = open_consumer(io, options_for(cluster, "in"));
    auto first = take(io, *consumer, 3);  // committed
    ASSERT_EQ(first.size(), 3U);
    auto rest = take(io, *consumer, 2, 20s, false);  // handed over, never committed (a crash before the store)
    ASSERT_EQ(rest.size(), 2U);
    EXPECT_EQ(committed_eventually(*consumer, "in", 0, 3), 3);
  }
  // A restarted member of the group gets exactly the uncommitted records again.
  auto again = open_consumer(io, options_for(cluster, "in"));
  auto redelivered = take(io, *again, 2, 30s);
  ASSERT_EQ(redelivered.size(), 2U);
  EXPECT_EQ(redelivered[0].offset, 3);
  EXPECT_EQ(redelivered[1].offset, 4);
  EXPECT_TRUE(take(io, *again, 1, 1s).empty()) << "a committed record came back";
}

TEST(KafkaConsumer, HoldsThenPausesWhenTheHandoffStaysFullAndResumesWithoutLoss) {
  KafkaMockCluster cluster;
  cluster.create_topic("in", 2);
  produce_n(cluster, "in", 60);
  boost::asio::io_context io;
  auto consumer = open_consumer(io, options_for(cluster, "in", 4));
  // Nobody takes records for a while: the thread must stop at the bound and pause.
  for (int i = 0; i < 400 && consumer->stats().pauses == 0; ++i) std::this_thread::sleep_for(50ms);
  EXPECT_GE(consumer->stats().holds, 1U) << "first it stops taking records";
  EXPECT_GE(consumer->stats().pauses, 1U) << "then, still full after hold_max, it pauses the partitions";
  auto records = take(io, *consumer, 60);
  ASSERT_EQ(records.size(), 60U);
  std::set<std::string> values;
  std::map<std::int32_t, std::int64_t> last;
  for (const auto& r : records) {
    values.insert(r.value);
    if (last.count(r.partition) != 0) {
      EXPECT_EQ(r.offset, last[r.partition] + 1) << "gap or reorder";
    }
    last[r.partition] = r.offset;
  }
  EXPECT_EQ(values.size(), 60U);  // none lost, none twice
}

TEST(KafkaConsumer, ASecondMemberJoiningLosesNothing) {
  KafkaMockCluster cluster;
  cluster.create_topic("in", 4);
  produce_n(cluster, "in", 40);
  boost::asio::io_context io;
  auto a = open_consumer(io, options_for(cluster, "in"));
  std::set<std::string> seen;
  for (const auto& r : take(io, *a, 10)) seen.insert(r.value);
  ASSERT_EQ(seen.size(), 10U);
  auto b = open_consumer(io, options_for(cluster, "in"));
  produce_n(cluster, "in", 40, 40);
  // Both members read until everything was seen at least once; a record in flight during the
  // rebalance may come twice (at-least-once), never zero times.
  const auto deadline = std::chrono::steady_clock::now() + 40s;
  while (seen.size() < 80 && std::chrono::steady_clock::now() < deadline) {
    for (const auto& r : take(io, *a, 5, 200ms)) seen.insert(r.value);
    for (const auto& r : take(io, *b, 5, 200ms)) seen.insert(r.value);
  }
  EXPECT_EQ(seen.size(), 80U);
  EXPECT_GE(a->stats().rebalances, 2U);  // assigned, revoked (and assigned again)
  EXPECT_GE(b->stats().rebalances, 1U);
}

TEST(KafkaConsumer, KeepsConsumingAcrossFetchErrorsAndABrokerOutage) {
  KafkaMockCluster cluster;
  cluster.create_topic("in", 1);
  produce_n(cluster, "in", 5);
  boost::asio::io_context io;
  auto consumer = open_consumer(io, options_for(cluster, "in"));
  ASSERT_EQ(take(io, *consumer, 5).size(), 5U);
  constexpr std::int16_t kFetch = 1;
  cluster.fail_requests(kFetch, 3, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION);
  produce_n(cluster, "in", 5, 5);
  auto more = take(io, *consumer, 5);
  ASSERT_EQ(more.size(), 5U);
  EXPECT_EQ(more.front().offset, 5);
  cluster.broker_down(1);
  std::this_thread::sleep_for(500ms);
  cluster.broker_up(1);
  produce_n(cluster, "in", 5, 10);
  auto after = take(io, *consumer, 5, 30s);
  ASSERT_EQ(after.size(), 5U);
  EXPECT_EQ(after.back().offset, 14);
  EXPECT_EQ(committed_eventually(*consumer, "in", 0, 15), 15);
}

TEST(KafkaConsumer, RefusesAnIncompleteConfiguration) {
  boost::asio::io_context io;
  KafkaConsumerOptions o;
  o.brokers = "127.0.0.1:1";
  o.topics = {"t"};
  auto opened = KafkaConsumer::open(io.get_executor(), o);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, Errc::invalid);
  o.group_id = "g";
  o.properties = {{"no.such.property", "1"}};
  opened = KafkaConsumer::open(io.get_executor(), o);
  ASSERT_FALSE(opened);
  EXPECT_NE(opened.error().message.find("no.such.property"), std::string::npos);
}

}  // namespace
}  // namespace agentrt::kafka
