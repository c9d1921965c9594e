#pragma once
// KafkaMockCluster: librdkafka's in-process mock cluster (rd_kafka_mock_cluster_new) on
// 127.0.0.1 ephemeral ports, with fault injection, plus a plain client for tests: produce
// records synchronously and read a topic from the beginning without a group.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/model/error.hpp"
#include "core/ports/event_bus.hpp"

namespace agentrt::kafka::testing {

class KafkaMockCluster {
 public:
  explicit KafkaMockCluster(int brokers = 1);
  ~KafkaMockCluster();
  KafkaMockCluster(const KafkaMockCluster&) = delete;
  KafkaMockCluster& operator=(const KafkaMockCluster&) = delete;

  [[nodiscard]] std::string bootstraps() const;
  void create_topic(const std::string& topic, int partitions);
  void broker_down(std::int32_t broker);
  void broker_up(std::int32_t broker);
  // The next `count` requests of `api_key` (RD_KAFKAP_*, e.g. 1 Fetch, 8 OffsetCommit) fail
  // with `error` (an rd_kafka_resp_err_t value).
  void fail_requests(std::int16_t api_key, std::size_t count, int error);

  // Produces one record and waits for its delivery; partition -1: by key.
  Result<void> produce(const std::string& topic, std::optional<std::string> key, const std::string& value,
                       BusHeaders headers = {}, std::int32_t partition = -1);
  // Many records (key, value) at once, then one flush: for the bench.
  Result<void> produce_many(const std::string& topic, const std::vector<std::pair<std::string, std::string>>& records);
  // Records of `topic` from offset 0 of every partition, until `count` came or `timeout`.
  std::vector<BusRecord> read(const std::string& topic, std::size_t count, std::chrono::milliseconds timeout);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace agentrt::kafka::testing
