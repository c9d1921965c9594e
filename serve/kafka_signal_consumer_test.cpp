// KafkaSignalConsumer with the real Kafka adapters on librdkafka's mock cluster and a memory
// store: records become session signals once each (also across a redelivery), offsets are
// committed only after the enqueue returned, poison records go to the dead-letter topic with
// their reason without blocking their partition, store failures are retried, and a slow store
// makes the bus pause and resume without loss.
#include "serve/kafka_signal_consumer.hpp"

#include <chrono>
#include <future>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <librdkafka/rdkafka.h>

#include "backends/http/testing/run_coroutine.hpp"
#include "backends/kafka/kafka_consumer.hpp"
#include "backends/kafka/kafka_producer.hpp"
#include "backends/kafka/testing/kafka_mock_cluster.hpp"
#include "backends/memory/memory_session_store.hpp"
#include "core/ports/conformance/session_store_fixture.hpp"
#include "serve/testing/slow_enqueue_store.hpp"

namespace agentrt::serve {
namespace {

using namespace std::chrono_literals;
using agentrt::kafka::KafkaConsumer;
using agentrt::kafka::KafkaProducer;
using agentrt::kafka::testing::KafkaMockCluster;

class FixedClock final : public Clock {
 public:
  std::int64_t wall_ms() const override { return 1'700'000'000'000; }
  std::chrono::steady_clock::time_point monotonic() const override { return std::chrono::steady_clock::now(); }
};

KafkaConfig routes_config() {
  KafkaConfig c;
  c.brokers = "unused";
  c.dead_letter_topic = "dlq";
  c.routes = {KafkaRoute{"tickets", "acme", "helpdesk", "key", "ticket_updated"},
              KafkaRoute{"approvals", "acme", "", "header:session", "approval"}};
  return c;
}

class KafkaSignalConsumerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster.create_topic("tickets", 2);
    cluster.create_topic("approvals", 1);
    cluster.create_topic("dlq", 1);
    create("s-1", "acme", "helpdesk");
    create("s-2", "acme", "other-bot");
    create("s-3", "globex", "helpdesk");
    create("s-done", "acme", "helpdesk", SessionStatus::completed);
    kafka::KafkaProducerOptions p{cluster.bootstraps()};
    p.properties = {{"log_level", "0"}};
    producer = std::move(KafkaProducer::open(p)).value();
  }

