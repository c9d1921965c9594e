#pragma once
// KafkaConsumer: a consumer group member (librdkafka) as an EventBusConsumer.
//
// librdkafka's poll blocks, so it runs on a thread of its own which hands records to the
// event loop through a bounded queue (next() awaits it on the executor, never blocking):
// - Backpressure: when the hand-off queue holds `handoff_max` records the thread stops taking
//   records from librdkafka (which keeps its prefetched ones, bounded by
//   queued.max.messages.kbytes) until the loop has taken the queue down to half. A queue still
//   full after `hold_max` pauses every assigned partition (librdkafka drops what it prefetched
//   and refetches from the position on resume, so nothing is lost), so the thread polls again
//   (rebalances, max.poll.interval.ms); they resume once the queue is down to half.
// - Offsets: enable.auto.commit is off. commit(record) records offset + 1 of the partition if
//   the assignment that delivered the record is still the current one; the thread commits
//   those offsets (asynchronously) at most every commit_interval, and synchronously when
//   partitions are revoked and when the consumer closes.
// - Rebalance (eager): on revoke the pending offsets are committed (they are durable), the
//   assignment generation moves on (so a record still in flight is never committed by this
//   member: its next owner gets it again) and the queued records of the revoked partitions
//   are dropped; on assign the new partitions are paused too if the queue is full.
// - Broker errors are counted and logged (rate-limited); librdkafka reconnects by itself.
// Threads: next() on one executor (one awaiting coroutine at a time); commit() and stats()
// from any thread. Destroy it before its executor's io_context.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "core/ports/event_bus.hpp"

namespace agentrt::kafka {

struct KafkaConsumerOptions {
  std::string brokers;                  // bootstrap servers, "host:port,host:port"
  std::string group_id;                 // the consumer group
  std::vector<std::string> topics;      // subscribed topics
  std::size_t handoff_max = 1000;       // records queued for the loop before holding
  std::chrono::milliseconds hold_max{1000};  // a hold this long pauses the partitions
  std::chrono::milliseconds commit_interval{100};
  std::map<std::string, std::string> properties{};  // extra librdkafka properties (override ours)
};

struct KafkaConsumerStats {
  std::uint64_t received = 0;     // records handed over
  std::uint64_t holds = 0;        // times the thread waited on a full hand-off queue
  std::uint64_t pauses = 0;       // times the partitions were paused (full for hold_max)
  std::uint64_t rebalances = 0;   // assignments and revocations
  std::uint64_t dropped_on_revoke = 0;  // queued records of revoked partitions (redelivered)
  std::uint64_t commits = 0;      // commit requests sent
  std::uint64_t commit_errors = 0;
  std::uint64_t broker_errors = 0;
  std::int64_t lag = 0;           // records behind the high watermarks (consumer lag), last known
};

class KafkaConsumer final : public EventBusConsumer {
 public:
  // Subscribes and starts the polling thread; invalid for a refused configuration.
  static Result<std::unique_ptr<KafkaConsumer>> open(boost::asio::any_io_executor executor, KafkaConsumerOptions options);
  ~KafkaConsumer() override;  // commits what is pending, leaves the group, joins the thread
  KafkaConsumer(const KafkaConsumer&) = delete;
  KafkaConsumer& operator=(const KafkaConsumer&) = delete;

  boost::asio::awaitable<Result<std::optional<BusRecord>>> next(std::chrono::milliseconds wait) override;
  void commit(const BusRecord& record) override;
  [[nodiscard]] std::int64_t lag() const override { return stats().lag; }

  [[nodiscard]] KafkaConsumerStats stats() const;
  // The group's committed offset of topic/partition (-1001 when none), asked to the broker.
  Result<std::int64_t> committed(const std::string& topic, std::int32_t partition, std::chrono::milliseconds timeout);

  struct State;  // shared with the polling thread and posted wake-ups

 private:
  explicit KafkaConsumer(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace agentrt::kafka
