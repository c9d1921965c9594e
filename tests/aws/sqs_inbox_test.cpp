// The SQS inbox against fauxqs (started by tests/aws/with_aws_peers.sh): SqsInboxClient's
// send/receive/ack/extend on a FIFO queue, and SqsInboxConsumer moving messages into a
// memory SessionStore exactly once, leaving failed ones for redelivery and malformed ones
// for the dead-letter queue. Without AGENTRT_TEST_SQS_ENDPOINT every test FAILS.

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "backends/aws/aws_credential_sources.hpp"
#include "backends/aws/aws_json_client.hpp"
#include "backends/aws/sqs_inbox_client.hpp"
#include "backends/http/testing/run_coroutine.hpp"
#include "backends/memory/memory_session_store.hpp"
#include "serve/sqs_inbox_consumer.hpp"
#include "tests/aws/unique_name.hpp"

namespace agentrt {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

using testing::unique_name;

class SqsInbox : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* endpoint = std::getenv("AGENTRT_TEST_SQS_ENDPOINT");
    if (endpoint == nullptr || *endpoint == '\0') {
      FAIL() << "AGENTRT_TEST_SQS_ENDPOINT is not set: run this test through tests/aws/with_aws_peers.sh";
    }
    AwsSettings settings;
    settings.region = "us-east-1";
    settings.service_endpoints = {{"sqs", endpoint}};
    AwsJsonClientOptions options;
    options.retry.attempts = 3;
    options.retry.base_delay = 10ms;
    options.retry.max_delay = 50ms;
    client_ = std::make_unique<AwsJsonClient>(http_, *credentials_, settings, options);
  }

  template <class T>
  T run(boost::asio::awaitable<T> op) {
    return testing::run_coroutine(ioc_, std::move(op));
  }

  AwsCallResult sqs(const std::string& operation, json body) {
    return run(client_->call("sqs", "AmazonSQS." + operation, std::move(body)));
  }

  // A FIFO queue; with `max_receive_count`, a dead-letter queue and its RedrivePolicy too.
  std::string create_queue(int max_receive_count = 0, std::string* dlq_url = nullptr) {
    json attributes = {{"FifoQueue", "true"}};
    if (max_receive_count > 0) {
      const auto dlq = sqs("CreateQueue", {{"QueueName", unique_name("dlq") + ".fifo"},
                                           {"Attributes", {{"FifoQueue", "true"}}}});
      EXPECT_TRUE(dlq.ok()) << dlq.error().message;
      *dlq_url = dlq.value().value("QueueUrl", "");
      const auto arn = sqs("GetQueueAttributes", {{"QueueUrl", *dlq_url}, {"AttributeNames", json::array({"QueueArn"})}});
      EXPECT_TRUE(arn.ok()) << arn.error().message;
      const json policy = {{"deadLetterTargetArn", arn.value()["Attributes"].value("QueueArn", "")},
                           {"maxReceiveCount", max_receive_count}};
      attributes["RedrivePolicy"] = policy.dump();
    }
    const auto created = sqs("CreateQueue", {{"QueueName", unique_name("inbox") + ".fifo"}, {"Attributes", attributes}});
    EXPECT_TRUE(created.ok()) << created.error().message;
    return created.value().value("QueueUrl", "");
  }

  void create_session(const std::string& id) {
    SessionRecord r;
    r.id = SessionId{id};
    r.org = OrgId{"org-1"};
    r.bot = BotId{"bot-1"};
    r.definition_hash = "hash-bot-1";
    r.status = SessionStatus::idle;
    Event started;
    started.seq = EventSeq{1};
    started.type = EventType::SessionStarted;
    started.data = json::object();
    const json definition = {{"name", "bot-1"}, {"version", 1}};
    auto created = run(store_.create_session(r, definition, {started}));
    ASSERT_TRUE(created.ok()) << created.error().to_string();
  }

  std::vector<InboxMessage> pending(const std::string& id) {
    auto messages = run(store_.pending_messages(SessionId{id}, 100));
    EXPECT_TRUE(messages.ok()) << messages.error().to_string();
    return messages.ok() ? *messages : std::vector<InboxMessage>{};
  }

  serve::SqsInboxConsumerOptions consumer_options() {
    serve::SqsInboxConsumerOptions options;
    options.wait = 1s;
    options.visibility = 1s;
    return options;
  }

  boost::asio::io_context ioc_;
  CurlClient http_{ioc_.get_executor()};
  std::unique_ptr<AwsCredentialsProvider> credentials_ =
      make_static_credentials(AwsCredentials{"AKIDLOCAL", "local-secret", "", std::nullopt, "test"});
  std::unique_ptr<AwsJsonClient> client_;
  MemorySessionStore store_;
};

