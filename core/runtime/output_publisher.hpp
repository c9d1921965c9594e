#pragma once
// OutputPublisher: the output publisher child of a session's task group (DESIGN.md, session
// activation). The runner reports each durable event and each streamed token (RunObserver, on
// its executor, must not block); the publisher turns them into output events, queues them, and
// its child coroutine hands them to the OutputHub, whose publish may do I/O (Redis). So a slow
// hub never stalls the orchestrator.
//
// Bounded: past max_pending queued events it drops (and counts) what comes, which costs clients
// latency, not events: each published event names the output event before it (follows_seq),
// so a subscriber that missed one sees the gap and reads the store.
//
// Lifecycle: run() is the child. The orchestrator calls finish() and awaits flush() when the
// session is quiescent, so the last events are out before the group is cancelled; a cancelled
// group (lost lease, shutdown) ends run() at once and the rest is left to the store.
// Threading: all on one executor (the session's).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/model/error.hpp"
#include "core/ports/output_hub.hpp"
#include "core/runtime/run_observer.hpp"

namespace agentrt {

class OutputPublisher final : public RunObserver {
 public:
  // `last_seq`: the session's last durable seq when the activation begins.
  OutputPublisher(boost::asio::any_io_executor executor, OutputHub& hub, SessionId session, std::int64_t last_seq,
                  std::size_t max_pending = 8192);

  void on_event(const SessionId& session, const Event& event) override;
  void on_token(const SessionId& session, std::string_view text) override;

  // The task group child: publishes until finish() and an empty queue, or until cancelled.
  boost::asio::awaitable<Result<void>> run();
  void finish();
  // Waits until everything queued so far is published (or `max_wait` passes).
  boost::asio::awaitable<void> flush(std::chrono::milliseconds max_wait);

  [[nodiscard]] std::uint64_t published() const { return published_; }
  [[nodiscard]] std::uint64_t dropped() const { return dropped_; }

 private:
  void enqueue(OutputEvent event);

  OutputHub& hub_;
  SessionId session_;
  std::size_t max_pending_;
  std::int64_t last_durable_seq_;  // tokens follow it
  std::int64_t last_output_seq_;   // the seq of the last output event (or the activation's start)
  std::vector<OutputEvent> queue_;
  bool publishing_ = false;
  bool finished_ = false;
  std::uint64_t published_ = 0;
  std::uint64_t dropped_ = 0;
  boost::asio::steady_timer work_;     // run() waits on it; enqueue()/finish() cancel the wait
  boost::asio::steady_timer drained_;  // flush() waits on it; run() cancels it when idle
};

}  // namespace agentrt
