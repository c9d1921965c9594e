#pragma once
// Plumbing shared by the Kafka consumer and producer: owning handles for librdkafka's C
// objects, a configuration built from key/value properties, and header conversion.
// Private to backends/kafka (the public surface is kafka_consumer.hpp and kafka_producer.hpp).

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <librdkafka/rdkafka.h>

#include "core/model/error.hpp"
#include "core/ports/event_bus.hpp"

namespace agentrt::kafka {

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
  void operator()(rd_kafka_topic_partition_list_t* list) const { rd_kafka_topic_partition_list_destroy(list); }
  void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
  void operator()(rd_kafka_headers_t* headers) const { rd_kafka_headers_destroy(headers); }
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaDeleter>;
using KafkaConf = std::unique_ptr<rd_kafka_conf_t, KafkaDeleter>;
using KafkaPartitions = std::unique_ptr<rd_kafka_topic_partition_list_t, KafkaDeleter>;
using KafkaMessage = std::unique_ptr<rd_kafka_message_t, KafkaDeleter>;
using KafkaHeaders = std::unique_ptr<rd_kafka_headers_t, KafkaDeleter>;

// A configuration with every property set; invalid names it (never the value: it may be a
// password) with librdkafka's reason.
Result<KafkaConf> make_conf(const std::map<std::string, std::string>& properties);

// Creates the client; invalid when librdkafka refuses the configuration. Takes the conf.
Result<KafkaHandle> make_client(rd_kafka_type_t type, KafkaConf conf);

// librdkafka's error as an Error: transport and broker-availability errors are retryable,
// a full local queue throttled, the rest fatal.
Error kafka_error(rd_kafka_resp_err_t err, const std::string& what);

// One message, copied by librdkafka (produceva: the varargs macros use C casts). key null:
// no key; partition -1: by key. On success librdkafka owns `headers`.
struct ProduceArgs {
  const std::string* topic = nullptr;
  std::int32_t partition = -1;
  const std::string* key = nullptr;
  const std::string* value = nullptr;
  rd_kafka_headers_t* headers = nullptr;
  void* opaque = nullptr;
};
rd_kafka_resp_err_t produce_copy(rd_kafka_t* rk, const ProduceArgs& args);

BusHeaders headers_of(const rd_kafka_message_t& message);
KafkaHeaders make_headers(const BusHeaders& headers);

}  // namespace agentrt::kafka
