#include "serve/redis_config.hpp"

namespace agentrt::serve {

namespace {
constexpr long long kMaxPool = 64;
}

void read_redis(const ObjectReader& top, std::string& output_hub, RedisConfig& redis) {
  if (auto hub = top.string("output_hub", Need::optional, "in_process or redis")) {
    if (auto set = set_output_hub(*hub, "", output_hub); !set) top.diag().error("output_hub", set.error().message);
  }
  const auto* mapping = top.mapping("redis", Need::optional, "a mapping with url (or host and port), password_env, ...");
  if (mapping == nullptr) return;
  ObjectReader r(*mapping, "redis", top.diag(),
                 {"url", "host", "port", "password_env", "pool_size", "connect_timeout", "command_timeout", "kv_cache",
                  "kv_cache_ttl"});
  redis.url = r.string("url", Need::optional, "redis://host:port").value_or(redis.url);
  redis.host = r.string("host", Need::optional, "a host name or address").value_or(redis.host);
  if (auto port = r.integer("port", Need::optional, 1, 65535, "a port from 1 to 65535")) {
    redis.port = static_cast<unsigned short>(*port);
  }
  redis.password_env = r.string("password_env", Need::optional, "the name of the variable holding the password")
                           .value_or(redis.password_env);
  if (auto pool = r.integer("pool_size", Need::optional, 1, kMaxPool, "an integer from 1 to 64")) {
    redis.pool_size = static_cast<std::size_t>(*pool);
  }
  if (auto d = r.duration("connect_timeout")) redis.connect_timeout = *d;
  if (auto d = r.duration("command_timeout")) redis.command_timeout = *d;
  if (auto on = r.boolean("kv_cache")) redis.kv_cache = *on;
  if (auto d = r.duration("kv_cache_ttl")) redis.kv_cache_ttl = *d;
}

Result<void> set_output_hub(const std::string& value, const std::string& where, std::string& output_hub) {
  if (value != "in_process" && value != "redis") {
    const std::string prefix = where.empty() ? "" : where + ": ";
    return Error{Errc::invalid, prefix + "expected in_process or redis, got \"" + value + "\""};
  }
  output_hub = value;
  return ok_result();
}

Result<void> apply_redis_env(const RedisEnvLookup& env, std::string& output_hub, RedisConfig& redis) {
  if (auto v = env("AGENTRT_OUTPUT_HUB")) {
    if (auto set = set_output_hub(*v, "AGENTRT_OUTPUT_HUB", output_hub); !set) return set;
  }
  if (auto v = env("AGENTRT_REDIS_URL")) redis.url = *v;
  if (auto v = env("AGENTRT_REDIS_PASSWORD_ENV")) redis.password_env = *v;
  return ok_result();
}

Result<void> check_redis(const std::string& output_hub, const RedisConfig& redis, const std::string& where) {
  if (output_hub != "redis") return ok_result();
  if (!redis.url.empty() && redis.url.rfind("redis://", 0) != 0) {
    return Error{Errc::invalid, where + ": redis.url: expected redis://host:port (the password goes in password_env)"};
  }
  if (redis.url.empty() && redis.host.empty()) return Error{Errc::invalid, where + ": redis: give url or host"};
  if (redis.pool_size < 1 || redis.pool_size > static_cast<std::size_t>(kMaxPool)) {
    return Error{Errc::invalid, where + ": redis.pool_size: expected 1 to 64"};
  }
  if (redis.connect_timeout.count() <= 0 || redis.command_timeout.count() <= 0) {
    return Error{Errc::invalid, where + ": redis: connect_timeout and command_timeout must be positive"};
  }
  if (redis.kv_cache_ttl < std::chrono::seconds{1} || redis.kv_cache_ttl > std::chrono::hours{1} ||
      redis.kv_cache_ttl.count() % 1000 != 0) {
    return Error{Errc::invalid, where + ": redis.kv_cache_ttl: expected whole seconds from 1s to 1h"};
  }
  return ok_result();
}

}  // namespace agentrt::serve