TEST_F(SqsInbox, SendCarriesGroupDedupIdsAndTraceparentAndARepeatIsDeduplicated) {
  SqsInboxClient queue(*client_, create_queue());
  const std::string traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  ASSERT_TRUE(run(queue.send(SessionId{"s-1"}, InboxMessage{MessageId{"m-1"}, "hello", 5}, traceparent)).ok());
  ASSERT_TRUE(run(queue.send(SessionId{"s-1"}, InboxMessage{MessageId{"m-1"}, "hello", 5}, traceparent)).ok());

  const auto raw = sqs("ReceiveMessage", {{"QueueUrl", queue.queue_url()},
                                          {"MaxNumberOfMessages", 10},
                                          {"VisibilityTimeout", 0},
                                          {"AttributeNames", json::array({"All"})}});
  ASSERT_TRUE(raw.ok()) << raw.error().message;
  ASSERT_EQ(raw.value()["Messages"].size(), 1u) << "the repeat was deduplicated";
  const auto& attributes = raw.value()["Messages"][0]["Attributes"];
  EXPECT_EQ(attributes.value("MessageGroupId", ""), "s-1");
  EXPECT_EQ(attributes.value("MessageDeduplicationId", ""), "m-1");

  auto received = run(queue.receive(1s, 5s));
  ASSERT_TRUE(received.ok()) << received.error().to_string();
  ASSERT_EQ(received->size(), 1u);
  const auto& m = received->front();
  EXPECT_TRUE(m.malformed.empty()) << m.malformed;
  EXPECT_EQ(m.session.str(), "s-1");
  EXPECT_EQ(m.message.id.str(), "m-1");
  EXPECT_EQ(m.message.text, "hello");
  EXPECT_EQ(m.message.enqueued_ms, 5);
  EXPECT_EQ(m.traceparent, traceparent);
  EXPECT_GE(m.receive_count, 1);
  EXPECT_TRUE(run(queue.extend(m.receipt, 10s)).ok());
  EXPECT_TRUE(run(queue.ack(m.receipt)).ok());
  auto empty = run(queue.receive(0s, 5s));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST_F(SqsInbox, AMessageThatSqsCannotCarryIsRefusedBeforeSending) {
  SqsInboxClient queue(*client_, create_queue());
  auto refused = run(queue.send(SessionId{"s-1"}, InboxMessage{MessageId{"has space"}, "x", 0}, ""));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::invalid);
}

TEST_F(SqsInbox, TheConsumerMovesEachMessageIntoTheStoreExactlyOnceAndDeletesIt) {
  create_session("s-1");
  SqsInboxClient queue(*client_, create_queue());
  std::vector<std::string> woken;
  serve::SqsInboxConsumer consumer(queue, store_, [&](const SessionId& s) { woken.push_back(s.str()); },
                                   consumer_options());
  ASSERT_TRUE(run(queue.send(SessionId{"s-1"}, InboxMessage{MessageId{"m-1"}, "one", 1}, "")).ok());
  ASSERT_TRUE(run(queue.send(SessionId{"s-1"}, InboxMessage{MessageId{"m-2"}, "two", 2}, "")).ok());
  // A FIFO queue may hand out one message of a group at a time (fauxqs does): the next one
  // comes once the first is deleted.
  std::size_t received = 0;
  for (int round = 0; round < 5 && received < 2; ++round) {
    auto polled = run(consumer.poll_once());
    ASSERT_TRUE(polled.ok()) << polled.error().to_string();
    received += *polled;
  }
  EXPECT_EQ(received, 2u);

  const auto pending_now = pending("s-1");
  ASSERT_EQ(pending_now.size(), 2u);
  EXPECT_EQ(pending_now[0].id.str(), "m-1");
  EXPECT_EQ(pending_now[1].id.str(), "m-2");
  EXPECT_EQ(pending_now[1].text, "two");
  EXPECT_EQ(woken, (std::vector<std::string>{"s-1", "s-1"}));
  EXPECT_EQ(consumer.stats().moved, 2u);

  std::this_thread::sleep_for(1500ms);  // past the visibility timeout: nothing comes back
  auto again = run(consumer.poll_once());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0u) << "moved messages were deleted";
  EXPECT_EQ(pending("s-1").size(), 2u);
}

