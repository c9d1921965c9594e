#pragma once
// RedisOutputHub: the OutputHub over Redis pub/sub (core/ports/output_hub.hpp), so a client on
// worker A streams a session that runs on worker B. Channel per session:
// `<prefix><session>` (default `agentrt:out:<session>`), payload redis_output_codec.hpp.
//
// publish() is one PUBLISH on the RedisClient's pool: Redis never waits on subscribers, and
// when Redis is down the client fails at once, so publish fails fast (counted in stats) and
// the session goes on; streams then follow the store (docs/streaming.md) until it is back.
// subscribe() registers a bounded local subscriber; the process's one RedisSubscriber
// connection subscribes to the session's channel while any local subscriber wants it. Its
// SUBSCRIBE is asynchronous and a reconnect loses what was published meanwhile: the follower
// notices by `follows_seq` (or its store poll) and reads the store, so it costs latency only.
//
// Bounded as InProcessOutputHub: past SubscriberLimits a subscription reports `overflowed`
// once and receives nothing more. A malformed message is dropped and counted.
// Threading: every member, and next(), on the hub's executor (one thread). Subscriptions may
// outlive the hub; they then only time out. The client and subscriber must outlive the hub.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "backends/redis/redis_client.hpp"
#include "backends/redis/redis_subscriber.hpp"
#include "core/ports/output_hub.hpp"

namespace agentrt {

struct RedisOutputHubStats {
  std::uint64_t published = 0;         // PUBLISH commands that Redis took
  std::uint64_t publish_failures = 0;  // failed (Redis down, timeout): those events went by the store
  std::uint64_t received = 0;          // messages for a local subscriber
  std::uint64_t malformed = 0;         // messages dropped as invalid
  std::uint64_t overflows = 0;         // subscriptions that overflowed their limits
};

class RedisOutputHub final : public OutputHub {
 public:
  static constexpr const char* kDefaultChannelPrefix = "agentrt:out:";

  RedisOutputHub(boost::asio::any_io_executor executor, RedisClient& client, RedisSubscriber& subscriber,
                 std::string channel_prefix = kDefaultChannelPrefix);
  ~RedisOutputHub() override;
  RedisOutputHub(const RedisOutputHub&) = delete;
  RedisOutputHub& operator=(const RedisOutputHub&) = delete;

  boost::asio::awaitable<Result<void>> publish(SessionId session, std::vector<OutputEvent> events) override;
  [[nodiscard]] std::unique_ptr<OutputSubscription> subscribe(const SessionId& session, SubscriberLimits limits) override;

  [[nodiscard]] RedisOutputHubStats stats() const;
  [[nodiscard]] bool up() const;  // both the publishing pool and the subscriber connection
  [[nodiscard]] std::size_t subscriber_count() const;

  struct Registry;  // local subscribers by session, shared with the subscriptions

 private:
  boost::asio::any_io_executor executor_;
  RedisClient& client_;
  RedisSubscriber& subscriber_;
  std::string channel_prefix_;
  std::shared_ptr<Registry> registry_;
};

}  // namespace agentrt
