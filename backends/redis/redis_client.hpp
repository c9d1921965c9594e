#pragma once
// RedisClient: a small pool of Redis connections (options.pool_size), each kept open by a
// RedisLink (reconnect with backoff). Commands go round-robin to the connections that are up;
// when none is, a command fails at once with Errc::retryable naming the server and why it is
// down, so a caller never waits on an absent Redis (the store stays the source of truth).
//
// command(): one command; an -ERR reply is an Error (redis_errors.hpp). pipeline(): several
// commands written at once on one connection, their replies in order (-ERR replies stay
// values). Each waits at most options.command_timeout; a timeout closes that connection,
// whose link reconnects.
//
// Threading: one executor, one thread (serve's io_context). start() once, stop() idempotent.

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "backends/redis/redis_options.hpp"
#include "backends/redis/redis_reply.hpp"
#include "core/model/error.hpp"

namespace agentrt {

class RedisLink;

class RedisClient {
 public:
  RedisClient(boost::asio::any_io_executor executor, RedisOptions options);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  void start();
  void stop();

  boost::asio::awaitable<Result<RedisReply>> command(RedisCommand command);
  boost::asio::awaitable<Result<std::vector<RedisReply>>> pipeline(std::vector<RedisCommand> commands);

  [[nodiscard]] bool up() const;                // at least one connection is open
  [[nodiscard]] std::size_t connections_up() const;
  [[nodiscard]] std::string last_error() const;  // why it is down ("" when up)
  [[nodiscard]] const RedisOptions& options() const { return options_; }

 private:
  boost::asio::any_io_executor executor_;
  RedisOptions options_;
  std::vector<std::unique_ptr<RedisLink>> links_;
  std::size_t next_ = 0;
};

}  // namespace agentrt
