#include "core/stream/subscriber_buffer.hpp"

#include <iterator>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace agentrt {

namespace asio = boost::asio;

SubscriberBuffer::SubscriberBuffer(asio::any_io_executor executor, SubscriberLimits limits)
    : limits_(limits), wakeup_(std::move(executor)) {}

bool SubscriberBuffer::offer(const OutputEvent& event) {
  if (overflowed_) return true;
  const std::size_t size = approximate_bytes(event);
  if (buffered_.size() >= limits_.max_events || bytes_ + size > limits_.max_bytes) {
    overflowed_ = true;
    return false;
  }
  buffered_.push_back(event);
  bytes_ += size;
  return true;
}

void SubscriberBuffer::wake() { wakeup_.cancel(); }

asio::awaitable<OutputBatch> SubscriberBuffer::take(std::chrono::milliseconds max_wait) {
  if (buffered_.empty() && !pending_overflow()) {
    wakeup_.expires_after(max_wait);
    // operation_aborted: an offer woke us, or the caller was cancelled (checked by the caller).
    (void)co_await wakeup_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  OutputBatch batch;
  batch.events.assign(std::make_move_iterator(buffered_.begin()), std::make_move_iterator(buffered_.end()));
  buffered_.clear();
  bytes_ = 0;
  if (pending_overflow()) {
    batch.overflowed = true;
    overflow_reported_ = true;
  }
  co_return batch;
}

}  // namespace agentrt
