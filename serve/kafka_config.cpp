#include "serve/kafka_config.hpp"

#include <set>

namespace agentrt::serve {
namespace {

constexpr long long kMaxHandoff = 1'000'000;

// Kafka topic names: 1..249 of [A-Za-z0-9._-].
bool valid_topic(const std::string& topic) {
  if (topic.empty() || topic.size() > 249) return false;
  for (const char c : topic) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

void read_route(const nlohmann::json& item, const std::string& path, Diagnostics& diag, KafkaConfig& kafka) {
  if (!item.is_object()) {
    diag.error(path, "expected a mapping with topic, org, session_from, signal");
    return;
  }
  ObjectReader r(item, path, diag, {"topic", "org", "bot", "session_from", "signal"});
  KafkaRoute route;
  route.topic = r.string("topic", Need::required, "a Kafka topic name").value_or("");
  route.org = r.string("org", Need::required, "the org whose sessions the records address").value_or("");
  route.bot = r.string("bot", Need::optional, "a bot name").value_or("");
  route.session_from = r.string("session_from", Need::optional, "key or header:<name>").value_or("key");
  route.signal = r.string("signal", Need::required, "the signal name the session sees").value_or("");
  kafka.routes.push_back(std::move(route));
}

}  // namespace

void read_kafka(const ObjectReader& top, KafkaConfig& kafka) {
  const auto* mapping = top.mapping("kafka", Need::optional, "a mapping with brokers, group_id, routes");
  if (mapping == nullptr) return;
  ObjectReader r(*mapping, "kafka", top.diag(),
                 {"brokers", "group_id", "dead_letter_topic", "lifecycle_topic", "handoff_max", "routes"});
  kafka.brokers = r.string("brokers", Need::optional, "host:port[,host:port...]").value_or(kafka.brokers);
  kafka.group_id = r.string("group_id", Need::optional, "a consumer group id").value_or(kafka.group_id);
  kafka.dead_letter_topic = r.string("dead_letter_topic", Need::optional, "a Kafka topic name").value_or(kafka.dead_letter_topic);
  kafka.lifecycle_topic = r.string("lifecycle_topic", Need::optional, "a Kafka topic name").value_or(kafka.lifecycle_topic);
  if (auto max = r.integer("handoff_max", Need::optional, 2, kMaxHandoff, "an integer from 2 to 1000000")) {
    kafka.handoff_max = static_cast<std::size_t>(*max);
  }
  if (const auto* routes = r.list("routes", Need::optional, "a list of {topic, org, session_from, signal}")) {
    kafka.routes.clear();
    for (std::size_t i = 0; i < routes->size(); ++i) {
      read_route((*routes)[i], "kafka.routes[" + std::to_string(i) + "]", top.diag(), kafka);
    }
  }
}

Result<void> apply_kafka_env(const EnvLookupFn& env, KafkaConfig& kafka) {
  if (auto v = env("AGENTRT_KAFKA_BROKERS")) kafka.brokers = *v;
  if (auto v = env("AGENTRT_KAFKA_GROUP_ID")) kafka.group_id = *v;
  if (auto v = env("AGENTRT_KAFKA_LIFECYCLE_TOPIC")) kafka.lifecycle_topic = *v;
  return ok_result();
}

Result<void> check_kafka(const KafkaConfig& kafka, const std::string& where) {
  const auto fail = [&](const std::string& what) { return Error{Errc::invalid, where + ": kafka." + what}; };
  if (!kafka.enabled()) {
    if (!kafka.routes.empty() || !kafka.lifecycle_topic.empty()) {
      return fail("brokers: required with routes or a lifecycle_topic (AGENTRT_KAFKA_BROKERS)");
    }
    return ok_result();
  }
  if (kafka.group_id.empty()) return fail("group_id: must not be empty");
  if (!kafka.lifecycle_topic.empty() && !valid_topic(kafka.lifecycle_topic)) {
    return fail("lifecycle_topic: expected 1 to 249 characters of [A-Za-z0-9._-]");
  }
  if (kafka.routes.empty()) return ok_result();
  if (!valid_topic(kafka.dead_letter_topic)) {
    return fail("dead_letter_topic: required with routes, 1 to 249 characters of [A-Za-z0-9._-]");
  }
  std::set<std::string> topics;
  for (std::size_t i = 0; i < kafka.routes.size(); ++i) {
    const auto& route = kafka.routes[i];
    const auto at = "routes[" + std::to_string(i) + "].";
    if (!valid_topic(route.topic)) return fail(at + "topic: expected 1 to 249 characters of [A-Za-z0-9._-]");
    if (!topics.insert(route.topic).second) return fail(at + "topic: " + route.topic + " has another route already");
    if (route.topic == kafka.dead_letter_topic) return fail(at + "topic: the dead-letter topic cannot be routed");
    if (route.org.empty()) return fail(at + "org: required");
    if (route.signal.empty() || route.signal.size() > 64) return fail(at + "signal: 1 to 64 characters");
    const bool by_header = route.session_from.rfind("header:", 0) == 0 && route.session_from.size() > 7;
    if (route.session_from != "key" && !by_header) {
      return fail(at + "session_from: expected key or header:<name>, got \"" + route.session_from + "\"");
    }
  }
  return ok_result();
}

}  // namespace agentrt::serve
