// LifecycleEvents: which durable events become lifecycle events, their JSON, key and
// traceparent header; a refused publish is counted as dropped, never waited on.
#include "serve/lifecycle_events.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "core/decider/session_state.hpp"

namespace agentrt::serve {
namespace {

using json = nlohmann::json;

class RecordingProducer final : public EventBusProducer {
 public:
  bool publish(BusMessage message) override {
    if (full) return false;
    sent.push_back(std::move(message));
    return true;
  }
  boost::asio::awaitable<Result<void>> deliver(BusMessage message) override {
    sent.push_back(std::move(message));
    co_return ok_result();
  }
  std::vector<BusMessage> sent;
  bool full = false;
};

std::string header(const BusMessage& m, const std::string& name) {
  for (const auto& [key, value] : m.headers) {
    if (key == name) return value;
  }
  return "";
}

TEST(LifecycleEvents, PublishesCreatedTurnWaitingFailedAndCompletedKeyedBySession) {
  RecordingProducer producer;
  LifecycleEvents events(producer, "life");
  SessionRecord record;
  record.id = SessionId{"s-1"};
  record.org = OrgId{"acme"};
  record.bot = BotId{"helpdesk"};
  record.last_seq = EventSeq{1};
  record.created_ms = 1000;
  events.session_created(record, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  auto observer = events.observer(SessionId{"s-1"}, "acme", "helpdesk");
  SessionState state;
  state.traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  observer->on_state(SessionId{"s-1"}, state);
  observer->on_event(SessionId{"s-1"}, Event{EventSeq{2}, EventType::MessageReceived, 1100, json::object()});
  observer->on_event(SessionId{"s-1"}, Event{EventSeq{5}, EventType::TurnCompleted, 1200, json{{"turn", 1}}});
  observer->on_event(SessionId{"s-1"}, Event{EventSeq{6}, EventType::InputRequested, 1300,
                                             json{{"call_id", "c1"}, {"kind", "approval"}, {"prompt", "ok?"}}});
  observer->on_event(SessionId{"s-1"}, Event{EventSeq{7}, EventType::SessionFailed, 1400, json{{"reason", "budget"}}});
  observer->on_event(SessionId{"s-1"}, Event{EventSeq{8}, EventType::SessionCompleted, 1500, json::object()});
  ASSERT_EQ(producer.sent.size(), 5U);
  std::vector<std::string> types;
  for (const auto& m : producer.sent) {
    EXPECT_EQ(m.topic, "life");
    EXPECT_EQ(m.key, "s-1");
    EXPECT_EQ(header(m, "traceparent"), "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    types.push_back(json::parse(m.value)["type"]);
  }
  EXPECT_EQ(types, (std::vector<std::string>{"session.created", "session.turn_completed", "session.waiting",
                                             "session.failed", "session.completed"}));
  const auto created = json::parse(producer.sent[0].value);
  EXPECT_EQ(created["org"], "acme");
  EXPECT_EQ(created["bot"], "helpdesk");
  EXPECT_EQ(created["seq"], 1);
  EXPECT_EQ(json::parse(producer.sent[1].value)["turn"], 1);
  EXPECT_EQ(json::parse(producer.sent[2].value)["call_id"], "c1");
  EXPECT_EQ(json::parse(producer.sent[2].value)["kind"], "approval");
  EXPECT_EQ(json::parse(producer.sent[3].value)["reason"], "budget");
  EXPECT_EQ(json::parse(producer.sent[4].value)["seq"], 8);
  EXPECT_EQ(events.published(), 5U);
}

TEST(LifecycleEvents, AFullQueueIsCountedAsDroppedAndNothingWaits) {
  RecordingProducer producer;
  producer.full = true;
  ServeMetrics metrics;
  LifecycleEvents events(producer, "life", &metrics);
  auto observer = events.observer(SessionId{"s-1"}, "acme", "b");
  observer->on_event(SessionId{"s-1"}, Event{EventSeq{3}, EventType::SessionCompleted, 1, json::object()});
  EXPECT_EQ(events.dropped(), 1U);
  EXPECT_EQ(events.published(), 0U);
  EXPECT_NE(metrics.scrape().find(R"(agentrt_kafka_lifecycle_events_total{outcome="dropped"} 1)"), std::string::npos);
  // Without a traceparent (a session started without one) there is no header.
  producer.full = false;
  observer->on_event(SessionId{"s-1"}, Event{EventSeq{4}, EventType::SessionCompleted, 1, json::object()});
  ASSERT_EQ(producer.sent.size(), 1U);
  EXPECT_EQ(header(producer.sent[0], "traceparent"), "");
}

}  // namespace
}  // namespace agentrt::serve
