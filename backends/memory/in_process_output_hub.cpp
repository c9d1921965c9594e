#include "backends/memory/in_process_output_hub.hpp"

#include <utility>

#include "core/stream/subscriber_buffer.hpp"

namespace agentrt {

namespace asio = boost::asio;

struct InProcessOutputHub::Registry {
  std::multimap<SessionId, SubscriberBuffer*> subscribers;
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
    co_return co_await subscriber_.take(max_wait);
  }

 private:
  std::shared_ptr<InProcessOutputHub::Registry> registry_;
  SessionId session_;
  SubscriberBuffer subscriber_;
  std::multimap<SessionId, SubscriberBuffer*>::iterator position_;
};

}  // namespace

InProcessOutputHub::InProcessOutputHub(asio::any_io_executor executor)
    : executor_(std::move(executor)), registry_(std::make_shared<Registry>()) {}

InProcessOutputHub::~InProcessOutputHub() = default;

asio::awaitable<Result<void>> InProcessOutputHub::publish(SessionId session, std::vector<OutputEvent> events) {
  const auto [first, last] = registry_->subscribers.equal_range(session);
  for (auto it = first; it != last; ++it) {
    SubscriberBuffer& subscriber = *it->second;
    for (const auto& event : events) (void)subscriber.offer(event);
    subscriber.wake();
  }
  co_return ok_result();
}

std::unique_ptr<OutputSubscription> InProcessOutputHub::subscribe(const SessionId& session, SubscriberLimits limits) {
  return std::make_unique<InProcessSubscription>(registry_, session, executor_, limits);
}

std::size_t InProcessOutputHub::subscriber_count() const { return registry_->subscribers.size(); }

}  // namespace agentrt