// A store slower than the visibility timeout (1 s here): a timer keeps extending the message
// while it is handled, so SQS does not hand it out again meanwhile; the counters reach /metrics.
TEST_F(SqsInbox, AMessageHandledLongerThanItsVisibilityTimeoutIsExtendedOnATimer) {
  create_session("s-1");
  SqsInboxClient queue(*client_, create_queue());
  serve::ServeMetrics metrics;
  serve::SqsInboxConsumer consumer(queue, store_, nullptr, consumer_options(), &metrics);
  ASSERT_TRUE(run(queue.send(SessionId{"s-1"}, InboxMessage{MessageId{"m-1"}, "one", 1}, "")).ok());
  store_.delay_next_enqueues(1, 3500ms);
  // While the consumer waits on the store, another receiver looks at 2 s and at 3 s.
  std::vector<std::size_t> seen_by_other;
  auto other = [&]() -> boost::asio::awaitable<std::optional<int>> {
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
    for (int i = 0; i < 2; ++i) {
      timer.expires_after(i == 0 ? 2000ms : 1000ms);
      co_await timer.async_wait(boost::asio::use_awaitable);
      auto got = co_await queue.receive(0s, 1s);
      seen_by_other.push_back(got.ok() ? got->size() : 99);
    }
    co_return 0;
  };
  auto probe = boost::asio::co_spawn(ioc_, other(), boost::asio::use_future);
  auto polled = run(consumer.poll_once());
  ASSERT_TRUE(polled.ok()) << polled.error().to_string();
  EXPECT_EQ(*polled, 1u);
  testing::wait_for_future(ioc_, probe);
  EXPECT_EQ(seen_by_other, (std::vector<std::size_t>{0, 0})) << "the message stayed invisible while handled";
  EXPECT_GE(consumer.stats().extended, 5u);  // every 500 ms for 3.5 s
  EXPECT_EQ(consumer.stats().moved, 1u);
  EXPECT_EQ(consumer.stats().queue_errors, 0u);
  const auto text = metrics.scrape();
  EXPECT_NE(text.find("agentrt_sqs_inbox_messages_total{outcome=\"moved\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("agentrt_sqs_inbox_messages_total{outcome=\"received\"} 1"), std::string::npos);
  EXPECT_NE(text.find("agentrt_sqs_inbox_visibility_extensions_total"), std::string::npos);
  std::this_thread::sleep_for(1500ms);
  auto again = run(consumer.poll_once());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0u) << "deleted once stored";
}

TEST_F(SqsInbox, AMessageAlreadyInTheStoreIsAckedAsADuplicate) {
  create_session("s-1");
  ASSERT_TRUE(run(store_.enqueue(SessionId{"s-1"}, InboxMessage{MessageId{"m-1"}, "one", 1})).ok());
  SqsInboxClient queue(*client_, create_queue());
  serve::SqsInboxConsumer consumer(queue, store_, nullptr, consumer_options());
  ASSERT_TRUE(run(queue.send(SessionId{"s-1"}, InboxMessage{MessageId{"m-1"}, "one", 1}, "")).ok());
  auto polled = run(consumer.poll_once());
  ASSERT_TRUE(polled.ok());
  EXPECT_EQ(*polled, 1u);
  EXPECT_EQ(consumer.stats().duplicates, 1u);
  EXPECT_EQ(pending("s-1").size(), 1u);
  std::this_thread::sleep_for(1500ms);
  auto again = run(consumer.poll_once());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0u) << "the duplicate was deleted too";
}

