#pragma once
// RedisLink: one RedisConnection kept open: connects, and when the connection is lost or
// cannot be made, retries with backoff (reconnect_delay_min doubling to _max). Internal to
// backends/redis. While it is down, connection() is null so callers fail fast instead of
// waiting for a server that is not there.
//
// Threading: one executor (one thread). start() spawns the loop; stop() (idempotent) closes
// the connection and ends the loop, which holds its own state, so the link may be destroyed
// right after stop().

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "backends/redis/redis_connection.hpp"
#include "backends/redis/redis_options.hpp"

namespace agentrt {

class RedisLink {
 public:
  // Runs on each new connection, before anyone else may use it (RedisSubscriber resubscribes).
  using OnConnected = std::function<void(RedisConnection&)>;

  RedisLink(boost::asio::any_io_executor executor, RedisOptions options, RedisPushHandler push = {},
            OnConnected on_connected = {});
  ~RedisLink();
  RedisLink(const RedisLink&) = delete;
  RedisLink& operator=(const RedisLink&) = delete;

  void start();
  void stop();

  // The open connection, or null while down. Shared: a command in flight keeps it alive.
  [[nodiscard]] std::shared_ptr<RedisConnection> connection() const;
  [[nodiscard]] bool up() const;
  [[nodiscard]] std::string last_error() const;  // why it is down ("" when up)
  [[nodiscard]] std::uint64_t connects() const;  // successful connects so far

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace agentrt
