#pragma once
// Kafka routing: which session signal a record becomes (docs/serve.md "Kafka").
//
// The route of the record's topic names the org (and optionally the bot) and the signal; the
// session id comes from the record's key or a header. The value is the signal's payload: JSON
// (at most kMaxKafkaPayload bytes), or empty for none. The model sees
// "[signal NAME] PAYLOAD", as for POST /v1/sessions/{id}/signals. The inbox message id is
// kafka:<topic>:<partition>:<offset>, so a redelivered record is a duplicate in the store.
// A record that cannot become a signal is a dead letter with a reason:
//   unroutable        no route for its topic
//   no_session        the key or header is missing, empty or not a valid id
//   too_large         the value is over kMaxKafkaPayload bytes
//   bad_payload       the value is not JSON
//   unknown_session   no such session in the route's org (or of another bot)   [consumer]
//   session_finished  the session is completed, failed or cancelled            [consumer]

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "core/model/ids.hpp"
#include "core/model/session.hpp"
#include "core/ports/event_bus.hpp"
#include "serve/kafka_config.hpp"

namespace agentrt::serve {

inline constexpr std::size_t kMaxKafkaPayload = 32 * 1024;  // as the HTTP signal route

struct RoutedSignal {
  const KafkaRoute* route = nullptr;
  SessionId session;
  InboxMessage message;
  std::string traceparent;  // the record's traceparent header; may be empty
};

struct DeadLetter {
  std::string reason;  // one of the words above
  std::string detail;  // for people: never the record's value
};

using RoutedRecord = std::variant<RoutedSignal, DeadLetter>;

RoutedRecord route_record(const std::vector<KafkaRoute>& routes, const BusRecord& record, std::int64_t now_ms);

std::string kafka_message_id(const BusRecord& record);

// The record as it goes to the dead-letter topic: same key, value and headers, plus
// agentrt-dlq-reason, agentrt-dlq-detail and agentrt-dlq-source (topic:partition:offset).
BusMessage dead_letter_message(const BusRecord& record, const DeadLetter& why, const std::string& topic);

}  // namespace agentrt::serve