TEST_F(SqsInbox, AMessageTheStoreFailedToTakeIsNotDeletedAndComesBackAfterItsVisibilityTimeout) {
  create_session("s-1");
  SqsInboxClient queue(*client_, create_queue());
  serve::SqsInboxConsumer consumer(queue, store_, nullptr, consumer_options());
  ASSERT_TRUE(run(queue.send(SessionId{"s-1"}, InboxMessage{MessageId{"m-1"}, "one", 1}, "")).ok());
  store_.fail_next_enqueues(1, Error{Errc::retryable, "database busy"});
  auto failed = run(consumer.poll_once());
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(*failed, 1u);
  EXPECT_EQ(consumer.stats().store_errors, 1u);
  EXPECT_TRUE(pending("s-1").empty());

  auto hidden = run(queue.receive(0s, 1s));  // still invisible right after the failure
  ASSERT_TRUE(hidden.ok());
  EXPECT_TRUE(hidden->empty());

  std::this_thread::sleep_for(1500ms);
  auto redelivered = run(consumer.poll_once());
  ASSERT_TRUE(redelivered.ok()) << redelivered.error().to_string();
  EXPECT_EQ(*redelivered, 1u);
  EXPECT_EQ(consumer.stats().moved, 1u);
  ASSERT_EQ(pending("s-1").size(), 1u);
  EXPECT_EQ(pending("s-1")[0].id.str(), "m-1");
}

TEST_F(SqsInbox, MalformedBodiesAndUnknownSessionsEndInTheDeadLetterQueue) {
  std::string dlq_url;
  SqsInboxClient queue(*client_, create_queue(2, &dlq_url));
  serve::SqsInboxConsumer consumer(queue, store_, nullptr, consumer_options());
  ASSERT_TRUE(sqs("SendMessage", {{"QueueUrl", queue.queue_url()},
                                  {"MessageBody", "not json"},
                                  {"MessageGroupId", "g"},
                                  {"MessageDeduplicationId", "bad-1"}})
                  .ok());
  ASSERT_TRUE(run(queue.send(SessionId{"s-unknown"}, InboxMessage{MessageId{"m-1"}, "secret text", 1}, "")).ok());

  std::size_t received = 0;
  for (int round = 0; round < 6 && received < 4; ++round) {
    auto polled = run(consumer.poll_once());
    ASSERT_TRUE(polled.ok()) << polled.error().to_string();
    received += *polled;
    std::this_thread::sleep_for(1200ms);
  }
  EXPECT_EQ(received, 4u) << "each was received maxReceiveCount (2) times";
  EXPECT_EQ(consumer.stats().malformed, 4u);
  EXPECT_EQ(consumer.stats().moved, 0u);

  auto after = run(consumer.poll_once());  // a third receive moves them to the DLQ
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, 0u);
  const auto dead = sqs("ReceiveMessage", {{"QueueUrl", dlq_url}, {"MaxNumberOfMessages", 10}, {"WaitTimeSeconds", 1}});
  ASSERT_TRUE(dead.ok()) << dead.error().message;
  ASSERT_TRUE(dead.value().contains("Messages"));
  EXPECT_EQ(dead.value()["Messages"].size(), 2u);
}

TEST_F(SqsInbox, AnUnreachableQueueIsAnErrorTheConsumerCountsAndSurvives) {
  AwsSettings settings;
  settings.region = "us-east-1";
  settings.service_endpoints = {{"sqs", "http://127.0.0.1:1"}};
  AwsJsonClientOptions options;
  options.retry.attempts = 2;
  options.retry.base_delay = 1ms;
  options.retry.max_delay = 2ms;
  AwsJsonClient down(http_, *credentials_, settings, options);
  SqsInboxClient unreachable(down, "http://127.0.0.1:1/000000000000/nope.fifo");
  serve::SqsInboxConsumer consumer(unreachable, store_, nullptr, consumer_options());
  auto polled = run(consumer.poll_once());
  ASSERT_FALSE(polled.ok());
  EXPECT_TRUE(polled.error().retryable()) << polled.error().to_string();
  EXPECT_EQ(consumer.stats().queue_errors, 1u);
}

}  // namespace
}  // namespace agentrt
