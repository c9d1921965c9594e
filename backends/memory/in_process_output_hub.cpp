#include "backends/memory/in_process_output_hub.hpp"

#include <deque>
#include <utility>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace agentrt {
namespace {

namespace asio = boost::asio;

struct Subscriber {
  Subscriber(asio::any_io_executor ex, SubscriberLimits l) : limits(l), wakeup(std::move(ex)) {}

  // Appends `event` within the limits; past them marks the subscriber overflowed for good.
  void offer(const OutputEvent& event) {
    if (overflowed) return;
    const std::size_t size = approximate_bytes(event);
    if (buffered.size() >= limits.max_events || bytes + size > limits.max_bytes) {
      overflowed = true;
      return;
    }
    buffered.push_back(event);
    bytes += size;
  }

  SubscriberLimits limits;
  std::deque<OutputEvent> buffered;
  std::size_t bytes = 0;
  bool overflowed = false;
  bool overflow_reported = false;
  asio::steady_timer wakeup;  // next() waits on it; offer() cancels the wait
};

}  // namespace

struct InProcessOutputHub::Registry {
  std::multimap<SessionId, Subscriber*> subscribers;
};

namespace {

class InProcessSubscription final : public OutputSubscription {
 public:
  InProcessSubscription(std::shared_ptr<InProcessOutputHub::Registry> registry, SessionId session,
                        asio::any_io_executor ex, SubscriberLimits limits)
      : registry_(std::move(registry)), session_(std::move(session)), subscriber_(std::move(ex), limits) {
    position_ = registry_->subscribers.emplace(session_, &subscriber_);
  }
  ~InProcessSubscription() override { registry_->subscribers.erase(position_); }
  InProcessSubscription(const InProcessSubscription&) = delete;
  InProcessSubscription& operator=(const InProcessSubscription&) = delete;

  asio::awaitable<Result<OutputBatch>> next(std::chrono::milliseconds max_wait) override {
    if (subscriber_.buffered.empty() && !pending_overflow()) {
      subscriber_.wakeup.expires_after(max_wait);
      boost::system::error_code ec;
      co_await subscriber_.wakeup.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      // operation_aborted: an offer woke us, or the caller was cancelled (checked by the caller).
    }
    OutputBatch batch;
    batch.events.assign(std::make_move_iterator(subscriber_.buffered.begin()),
                        std::make_move_iterator(subscriber_.buffered.end()));
    subscriber_.buffered.clear();
    subscriber_.bytes = 0;
    if (pending_overflow()) {
      batch.overflowed = true;
      subscriber_.overflow_reported = true;
    }
    co_return batch;
  }

 private:
  [[nodiscard]] bool pending_overflow() const { return subscriber_.overflowed && !subscriber_.overflow_reported; }

  std::shared_ptr<InProcessOutputHub::Registry> registry_;
  SessionId session_;
  Subscriber subscriber_;
  std::multimap<SessionId, Subscriber*>::iterator position_;
};

}  // namespace

InProcessOutputHub::InProcessOutputHub(asio::any_io_executor executor)
    : executor_(std::move(executor)), registry_(std::make_shared<Registry>()) {}

InProcessOutputHub::~InProcessOutputHub() = default;

asio::awaitable<Result<void>> InProcessOutputHub::publish(SessionId session, std::vector<OutputEvent> events) {
  const auto [first, last] = registry_->subscribers.equal_range(session);
  for (auto it = first; it != last; ++it) {
    Subscriber& subscriber = *it->second;
    for (const auto& event : events) subscriber.offer(event);
    subscriber.wakeup.cancel();
  }
  co_return ok_result();
}

std::unique_ptr<OutputSubscription> InProcessOutputHub::subscribe(const SessionId& session, SubscriberLimits limits) {
  return std::make_unique<InProcessSubscription>(registry_, session, executor_, limits);
}

std::size_t InProcessOutputHub::subscriber_count() const { return registry_->subscribers.size(); }

}  // namespace agentrt
