#pragma once
// The `kafka:` settings of `agentrt serve` (docs/serve.md "Kafka"). Off unless brokers are
// given (file, AGENTRT_KAFKA_BROKERS or --kafka-brokers).
//   kafka:
//     brokers: 127.0.0.1:9092            # bootstrap servers
//     group_id: agentrt                  # the consumer group of every worker (AGENTRT_KAFKA_GROUP_ID)
//     dead_letter_topic: agentrt-dlq     # required with routes: poison records go there
//     lifecycle_topic: agentrt-lifecycle # optional: session lifecycle events go there
//     handoff_max: 1000                  # records buffered before the partitions are paused
//     routes:
//       - {topic: tickets, org: acme, bot: helpdesk, session_from: key, signal: ticket_updated}
//       - {topic: approvals, org: acme, session_from: "header:session", signal: approval}
// A route turns a record of its topic into the signal `signal` of the session named by the
// record's key or header; the session must belong to `org` (and to `bot` when given).

#include <cstddef>
#include <string>
#include <vector>

#include "core/definition/object_reader.hpp"
#include "core/model/error.hpp"
#include "serve/tracing_config.hpp"

namespace agentrt::serve {

struct KafkaRoute {
  std::string topic;
  std::string org;                   // the org whose sessions this topic addresses (required)
  std::string bot;                   // empty: any bot of the org
  std::string session_from = "key";  // "key" or "header:<name>"
  std::string signal;                // the signal name the session sees (required)
};

struct KafkaConfig {
  std::string brokers;  // empty: Kafka off
  std::string group_id = "agentrt";
  std::string dead_letter_topic;
  std::string lifecycle_topic;  // empty: no lifecycle events
  std::size_t handoff_max = 1000;
  std::vector<KafkaRoute> routes;

  [[nodiscard]] bool enabled() const { return !brokers.empty(); }
};

// The `kafka:` mapping of the config file (errors go to the reader's diagnostics).
void read_kafka(const ObjectReader& top, KafkaConfig& kafka);
// AGENTRT_KAFKA_BROKERS, AGENTRT_KAFKA_GROUP_ID, AGENTRT_KAFKA_LIFECYCLE_TOPIC.
Result<void> apply_kafka_env(const EnvLookupFn& env, KafkaConfig& kafka);
// Routes need brokers and a dead-letter topic; one route per topic; names valid.
Result<void> check_kafka(const KafkaConfig& kafka, const std::string& where);

}  // namespace agentrt::serve