  void create(const std::string& id, const std::string& org, const std::string& bot,
              SessionStatus status = SessionStatus::idle) {
    SessionRecord r;
    r.id = SessionId{id};
    r.org = OrgId{org};
    r.bot = BotId{bot};
    r.definition_hash = "h";
    r.status = status;
    std::vector<Event> first{Event{EventSeq{1}, EventType::SessionStarted, 1'000, nlohmann::json::object()}};
    auto created = conformance::run_awaitable(memory->create_session(r, nlohmann::json{{"name", bot}}, first));
    ASSERT_TRUE(created) << created.error().to_string();
  }

  std::unique_ptr<KafkaConsumer> open_bus(std::size_t handoff_max = 1000) {
    kafka::KafkaConsumerOptions o;
    o.brokers = cluster.bootstraps();
    o.group_id = "agentrt";
    o.topics = {"tickets", "approvals"};
    o.handoff_max = handoff_max;
    o.commit_interval = 20ms;
    // The mock coordinator waits out a departed member's session: keep it short.
    o.properties = {{"log_level", "0"}, {"heartbeat.interval.ms", "200"}, {"session.timeout.ms", "6000"}};
    return std::move(KafkaConsumer::open(io.get_executor(), o)).value();
  }

  KafkaSignalConsumer consumer_for(EventBusConsumer& bus, SessionStore& store) {
    KafkaSignalConsumerOptions options;
    options.wait = 100ms;
    options.backoff_min = 10ms;
    return KafkaSignalConsumer(KafkaSignalPorts{&bus, producer.get(), &store, &clock, nullptr}, routes_config(),
                               [this](const SessionId& s) { woken.insert(s.str()); }, options);
  }

  // Handles records until `n` were committed or `timeout` passed.
  void handle(KafkaSignalConsumer& consumer, std::uint64_t n, std::chrono::milliseconds timeout = 20s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (consumer.stats().records < n && std::chrono::steady_clock::now() < deadline) {
      auto polled = agentrt::testing::run_coroutine(io, consumer.poll_once());
      ASSERT_TRUE(polled) << polled.error().to_string();
    }
  }

  std::vector<InboxMessage> pending(const std::string& session) {
    auto p = conformance::run_awaitable(memory->pending_messages(SessionId{session}, 1000));
    if (!p) throw std::runtime_error(p.error().to_string());
    return std::move(p).value();
  }

  void produce(const std::string& topic, std::optional<std::string> key, const std::string& value,
               BusHeaders headers = {}) {
    auto sent = cluster.produce(topic, std::move(key), value, std::move(headers));
    ASSERT_TRUE(sent) << sent.error().to_string();
  }

  KafkaMockCluster cluster;
  boost::asio::io_context io;
  std::unique_ptr<MemorySessionStore> memory = make_memory_session_store();
  FixedClock clock;
  std::unique_ptr<KafkaProducer> producer;
  std::set<std::string> woken;
};

// poll_once until it handled a record (the group join takes a while).
boost::asio::awaitable<Result<bool>> poll_until_record(KafkaSignalConsumer& consumer) {
  for (;;) {
    auto polled = co_await consumer.poll_once();
    if (!polled || *polled) co_return polled;
  }
}

// Forwards next() but never commits: a worker that crashed after the store had the records.
class NeverCommits final : public EventBusConsumer {
 public:
  explicit NeverCommits(EventBusConsumer& inner) : inner_(inner) {}
  boost::asio::awaitable<Result<std::optional<BusRecord>>> next(std::chrono::milliseconds wait) override {
    return inner_.next(wait);
  }
  void commit(const BusRecord& /*record*/) override {}

 private:
  EventBusConsumer& inner_;
};

TEST_F(KafkaSignalConsumerTest, RoutesRecordsByKeyAndHeaderIntoSessionSignals) {
  produce("tickets", "s-1", R"({"ticket":42,"status":"open"})");
  produce("approvals", std::nullopt, "", {{"session", "s-2"}, {"traceparent", "00-abc"}});
  auto bus = open_bus();
  auto consumer = consumer_for(*bus, *memory);
  handle(consumer, 2);
  auto s1 = pending("s-1");
  ASSERT_EQ(s1.size(), 1U);
  EXPECT_EQ(s1[0].text, R"([signal ticket_updated] {"status":"open","ticket":42})");
  EXPECT_EQ(s1[0].id.str().rfind("kafka:tickets:", 0), 0U) << s1[0].id.str();
  EXPECT_EQ(s1[0].enqueued_ms, clock.wall_ms());
  auto s2 = pending("s-2");  // the approvals route names no bot: any bot of acme
  ASSERT_EQ(s2.size(), 1U);
  EXPECT_EQ(s2[0].text, "[signal approval]");
  EXPECT_EQ(s2[0].id.str(), "kafka:approvals:0:0");
  EXPECT_EQ(woken, (std::set<std::string>{"s-1", "s-2"}));
  EXPECT_EQ(consumer.stats().signals, 2U);
  EXPECT_EQ(consumer.stats().dead_letters, 0U);
}

TEST_F(KafkaSignalConsumerTest, ARedeliveryAfterARestartBeforeTheCommitIsEnqueuedOnce) {
  for (int i = 0; i < 6; ++i) produce("tickets", "s-1", R"({"n":)" + std::to_string(i) + "}");
  {
    auto bus = open_bus();
    NeverCommits crashed(*bus);
    auto consumer = consumer_for(crashed, *memory);
    handle(consumer, 6);
    EXPECT_EQ(consumer.stats().signals, 6U);
  }
  ASSERT_EQ(pending("s-1").size(), 6U);
  auto bus = open_bus();  // the restarted worker: the group gets every record again
  auto consumer = consumer_for(*bus, *memory);
  handle(consumer, 6);
  EXPECT_EQ(consumer.stats().duplicates, 6U);
  EXPECT_EQ(consumer.stats().signals, 0U);
  EXPECT_EQ(pending("s-1").size(), 6U);  // effectively once
}

TEST_F(KafkaSignalConsumerTest, CommitsAnOffsetOnlyAfterTheEnqueueReturned) {
  produce("approvals", std::nullopt, R"({"ok":true})", {{"session", "s-1"}});
  auto bus = open_bus();
  testing::SlowEnqueueStore store(*memory);
  store.hold(true);
  auto consumer = consumer_for(*bus, store);
  auto polled =
      boost::asio::co_spawn(io, agentrt::testing::as_optional(poll_until_record(consumer)), boost::asio::use_future);
  // The record was handed over and the enqueue is pending: nothing may be committed.
  for (int i = 0; i < 400 && bus->stats().received == 0; ++i) io.run_for(50ms);
  ASSERT_EQ(bus->stats().received, 1U);
  const auto until = std::chrono::steady_clock::now() + 1s;
  while (std::chrono::steady_clock::now() < until) io.run_for(50ms);
  ASSERT_EQ(polled.wait_for(0s), std::future_status::timeout);
  auto committed = bus->committed("approvals", 0, 2s);
  ASSERT_TRUE(committed) << committed.error().to_string();
  EXPECT_LT(*committed, 0) << "committed before the store had the record";
  store.hold(false);
  auto done = agentrt::testing::wait_for_future(io, polled);
  ASSERT_TRUE(done && *done) << (done ? done->error().to_string() : "");
  std::int64_t offset = -1;
  for (int i = 0; i < 100 && offset != 1; ++i) {
    std::this_thread::sleep_for(50ms);
    auto c = bus->committed("approvals", 0, 2s);
    if (c) offset = *c;
  }
  EXPECT_EQ(offset, 1);
  EXPECT_EQ(pending("s-1").size(), 1U);
}

TEST_F(KafkaSignalConsumerTest, PoisonRecordsGoToTheDeadLetterTopicWithTheirReason) {
  produce("approvals", std::nullopt, "{}");                                       // no session header
  produce("approvals", std::nullopt, "not json", {{"session", "s-1"}});           // bad payload
  produce("approvals", std::nullopt, std::string(40 * 1024, 'x'), {{"session", "s-1"}});  // too large
  produce("approvals", std::nullopt, "{}", {{"session", "s-nope"}});             // unknown session
  produce("approvals", std::nullopt, "{}", {{"session", "s-3"}});                // globex's session
  produce("approvals", std::nullopt, "{}", {{"session", "s-done"}});             // finished
  produce("tickets", "s-2", "{}");                                                // another bot's session
  produce("approvals", std::nullopt, R"({"after":"poison"})", {{"session", "s-1"}});  // not blocked
  auto bus = open_bus();
  auto consumer = consumer_for(*bus, *memory);
  handle(consumer, 8);
  EXPECT_EQ(consumer.stats().dead_letters, 7U);
  EXPECT_EQ(consumer.stats().signals, 1U);
  auto s1 = pending("s-1");
  ASSERT_EQ(s1.size(), 1U);
  EXPECT_EQ(s1[0].text, R"([signal approval] {"after":"poison"})");
  auto letters = cluster.read("dlq", 7, 10s);
  ASSERT_EQ(letters.size(), 7U);
  std::multiset<std::string> reasons;
  for (const auto& letter : letters) {
    for (const auto& [name, value] : letter.headers) {
      if (name == "agentrt-dlq-reason") reasons.insert(value);
      if (name == "agentrt-dlq-source") {
        EXPECT_TRUE(value.rfind("approvals:0:", 0) == 0 || value.rfind("tickets:", 0) == 0) << value;
      }
    }
  }
  EXPECT_EQ(reasons, (std::multiset<std::string>{"no_session", "bad_payload", "too_large", "unknown_session",
                                                 "unknown_session", "session_finished", "unknown_session"}));
  for (const auto& letter : letters) {
    for (const auto& [name, value] : letter.headers) {
      if (name == "agentrt-dlq-reason" && value == "bad_payload") {
        EXPECT_EQ(letter.value, "not json");  // the record itself, for whoever repairs it
      }
    }
  }
  std::int64_t offset = -1;
  for (int i = 0; i < 100 && offset != 7; ++i) {
    std::this_thread::sleep_for(50ms);
    auto c = bus->committed("approvals", 0, 2s);
    if (c) offset = *c;
  }
  EXPECT_EQ(offset, 7);  // the poison is committed: it never blocks its partition
}

TEST_F(KafkaSignalConsumerTest, AStoreFailureIsRetriedWithoutSkippingTheRecord) {
  produce("tickets", "s-1", R"({"n":1})");
  memory->fail_next_enqueues(3, Error{Errc::retryable, "injected store outage"});
  auto bus = open_bus();
  auto consumer = consumer_for(*bus, *memory);
  handle(consumer, 1);
  EXPECT_EQ(consumer.stats().retries, 3U);
  EXPECT_EQ(consumer.stats().signals, 1U);
  EXPECT_EQ(pending("s-1").size(), 1U);
}

TEST_F(KafkaSignalConsumerTest, ASlowStoreHoldsTheBusAndLosesNothing) {
  for (int i = 0; i < 40; ++i) produce("tickets", "s-1", R"({"n":)" + std::to_string(i) + "}");
  auto bus = open_bus(4);
  testing::SlowEnqueueStore store(*memory);
  store.set_delay(20ms);
  auto consumer = consumer_for(*bus, store);
  handle(consumer, 40, 40s);
  EXPECT_GE(bus->stats().holds, 1U) << "the hand-off queue (4) filled: the bus stopped taking records";
  EXPECT_EQ(consumer.stats().signals, 40U);
  std::set<std::string> texts;
  for (const auto& m : pending("s-1")) texts.insert(m.text);
  EXPECT_EQ(texts.size(), 40U);
}

TEST_F(KafkaSignalConsumerTest, ASecondWorkerJoiningAndFailingCommitsLoseNothingAndDuplicateNothing) {
  // Both partitions of tickets carry records of s-1, so each worker gets some after the rebalance.
  const auto send = [this](int i) {
    auto sent = cluster.produce("tickets", "s-1", R"({"n":)" + std::to_string(i) + "}", {}, i % 2);
    ASSERT_TRUE(sent) << sent.error().to_string();
  };
  for (int i = 0; i < 30; ++i) send(i);
  auto a_bus = open_bus();
  auto a = consumer_for(*a_bus, *memory);
  handle(a, 10);
  // Worker b joins the group mid-stream (a rebalance), and the broker refuses the next offset
  // commits: records come again to whichever worker owns their partition, and the store's
  // deduplication keeps each one once.
  constexpr std::int16_t kOffsetCommit = 8;
  cluster.fail_requests(kOffsetCommit, 5, RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS);
  auto b_bus = open_bus();
  auto b = consumer_for(*b_bus, *memory);
  for (int i = 30; i < 60; ++i) send(i);
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (pending("s-1").size() < 60 && std::chrono::steady_clock::now() < deadline) {
    auto from_a = agentrt::testing::run_coroutine(io, a.poll_once());
    ASSERT_TRUE(from_a) << from_a.error().to_string();
    auto from_b = agentrt::testing::run_coroutine(io, b.poll_once());
    ASSERT_TRUE(from_b) << from_b.error().to_string();
  }
  std::set<std::string> texts;
  for (const auto& m : pending("s-1")) texts.insert(m.text);
  EXPECT_EQ(texts.size(), 60U);
  EXPECT_EQ(pending("s-1").size(), 60U);  // none twice
  EXPECT_EQ(a.stats().signals + b.stats().signals, 60U);
  EXPECT_GE(a_bus->stats().rebalances, 2U);
  EXPECT_GT(b.stats().records, 0U) << "the second worker got a partition";
  EXPECT_GE(a_bus->stats().commit_errors + b_bus->stats().commit_errors, 1U) << "the injected commit errors";
}

}  // namespace
}  // namespace agentrt::serve
