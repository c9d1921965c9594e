#pragma once
// The `output_hub:` and `redis:` settings of `agentrt serve` (docs/serve.md "Redis").
//   output_hub: in_process (the default) or redis      AGENTRT_OUTPUT_HUB, --output-hub
//   redis:
//     url: redis://host:port   (or host: and port:)     AGENTRT_REDIS_URL, --redis-url
//     password_env: VAR        the variable holding the password (never the password itself)
//                                                        AGENTRT_REDIS_PASSWORD_ENV
//     pool_size: 4             command connections (1..64), plus one pub/sub connection
//     connect_timeout: 1s      connect and AUTH
//     command_timeout: 1s      one command, reply included
//     kv_cache: true           per-org/per-bot KV read through Redis (agentrt:kv:...), writes
//                              announced on agentrt:invalidate (backends/redis/redis_kv_cache.hpp)
//     kv_cache_ttl: 60s        how long a cached KV answer lives in Redis (1s..1h)
// Redis is a fast path: when it is down serve keeps working from the store, /readyz says
// degraded (still 200) and agentrt_redis_up is 0.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/definition/object_reader.hpp"
#include "core/model/error.hpp"

namespace agentrt::serve {

struct RedisConfig {
  std::string url;        // redis://host:port; wins over host/port when set
  std::string host = "127.0.0.1";
  unsigned short port = 6379;
  std::string password_env;  // empty: no AUTH
  std::size_t pool_size = 4;
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds command_timeout{1000};
  bool kv_cache = true;
  std::chrono::milliseconds kv_cache_ttl{60'000};
};

// What serve shows of Redis on /readyz and /metrics (no secrets in `detail`).
struct RedisHealth {
  bool up = false;
  std::string detail;                  // why it is down ("" when up)
  std::uint64_t publish_failures = 0;  // output publishes that failed (those events went by the store)
};

using RedisEnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// `output_hub:` and `redis:` of the config file (errors go to the reader's diagnostics).
void read_redis(const ObjectReader& top, std::string& output_hub, RedisConfig& redis);
// AGENTRT_OUTPUT_HUB, AGENTRT_REDIS_URL, AGENTRT_REDIS_PASSWORD_ENV.
Result<void> apply_redis_env(const RedisEnvLookup& env, std::string& output_hub, RedisConfig& redis);
// "in_process" or "redis"; `where` names the setting in the error.
Result<void> set_output_hub(const std::string& value, const std::string& where, std::string& output_hub);
// With output_hub redis: a url of the form redis://..., a pool within bounds, positive timeouts,
// a kv_cache_ttl of whole seconds from 1 s to 1 h.
Result<void> check_redis(const std::string& output_hub, const RedisConfig& redis, const std::string& where);

}  // namespace agentrt::serve
