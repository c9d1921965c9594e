#include "backends/kafka/testing/kafka_mock_cluster.hpp"

#include <map>
#include <stdexcept>
#include <thread>

// rdkafka_mock.h must come after rdkafka.h.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "backends/kafka/kafka_client.hpp"

namespace agentrt::kafka::testing {

struct KafkaMockCluster::Impl {
  KafkaHandle owner;  // the mock cluster lives in this handle's threads
  rd_kafka_mock_cluster_t* cluster = nullptr;  // owned: rd_kafka_mock_cluster_destroy
  KafkaHandle producer;
  std::map<std::string, int> partitions;
};

namespace {

KafkaHandle client(rd_kafka_type_t type, const std::map<std::string, std::string>& properties) {
  auto conf = make_conf(properties);
  if (!conf) throw std::runtime_error(conf.error().message);
  auto rk = make_client(type, std::move(conf).value());
  if (!rk) throw std::runtime_error(rk.error().message);
  return std::move(rk).value();
}

}  // namespace

KafkaMockCluster::KafkaMockCluster(int brokers) : impl_(std::make_unique<Impl>()) {
  impl_->owner = client(RD_KAFKA_PRODUCER, {{"log_level", "0"}});
  impl_->cluster = rd_kafka_mock_cluster_new(impl_->owner.get(), brokers);
  if (impl_->cluster == nullptr) throw std::runtime_error("rd_kafka_mock_cluster_new failed");
  impl_->producer = client(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstraps()}, {"log_level", "0"}});
}

KafkaMockCluster::~KafkaMockCluster() {
  impl_->producer.reset();
  rd_kafka_mock_cluster_destroy(impl_->cluster);
}

std::string KafkaMockCluster::bootstraps() const { return rd_kafka_mock_cluster_bootstraps(impl_->cluster); }

void KafkaMockCluster::create_topic(const std::string& topic, int partitions) {
  if (rd_kafka_mock_topic_create(impl_->cluster, topic.c_str(), partitions, 1) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error("mock topic " + topic + " not created");
  }
  impl_->partitions[topic] = partitions;
}

void KafkaMockCluster::broker_down(std::int32_t broker) { rd_kafka_mock_broker_set_down(impl_->cluster, broker); }
void KafkaMockCluster::broker_up(std::int32_t broker) { rd_kafka_mock_broker_set_up(impl_->cluster, broker); }

void KafkaMockCluster::fail_requests(std::int16_t api_key, std::size_t count, int error) {
  std::vector<rd_kafka_resp_err_t> errors(count, static_cast<rd_kafka_resp_err_t>(error));
  rd_kafka_mock_push_request_errors_array(impl_->cluster, api_key, count, errors.data());
}

Result<void> KafkaMockCluster::produce(const std::string& topic, std::optional<std::string> key, const std::string& value,
                                       BusHeaders headers, std::int32_t partition) {
  auto h = make_headers(headers);
  auto err = produce_copy(impl_->producer.get(),
                          ProduceArgs{&topic, partition, key ? &*key : nullptr, &value, h.get(), nullptr});
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return kafka_error(err, "mock produce to " + topic);
  (void)h.release();
  err = rd_kafka_flush(impl_->producer.get(), 10'000);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return kafka_error(err, "mock produce to " + topic + ": flush");
  return ok_result();
}

Result<void> KafkaMockCluster::produce_many(const std::string& topic,
                                            const std::vector<std::pair<std::string, std::string>>& records) {
  for (const auto& [key, value] : records) {
    for (;;) {
      const auto err = produce_copy(impl_->producer.get(), ProduceArgs{&topic, -1, &key, &value, nullptr, nullptr});
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) return kafka_error(err, "mock produce to " + topic);
      rd_kafka_poll(impl_->producer.get(), 10);  // the local queue is full: let it drain
    }
  }
  const auto err = rd_kafka_flush(impl_->producer.get(), 60'000);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return kafka_error(err, "mock produce to " + topic + ": flush");
  return ok_result();
}

std::vector<BusRecord> KafkaMockCluster::read(const std::string& topic, std::size_t count,
                                              std::chrono::milliseconds timeout) {
  auto consumer = client(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstraps()},
                                             {"group.id", "agentrt-test-reader"},
                                             {"enable.auto.commit", "false"},
                                             {"log_level", "0"}});
  const int partitions = impl_->partitions.count(topic) != 0 ? impl_->partitions[topic] : 1;
  KafkaPartitions list(rd_kafka_topic_partition_list_new(partitions));
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_assign(consumer.get(), list.get());
  std::vector<BusRecord> out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < count && std::chrono::steady_clock::now() < deadline) {
    KafkaMessage m(rd_kafka_consumer_poll(consumer.get(), 50));
    if (!m || m->err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    BusRecord r;
    r.topic = topic;
    r.partition = m->partition;
    r.offset = m->offset;
    if (m->key != nullptr) r.key.emplace(static_cast<const char*>(m->key), m->key_len);
    if (m->payload != nullptr) r.value.assign(static_cast<const char*>(m->payload), m->len);
    r.headers = headers_of(*m);
    out.push_back(std::move(r));
  }
  rd_kafka_consumer_close(consumer.get());
  return out;
}

}  // namespace agentrt::kafka::testing
