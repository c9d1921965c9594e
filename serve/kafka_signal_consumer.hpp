#pragma once
// KafkaSignalConsumer: turns Kafka records into session signals in the store, one coroutine
// per serve worker (docs/serve.md "Kafka"; routing in serve/kafka_routing.hpp).
//
// Per record, in the order the bus hands them over:
// - routed to a session of the route's org (and bot) that is not finished: SessionStore::enqueue
//   with the id kafka:<topic>:<partition>:<offset> (a redelivered record is a duplicate: the
//   store drops it), tell the local worker (inbox_changed), and only then commit the record;
// - a poison record (unroutable, no session id, bad payload, too large, unknown or finished
//   session) goes to the dead-letter topic with the reason in its headers, and is committed
//   once the broker has the dead letter: it never blocks its partition;
// - a store or dead-letter failure: the same record again after a backoff (never committed,
//   never skipped); meanwhile the bus pauses its partitions once its hand-off queue is full.
// Stopping cancels the wait or the store call; a record not committed comes back to whichever
// member owns its partition next, and the store deduplicates it.
// Threads: everything on the executor given to start() (the serve io_context).

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include "core/ports/clock.hpp"
#include "core/ports/event_bus.hpp"
#include "core/ports/session_store.hpp"
#include "serve/kafka_config.hpp"
#include "serve/kafka_routing.hpp"
#include "serve/metrics/serve_metrics.hpp"

namespace agentrt::serve {

struct KafkaSignalConsumerOptions {
  std::chrono::milliseconds wait{500};  // how long one next() waits for a record
  std::chrono::milliseconds backoff_min{100};
  std::chrono::milliseconds backoff_max{10'000};
};

struct KafkaSignalConsumerStats {
  std::uint64_t records = 0;        // handled and committed
  std::uint64_t signals = 0;        // enqueued (new)
  std::uint64_t duplicates = 0;     // the store had it already
  std::uint64_t dead_letters = 0;   // sent to the dead-letter topic
  std::uint64_t retries = 0;        // store or dead-letter failures retried
};

struct KafkaSignalPorts {
  EventBusConsumer* bus = nullptr;
  EventBusProducer* dead_letters = nullptr;
  SessionStore* store = nullptr;
  const Clock* clock = nullptr;
  ServeMetrics* metrics = nullptr;  // optional
};

class KafkaSignalConsumer {
 public:
  using InboxChanged = std::function<void(const SessionId&)>;

  KafkaSignalConsumer(KafkaSignalPorts ports, KafkaConfig config, InboxChanged inbox_changed,
                      KafkaSignalConsumerOptions options = {});

  // Runs the loop on `executor`; `on_stopped` runs once it has ended (after stop()).
  void start(boost::asio::any_io_executor executor, std::function<void()> on_stopped = {});
  void stop();
  // A configuration reload changed how records of the subscribed topics map to sessions and
  // signals (the topics themselves need a restart: serve/config_reload.cpp). Records from the
  // next one on follow the new routes. On the executor that runs the loop.
  void set_routes(std::vector<KafkaRoute> routes) { config_.routes = std::move(routes); }

  // Waits for one record and handles it to its commit: true when there was one.
  boost::asio::awaitable<Result<bool>> poll_once();

  [[nodiscard]] const KafkaSignalConsumerStats& stats() const { return stats_; }

 private:
  boost::asio::awaitable<void> run();
  // One attempt: ok when the record may be committed; an error to retry after a backoff.
  boost::asio::awaitable<Result<void>> attempt(const BusRecord& record);
  boost::asio::awaitable<Result<void>> signal(const RoutedSignal& routed, const BusRecord& record);
  boost::asio::awaitable<Result<void>> dead_letter(const BusRecord& record, const DeadLetter& why);
  void count(const char* outcome);

  KafkaSignalPorts ports_;
  KafkaConfig config_;
  InboxChanged inbox_changed_;
  KafkaSignalConsumerOptions options_;
  KafkaSignalConsumerStats stats_;
  boost::asio::cancellation_signal stop_;
};

}  // namespace agentrt::serve
