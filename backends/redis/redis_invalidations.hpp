#pragma once
// RedisInvalidations: the config invalidation channel `agentrt:invalidate` (backends/redis/
// README.md). A process that changes shared configuration (definitions, quotas, routing, log
// level: issue 8's hot reload) publishes {"kind","key","origin"}; every process listening
// reloads what `kind`/`key` name from the source of truth. Delivery is best effort (pub/sub):
// a listener must also reload periodically or on reconnect (RedisSubscriber says when
// subscriptions are confirmed again); messages are hints, never the new values themselves.
// Threading: on the executor of the client and the subscriber.

#include <functional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "backends/redis/redis_client.hpp"
#include "backends/redis/redis_subscriber.hpp"
#include "core/model/error.hpp"

namespace agentrt {

struct Invalidation {
  std::string kind;    // definitions, quotas, routing, log_level, config (1..64 chars)
  std::string key;     // what in it changed ("" for everything), at most 1024 bytes
  std::string origin;  // the publishing worker's id, so it can skip its own
};

class RedisInvalidations {
 public:
  static constexpr const char* kDefaultChannel = "agentrt:invalidate";

  RedisInvalidations(RedisClient& client, RedisSubscriber& subscriber, std::string channel = kDefaultChannel);

  boost::asio::awaitable<Result<void>> publish(const Invalidation& invalidation);
  // The PUBLISH of `invalidation`, for a caller's pipeline. Unchecked: the caller builds it from
  // checked parts (a listener skips a message that fails decode_invalidation's checks).
  [[nodiscard]] RedisCommand publish_command(const Invalidation& invalidation) const;
  // Calls `handler` for every valid message until the token is dropped; invalid ones are skipped.
  [[nodiscard]] RedisSubscriber::Token listen(std::function<void(const Invalidation&)> handler);

 private:
  RedisClient& client_;
  RedisSubscriber& subscriber_;
  std::string channel_;
};

// The wire form, checked: Errc::invalid on anything else.
[[nodiscard]] std::string encode_invalidation(const Invalidation& invalidation);
Result<Invalidation> decode_invalidation(std::string_view payload);

}  // namespace agentrt
