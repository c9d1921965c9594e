#pragma once
// KafkaProducer: an idempotent librdkafka producer as an EventBusProducer.
//
// enable.idempotence=true (acks=all, ordered, no duplicates from the client's own retries).
// publish() hands the message to librdkafka's local queue and returns at once: false when
// the queue is full (queue.buffering.max.messages), which is counted as dropped, never waited
// on. deliver() waits (on a timer, polling every few ms, never blocking the loop) for the
// message's delivery report: for dead letters. A thread of its own serves delivery reports.
// Threads: publish() from any thread; deliver() on any executor. On destruction it flushes
// for up to flush_timeout, then purges what is left (reported as failed).

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "core/ports/event_bus.hpp"

namespace agentrt::kafka {

struct KafkaProducerOptions {
  std::string brokers;                         // bootstrap servers
  std::chrono::milliseconds delivery_timeout{30'000};  // message.timeout.ms
  std::size_t queue_max = 100'000;             // queue.buffering.max.messages
  std::chrono::milliseconds flush_timeout{5'000};
  std::map<std::string, std::string> properties{};  // extra librdkafka properties (override ours)
};

struct KafkaProducerStats {
  std::uint64_t queued = 0;     // accepted into the local queue
  std::uint64_t delivered = 0;  // acknowledged by the broker
  std::uint64_t failed = 0;     // delivery failed after librdkafka's retries
  std::uint64_t dropped = 0;    // refused by publish(): local queue full or message invalid
};

class KafkaProducer final : public EventBusProducer {
 public:
  static Result<std::unique_ptr<KafkaProducer>> open(KafkaProducerOptions options);
  ~KafkaProducer() override;
  KafkaProducer(const KafkaProducer&) = delete;
  KafkaProducer& operator=(const KafkaProducer&) = delete;

  [[nodiscard]] bool publish(BusMessage message) override;
  boost::asio::awaitable<Result<void>> deliver(BusMessage message) override;

  [[nodiscard]] KafkaProducerStats stats() const;

  struct State;

 private:
  explicit KafkaProducer(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace agentrt::kafka
