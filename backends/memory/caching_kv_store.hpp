#pragma once
// CachingKvStore: an in-process LRU read cache in front of any KvStore (DESIGN.md: "KV + cache").
//
// - get_many answers what it holds from the cache (found values and known-missing keys alike)
//   and reads only the rest from the store, in one call.
// - Bounded: at most `entries_max` cached keys and `bytes_max` bytes (keys plus encoded
//   values); the least recently used go first.
// - This process's own writes invalidate: put_many/erase_many drop their keys before and after
//   the store call, and a read that was in flight while any write ran is not cached (so it
//   cannot put back a value older than the write).
// - Other processes' writes (other serve workers) are seen once a cached answer is `ttl` old
//   (default 5 s), or at once when something calls invalidate() for them: serve does on each
//   Redis "kv" invalidation message (backends/redis/redis_kv_cache.hpp). Without Redis, KV
//   read through this cache is eventually consistent across workers.
// Threads: any executor; one mutex guards the cache, never held across a store call.

#include <chrono>
#include <cstddef>
#include <memory>

#include "core/ports/clock.hpp"
#include "core/ports/kv_store.hpp"

namespace agentrt {

struct KvCacheOptions {
  std::size_t entries_max = 10'000;          // cached keys (found or missing); default 10,000
  std::size_t bytes_max = 64 * 1024 * 1024;  // keys + encoded values; default 64 MiB
  std::chrono::milliseconds ttl{5'000};      // how long a cached answer is used; default 5 s
};

struct KvCacheStats {
  std::size_t hits = 0;     // keys answered from the cache
  std::size_t misses = 0;   // keys read from the store
  std::size_t entries = 0;  // cached now
  std::size_t bytes = 0;    // cached now
};

class CachingKvStore;

// `store` and `clock` must outlive the cache.
std::unique_ptr<CachingKvStore> make_caching_kv_store(KvStore& store, const Clock& clock, KvCacheOptions options = {});

class CachingKvStore : public KvStore {
 public:
  [[nodiscard]] virtual KvCacheStats stats() const = 0;
  // Drops `keys` of `scope` (another process wrote them); a read in flight is not cached.
  virtual void invalidate(const KvScope& scope, const std::vector<std::string>& keys) = 0;
};

}  // namespace agentrt
