#pragma once
// SubscriberBuffer: the bounded buffer behind one OutputHub subscription, shared by every hub
// (in-process, Redis) so the port's contract (core/ports/output_hub.hpp) is kept one way:
// past SubscriberLimits it drops what it cannot hold, reports `overflowed` once, and takes
// nothing more. offer() never blocks; take() waits for the first event up to max_wait.
// Threading: one executor (the hub's); take() from one coroutine at a time.

#include <chrono>
#include <cstddef>
#include <deque>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/ports/output_hub.hpp"

namespace agentrt {

class SubscriberBuffer {
 public:
  SubscriberBuffer(boost::asio::any_io_executor executor, SubscriberLimits limits);

  // Appends within the limits. False exactly when this event made the buffer overflow.
  bool offer(const OutputEvent& event);
  // Wakes a take() waiting (after a batch of offers).
  void wake();
  // What was offered since the last take, waiting up to max_wait for something. Cancellable.
  boost::asio::awaitable<OutputBatch> take(std::chrono::milliseconds max_wait);

 private:
  [[nodiscard]] bool pending_overflow() const { return overflowed_ && !overflow_reported_; }

  SubscriberLimits limits_;
  std::deque<OutputEvent> buffered_;
  std::size_t bytes_ = 0;
  bool overflowed_ = false;
  bool overflow_reported_ = false;
  boost::asio::steady_timer wakeup_;  // take() waits on it; wake() cancels the wait
};

}  // namespace agentrt
