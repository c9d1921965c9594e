#include "backends/redis/redis_output_hub.hpp"

#include <map>
#include <utility>

#include <spdlog/spdlog.h>

#include "backends/redis/redis_output_codec.hpp"
#include "core/stream/subscriber_buffer.hpp"

namespace agentrt {

namespace asio = boost::asio;

struct RedisOutputHub::Registry {
  struct Channel {
    RedisSubscriber::Token token;
    std::vector<SubscriberBuffer*> subscribers;
  };
  std::map<std::string, Channel> sessions;
  RedisOutputHubStats stats;

  void deliver(const std::string& session, std::string_view payload) {
    const auto found = sessions.find(session);
    if (found == sessions.end()) return;
    auto events = decode_output_events(payload);
    if (!events) {
      ++stats.malformed;
      spdlog::debug("redis output hub: session {}: {}", session, events.error().message);
      return;
    }
    ++stats.received;
    for (SubscriberBuffer* subscriber : found->second.subscribers) {
      for (const auto& event : *events) {
        if (!subscriber->offer(event)) ++stats.overflows;
      }
      subscriber->wake();
    }
  }
};

namespace {

class RedisSubscription final : public OutputSubscription {
 public:
  RedisSubscription(std::shared_ptr<RedisOutputHub::Registry> registry, std::string session, asio::any_io_executor ex,
                    SubscriberLimits limits)
      : registry_(std::move(registry)), session_(std::move(session)), subscriber_(std::move(ex), limits) {}
  ~RedisSubscription() override {
    auto found = registry_->sessions.find(session_);
    if (found == registry_->sessions.end()) return;
    auto& list = found->second.subscribers;
    std::erase(list, &subscriber_);
    if (list.empty()) registry_->sessions.erase(found);  // the token unsubscribes
  }
  RedisSubscription(const RedisSubscription&) = delete;
  RedisSubscription& operator=(const RedisSubscription&) = delete;

  SubscriberBuffer& buffer() { return subscriber_; }

  asio::awaitable<Result<OutputBatch>> next(std::chrono::milliseconds max_wait) override {
    co_return co_await subscriber_.take(max_wait);
  }

 private:
  std::shared_ptr<RedisOutputHub::Registry> registry_;
  std::string session_;
  SubscriberBuffer subscriber_;
};

}  // namespace

RedisOutputHub::RedisOutputHub(asio::any_io_executor executor, RedisClient& client, RedisSubscriber& subscriber,
                               std::string channel_prefix)
    : executor_(std::move(executor)), client_(client), subscriber_(subscriber), channel_prefix_(std::move(channel_prefix)),
      registry_(std::make_shared<Registry>()) {}

RedisOutputHub::~RedisOutputHub() = default;

asio::awaitable<Result<void>> RedisOutputHub::publish(SessionId session, std::vector<OutputEvent> events) {
  if (events.empty()) co_return ok_result();
  RedisCommand command{"PUBLISH", channel_prefix_ + session.str(), encode_output_events(events)};
  auto published = co_await client_.command(std::move(command));
  if (!published) {
    ++registry_->stats.publish_failures;
    co_return published.error().with_context("publish output of session " + session.str());
  }
  ++registry_->stats.published;
  co_return ok_result();
}

std::unique_ptr<OutputSubscription> RedisOutputHub::subscribe(const SessionId& session, SubscriberLimits limits) {
  auto subscription = std::make_unique<RedisSubscription>(registry_, session.str(), executor_, limits);
  auto [entry, inserted] = registry_->sessions.try_emplace(session.str());
  if (inserted) {
    std::weak_ptr<Registry> weak = registry_;
    entry->second.token = subscriber_.subscribe(channel_prefix_ + session.str(), [weak, name = session.str()](std::string_view payload) {
      if (auto registry = weak.lock()) registry->deliver(name, payload);
    });
  }
  entry->second.subscribers.push_back(&subscription->buffer());
  return subscription;
}

RedisOutputHubStats RedisOutputHub::stats() const { return registry_->stats; }

bool RedisOutputHub::up() const { return client_.up() && subscriber_.up(); }

std::size_t RedisOutputHub::subscriber_count() const {
  std::size_t n = 0;
  for (const auto& [session, channel] : registry_->sessions) n += channel.subscribers.size();
  return n;
}

}  // namespace agentrt
