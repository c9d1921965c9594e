#pragma once
// RedisDefinitionCache: a read-through cache of pinned agent definitions by content hash, in
// Redis under `agentrt:def:<hash>` (the definition's JSON). A hash names one immutable value,
// so there is nothing to invalidate: entries only expire (ttl) when unused.
//
// get_many() reads every hash with one MGET, loads the misses through `loader` (the store, the
// source of truth), and writes them back in one pipeline (SET EX). Redis down or failing: every
// value comes from the loader, and the failure is counted, never returned: the cache can only
// make a read faster. A cached value that is not valid JSON (or nested too deep) is a miss and
// is overwritten. Hashes are validated (1..128 of [0-9A-Za-z:_-]) before they reach Redis.
//
// Per-org/per-bot KV will sit beside it on the KvStore port (issue 8, another branch): that
// port's Redis adapter would use this same RedisClient and MGET/pipeline pattern.
// Threading: on the client's executor.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "backends/redis/redis_client.hpp"
#include "core/model/error.hpp"

namespace agentrt {

struct RedisDefinitionCacheOptions {
  std::string key_prefix = "agentrt:def:";
  std::chrono::seconds ttl{24 * 3600};  // refreshed on every write-back
  std::size_t max_batch = 256;          // hashes per MGET
};

struct RedisDefinitionCacheStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;        // loaded from the store
  std::uint64_t redis_errors = 0;  // Redis failed: served from the store
};

class RedisDefinitionCache {
 public:
  // Loads one definition from the source of truth (the store's get_definition).
  using Loader = std::function<boost::asio::awaitable<Result<nlohmann::json>>(const std::string& hash)>;

  explicit RedisDefinitionCache(RedisClient& client, RedisDefinitionCacheOptions options = {});

  // The definitions of `hashes`, in order. Fails only when a hash is invalid or the loader fails.
  boost::asio::awaitable<Result<std::vector<nlohmann::json>>> get_many(std::vector<std::string> hashes, Loader loader);
  boost::asio::awaitable<Result<nlohmann::json>> get(std::string hash, Loader loader);

  [[nodiscard]] const RedisDefinitionCacheStats& stats() const { return stats_; }

 private:
  boost::asio::awaitable<std::vector<std::optional<nlohmann::json>>> read_cached(const std::vector<std::string>& hashes);
  boost::asio::awaitable<void> write_back(const std::vector<std::pair<std::string, std::string>>& entries);

  RedisClient& client_;
  RedisDefinitionCacheOptions options_;
  RedisDefinitionCacheStats stats_;
};

}  // namespace agentrt
