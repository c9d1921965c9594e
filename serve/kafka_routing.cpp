#include "serve/kafka_routing.hpp"

#include <nlohmann/json.hpp>

#include "serve/api_support.hpp"

namespace agentrt::serve {
namespace {

const std::string* header(const BusRecord& record, std::string_view name) {
  for (const auto& [key, value] : record.headers) {
    if (key == name) return &value;
  }
  return nullptr;
}

}  // namespace

std::string kafka_message_id(const BusRecord& record) {
  return "kafka:" + record.topic + ":" + std::to_string(record.partition) + ":" + std::to_string(record.offset);
}

RoutedRecord route_record(const std::vector<KafkaRoute>& routes, const BusRecord& record, std::int64_t now_ms) {
  const KafkaRoute* route = nullptr;
  for (const auto& r : routes) {
    if (r.topic == record.topic) route = &r;
  }
  if (route == nullptr) return DeadLetter{"unroutable", "no route for topic " + record.topic};
  std::string session;
  if (route->session_from == "key") {
    if (!record.key) return DeadLetter{"no_session", "the record has no key"};
    session = *record.key;
  } else {
    const auto name = route->session_from.substr(7);  // after "header:"
    const auto* value = header(record, name);
    if (value == nullptr) return DeadLetter{"no_session", "the record has no header " + name};
    session = *value;
  }
  if (auto problem = client_id_problem(session)) return DeadLetter{"no_session", "session id " + *problem};
  if (record.value.size() > kMaxKafkaPayload) {
    return DeadLetter{"too_large", std::to_string(record.value.size()) + " bytes, more than " +
                                       std::to_string(kMaxKafkaPayload)};
  }
  std::string text = "[signal " + route->signal + "]";
  if (!record.value.empty()) {
    auto payload = nlohmann::json::parse(record.value, nullptr, false);
    if (payload.is_discarded()) return DeadLetter{"bad_payload", "the value is not JSON"};
    text += " " + payload.dump();
  }
  RoutedSignal out;
  out.route = route;
  out.session = SessionId{session};
  out.message = InboxMessage{MessageId{kafka_message_id(record)}, std::move(text), now_ms};
  if (const auto* tp = header(record, "traceparent")) out.traceparent = *tp;
  return out;
}

BusMessage dead_letter_message(const BusRecord& record, const DeadLetter& why, const std::string& topic) {
  BusMessage m{topic, record.key.value_or(""), record.value, record.headers};
  m.headers.emplace_back("agentrt-dlq-reason", why.reason);
  m.headers.emplace_back("agentrt-dlq-detail", why.detail);
  m.headers.emplace_back("agentrt-dlq-source", record.topic + ":" + std::to_string(record.partition) + ":" +
                                                   std::to_string(record.offset));
  return m;
}

}  // namespace agentrt::serve
