// The kafka: settings (file, environment, checks) and the routing of one record.
#include "serve/kafka_config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/model/scratch_dir.hpp"
#include "serve/kafka_routing.hpp"
#include "serve/serve_config.hpp"

namespace agentrt::serve {
namespace {

using ::testing::HasSubstr;

Result<void> load(const std::string& yaml, ServeConfig& config) {
  ScratchDir dir{"agentrt-kafka-config"};
  const auto file = dir.path() / "serve.yaml";
  std::ofstream(file, std::ios::binary) << yaml;
  return load_serve_config_file(file.string(), config);
}

TEST(KafkaConfig, ReadsBrokersRoutesAndTopicsFromTheFile) {
  ServeConfig config;
  auto loaded = load(R"(
kafka:
  brokers: 127.0.0.1:9092
  group_id: workers
  dead_letter_topic: agentrt-dlq
  lifecycle_topic: agentrt-lifecycle
  handoff_max: 64
  routes:
    - {topic: tickets, org: acme, bot: helpdesk, signal: ticket_updated}
    - {topic: approvals, org: acme, session_from: "header:session", signal: approval}
)",
                     config);
  ASSERT_TRUE(loaded) << loaded.error().message;
  const auto& k = config.kafka;
  EXPECT_EQ(k.brokers, "127.0.0.1:9092");
  EXPECT_EQ(k.group_id, "workers");
  EXPECT_EQ(k.handoff_max, 64U);
  ASSERT_EQ(k.routes.size(), 2U);
  EXPECT_EQ(k.routes[0].session_from, "key");
  EXPECT_EQ(k.routes[0].bot, "helpdesk");
  EXPECT_EQ(k.routes[1].session_from, "header:session");
  EXPECT_TRUE(check_kafka(k, "config").ok());
}

TEST(KafkaConfig, NamesTheProblemOfABadRoute) {
  ServeConfig config;
  auto missing = load("kafka:\n  routes:\n    - {topic: tickets, org: acme}\n", config);
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().message, HasSubstr("kafka.routes[0]"));
  EXPECT_THAT(missing.error().message, HasSubstr("signal"));

  KafkaConfig k;
  k.brokers = "b:1";
  k.routes = {KafkaRoute{"tickets", "acme", "", "key", "s"}};
  EXPECT_THAT(check_kafka(k, "serve").error().message, HasSubstr("dead_letter_topic"));
  k.dead_letter_topic = "dlq";
  k.routes[0].session_from = "cookie";
  EXPECT_THAT(check_kafka(k, "serve").error().message, HasSubstr("session_from"));
  k.routes[0].session_from = "header:";
  EXPECT_FALSE(check_kafka(k, "serve"));
  k.routes[0].session_from = "key";
  k.routes.push_back(k.routes[0]);
  EXPECT_THAT(check_kafka(k, "serve").error().message, HasSubstr("another route"));
  k.routes.pop_back();
  k.routes[0].topic = "bad topic!";
  EXPECT_FALSE(check_kafka(k, "serve"));
  KafkaConfig off;
  off.routes = k.routes;
  EXPECT_THAT(check_kafka(off, "serve").error().message, HasSubstr("brokers"));
}

TEST(KafkaConfig, TheEnvironmentSetsBrokersGroupAndLifecycleTopic) {
  KafkaConfig k;
  auto env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "AGENTRT_KAFKA_BROKERS") return "k1:9092,k2:9092";
    if (name == "AGENTRT_KAFKA_LIFECYCLE_TOPIC") return "life";
    return std::nullopt;
  };
  ASSERT_TRUE(apply_kafka_env(env, k));
  EXPECT_EQ(k.brokers, "k1:9092,k2:9092");
  EXPECT_EQ(k.group_id, "agentrt");
  EXPECT_EQ(k.lifecycle_topic, "life");
  EXPECT_TRUE(check_kafka(k, "serve").ok());
}

TEST(KafkaRouting, ARecordBecomesASignalOrADeadLetterWithItsReason) {
  const std::vector<KafkaRoute> routes{KafkaRoute{"t", "acme", "", "header:sid", "sig"}};
  BusRecord r;
  r.topic = "t";
  r.partition = 2;
  r.offset = 17;
  r.headers = {{"sid", "s-1"}, {"traceparent", "00-aa-bb-01"}};
  r.value = R"({"x": [1, 2]})";
  auto routed = route_record(routes, r, 5);
  ASSERT_TRUE(std::holds_alternative<RoutedSignal>(routed));
  const auto& signal = std::get<RoutedSignal>(routed);
  EXPECT_EQ(signal.session.str(), "s-1");
  EXPECT_EQ(signal.message.id.str(), "kafka:t:2:17");
  EXPECT_EQ(signal.message.text, R"([signal sig] {"x":[1,2]})");
  EXPECT_EQ(signal.traceparent, "00-aa-bb-01");

  auto reason = [&](const BusRecord& record) {
    auto out = route_record(routes, record, 5);
    return std::holds_alternative<DeadLetter>(out) ? std::get<DeadLetter>(out).reason : std::string("signal");
  };
  auto other = r;
  other.topic = "u";
  EXPECT_EQ(reason(other), "unroutable");
  auto no_header = r;
  no_header.headers.clear();
  EXPECT_EQ(reason(no_header), "no_session");
  auto bad_id = r;
  bad_id.headers[0].second = "s 1; drop";
  EXPECT_EQ(reason(bad_id), "no_session");
  auto big = r;
  big.value = std::string(kMaxKafkaPayload + 1, '1');
  EXPECT_EQ(reason(big), "too_large");
  auto garbage = r;
  garbage.value = "{";
  EXPECT_EQ(reason(garbage), "bad_payload");

  auto letter = dead_letter_message(garbage, DeadLetter{"bad_payload", "the value is not JSON"}, "dlq");
  EXPECT_EQ(letter.topic, "dlq");
  EXPECT_EQ(letter.value, "{");
  EXPECT_EQ(letter.headers.back(), (std::pair<std::string, std::string>{"agentrt-dlq-source", "t:2:17"}));
}

}  // namespace
}  // namespace agentrt::serve
