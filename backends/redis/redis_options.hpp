#pragma once
// Where a Redis server is and how agentrt talks to it (config `redis:`, docs/serve.md).
// The password is resolved from the variable named by `password_env` at startup and never
// appears in a message or a log: `server_name()` is what errors name.

#include <chrono>
#include <cstddef>
#include <string>

#include "core/model/error.hpp"

namespace agentrt {

struct RedisOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 6379;
  std::string password;                            // AUTH when non-empty (from password_env)
  std::size_t pool_size = 4;                       // command connections (the subscriber is one more)
  std::chrono::milliseconds connect_timeout{1000};  // TCP connect and AUTH
  std::chrono::milliseconds command_timeout{1000};  // one command or pipeline, reply included
  std::chrono::milliseconds reconnect_delay_min{100};  // backoff after a failed connect, doubling
  std::chrono::milliseconds reconnect_delay_max{5000};
  std::size_t max_reply_bytes = 16 * 1024 * 1024;  // a larger reply closes the connection
  std::size_t max_pipeline = 1024;                 // commands in one pipeline

  // "redis 127.0.0.1:6379": the server as messages name it (never the password).
  [[nodiscard]] std::string server_name() const;
};

// Reads "redis://host[:port]" (port 6379 by default; no user, password or database: the
// password comes from password_env only, so a URL can be logged). Errors are Errc::invalid and
// never quote a URL that carries credentials.
Result<void> parse_redis_url(const std::string& url, RedisOptions& options);

// Checks the bounds: pool 1..64, timeouts > 0, delays ordered, reply bound >= 1 KiB.
Result<void> check_redis_options(const RedisOptions& options);

}  // namespace agentrt
