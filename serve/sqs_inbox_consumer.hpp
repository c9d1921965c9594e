#pragma once
// SqsInboxConsumer: moves messages from the external inbox queue (InboxQueue; SQS FIFO in
// production) into the store's inbox, one coroutine per serve worker.
//
// Per message: SessionStore::enqueue (idempotent: a duplicate returns false, fine), tell the
// local worker (inbox_changed), and only then ack: the message leaves the queue once it is
// durable in the store, which consumes it atomically with its MessageReceived (rule 3).
// - A body that cannot be read, or names an unknown session (enqueue: not_found/invalid),
//   is counted and logged without its text and never acked: the queue's redrive policy moves
//   it to the dead-letter queue after maxReceiveCount receives.
// - A store error: not acked; the queue redelivers it after the visibility timeout.
// - While a received batch is being handled, a timer extends the visibility of the messages
//   not yet acked every half visibility timeout, so a slow store never lets SQS hand a
//   message to another worker meanwhile (it would only be a duplicate, but a wasted one).
// - Queue errors (after the client's own retries) back off exponentially up to
//   backoff_max; the worker keeps running its sessions. Warnings at most once per
//   log_interval (with how many were suppressed).
// Threads: run on the executor the queue adapter requires (the serve io_context); stop() on
// that executor too.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include "core/ports/inbox_queue.hpp"
#include "core/ports/session_store.hpp"
#include "serve/metrics/serve_metrics.hpp"

namespace agentrt::serve {

struct SqsInboxConsumerOptions {
  std::chrono::seconds wait{20};        // long polling (SQS: at most 20)
  std::chrono::seconds visibility{30};  // how long a received message stays ours
  std::chrono::milliseconds backoff_min{500};
  std::chrono::milliseconds backoff_max{30'000};
  std::chrono::seconds log_interval{60};
};

struct SqsInboxConsumerStats {
  std::uint64_t received = 0;
  std::uint64_t extended = 0;      // visibility extensions
  std::uint64_t moved = 0;         // enqueued (new) and acked
  std::uint64_t duplicates = 0;    // the store had it already: acked
  std::uint64_t malformed = 0;     // left for the dead-letter queue
  std::uint64_t store_errors = 0;  // left for redelivery
  std::uint64_t queue_errors = 0;  // receive/ack/extend failures
};

class SqsInboxConsumer {
 public:
  using InboxChanged = std::function<void(const SessionId&)>;

  // `metrics` (optional, outlives the consumer): the counters below as Prometheus families.
  SqsInboxConsumer(InboxQueue& queue, SessionStore& store, InboxChanged inbox_changed,
                   SqsInboxConsumerOptions options = {}, ServeMetrics* metrics = nullptr);

  // Starts the loop on `executor`; `on_stopped` runs once it has ended (after stop()).
  void start(boost::asio::any_io_executor executor, std::function<void()> on_stopped = {});
  // Cancels the pending receive, backoff or store call; a message interrupted before its ack
  // is simply redelivered (enqueue is idempotent), so nothing is lost.
  void stop();

  // One receive and the handling of what it returned: the number of messages received.
  boost::asio::awaitable<Result<std::size_t>> poll_once();

  [[nodiscard]] const SqsInboxConsumerStats& stats() const { return stats_; }

 private:
  struct Batch;  // receipts of a received batch and which are settled (acked or given up)

  boost::asio::awaitable<void> run();
  boost::asio::awaitable<void> handle_all(std::vector<QueuedInboxMessage> messages, std::shared_ptr<Batch> batch);
  boost::asio::awaitable<void> keep_visible(std::shared_ptr<Batch> batch);
  // `settled` (the batch's entry, which outlives the call) is set once the message is acked.
  boost::asio::awaitable<void> handle(QueuedInboxMessage message, bool& settled);
  void warn_limited(const std::string& message);
  enum class Outcome { received, moved, duplicate, malformed, store_error };
  void count(Outcome outcome, std::uint64_t n = 1);
  void count_queue_error(std::string_view operation);

  InboxQueue& queue_;
  SessionStore& store_;
  InboxChanged inbox_changed_;
  SqsInboxConsumerOptions options_;
  ServeMetrics* metrics_;
  SqsInboxConsumerStats stats_;
  boost::asio::cancellation_signal stop_;
  std::chrono::steady_clock::time_point last_warning_{};
  std::uint64_t suppressed_warnings_ = 0;
};

}  // namespace agentrt::serve
