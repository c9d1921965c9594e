#pragma once
// EventBus: external events in, session lifecycle events out (production: Kafka).
//
// EventBusConsumer (events in): a consumer group member handing records over one at a time.
// - next() waits up to `wait` for the next record; nullopt when none came. Records of one
//   partition come in offset order. Errors: cancelled when the awaiting coroutine is
//   cancelled; broker trouble is the adapter's to count, log and reconnect through.
// - commit(record) says the record is durable elsewhere (or dead-lettered): the adapter
//   commits offset + 1 of its partition, and only if the partition is still assigned to this
//   member by the assignment that delivered it; after a revoke a commit is dropped, so nothing
//   is ever committed past what the caller made durable (the next owner gets it again:
//   at-least-once, which the store's enqueue deduplication makes effectively once).
// - Backpressure: the adapter buffers at most its hand-off capacity and stops taking records
//   while that is full (its client's prefetch is bounded too); a slow caller never makes
//   memory grow.
// EventBusProducer (events out):
// - publish() never waits: the message goes to the client's local queue; false when that
//   queue is full (the caller counts it; the runtime never blocks on the bus).
// - deliver() waits until the broker has the message (or it failed): for dead letters,
//   which must be durable before the offset of their record is committed.
// Threads: an adapter states on which executor its awaitables must run; publish() and
// commit() may be called from that executor.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/model/error.hpp"

namespace agentrt {

using BusHeaders = std::vector<std::pair<std::string, std::string>>;

struct BusRecord {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::optional<std::string> key;  // nullopt: the record had no key
  BusHeaders headers{};
  std::string value{};
  std::uint64_t assignment = 0;  // which assignment delivered it (the adapter's commit check)
};

struct BusMessage {
  std::string topic;
  std::string key;
  std::string value;
  BusHeaders headers{};
};

class EventBusConsumer {
 public:
  virtual ~EventBusConsumer() = default;
  virtual boost::asio::awaitable<Result<std::optional<BusRecord>>> next(std::chrono::milliseconds wait) = 0;
  virtual void commit(const BusRecord& record) = 0;
  // Records behind the end of the assigned partitions, last known; -1 when unknown.
  [[nodiscard]] virtual std::int64_t lag() const { return -1; }
};

class EventBusProducer {
 public:
  virtual ~EventBusProducer() = default;
  [[nodiscard]] virtual bool publish(BusMessage message) = 0;
  virtual boost::asio::awaitable<Result<void>> deliver(BusMessage message) = 0;
};

}  // namespace agentrt
