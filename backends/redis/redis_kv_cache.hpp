#pragma once
// RedisKvCache: a KvStore that reads per-org/per-bot KV through Redis and writes through to the
// store beneath it (the source of truth: SQLite or DynamoDB). Serve puts it under the
// in-process LRU (backends/memory/caching_kv_store.hpp), so a read goes LRU, then Redis, then
// the store, and every worker shares what any of them read.
//
// - get_many: one MGET for every key (`agentrt:kv:` + kv_entry_name), the misses from the store
//   in one call, written back in one pipeline (SET EX ttl). A key the store does not have is
//   cached as missing too. Cached text is "v" + the value's JSON or "n" (missing); anything
//   else (corrupt, foreign) is a miss and is overwritten.
// - put_many/erase_many: the store first; then, whatever the store answered (a DynamoDB batch
//   may have applied part), one pipeline DELetes the keys from Redis and PUBLISHes one "kv"
//   invalidation per key (redis_invalidations.hpp) so other workers drop them from their LRU
//   at once instead of after its TTL.
// - Consistency: a reader on worker B that fetched a value from the store before worker A's
//   write and writes it back after A's DEL leaves the old value in Redis until `ttl`; the same
//   race within one process is closed by not writing back a read that overlapped a write.
//   Hence a short default ttl (60 s) and the store as the only truth (history never reads
//   through here).
// - Redis down, slow or answering nonsense: every key comes from (or goes to) the store, and
//   the failure is counted in stats(), never returned: the cache can only make reads faster.
// - Bounds are checked first (core/model/kv_bounds.hpp), as every KvStore does.
// Threading: unlike the KvStore contract's "any executor", call it on the Redis client's
// executor (serve's io_context, where the worker and the API run): RedisClient is
// single-threaded, and a hop per call would cost more than the Redis round trip it saves.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "backends/redis/redis_client.hpp"
#include "backends/redis/redis_invalidations.hpp"
#include "core/ports/kv_store.hpp"

namespace agentrt {

struct RedisKvCacheOptions {
  std::string key_prefix = "agentrt:kv:";
  std::chrono::seconds ttl{60};
  std::string origin;  // this worker's id, carried by its invalidations (listeners skip their own)
};

struct RedisKvCacheStats {
  std::uint64_t hits = 0;          // keys answered by Redis (found or known missing)
  std::uint64_t misses = 0;        // keys read from the store
  std::uint64_t redis_errors = 0;  // Redis calls that failed: served from or written to the store only
};

class RedisKvCache final : public KvStore {
 public:
  // `client` and `store` must outlive the cache; `invalidations` may be null (no publishing).
  RedisKvCache(RedisClient& client, KvStore& store, RedisInvalidations* invalidations, RedisKvCacheOptions options = {});

  boost::asio::awaitable<Result<KvEntries>> get_many(KvScope scope, std::vector<std::string> keys) override;
  boost::asio::awaitable<Result<void>> put_many(KvScope scope, KvEntries entries) override;
  boost::asio::awaitable<Result<void>> erase_many(KvScope scope, std::vector<std::string> keys) override;

  [[nodiscard]] RedisKvCacheStats stats() const;

  // The kind of the invalidation messages of written keys; their key is kv_entry_name().
  static constexpr const char* kInvalidationKind = "kv";

 private:
  // entries: put them; nullopt: erase `keys`.
  boost::asio::awaitable<Result<void>> write(KvScope scope, std::vector<std::string> keys, std::optional<KvEntries> entries);
  boost::asio::awaitable<void> forget(const KvScope& scope, const std::vector<std::string>& keys);
  [[nodiscard]] std::string redis_key(const KvScope& scope, const std::string& key) const;

  RedisClient& client_;
  KvStore& store_;
  RedisInvalidations* invalidations_;
  RedisKvCacheOptions options_;
  // Touched on the client's executor only; atomics so stats() can be read from anywhere.
  std::uint64_t generation_ = 0;  // bumped at each write's start and end
  std::size_t writes_running_ = 0;
  std::atomic<std::uint64_t> hits_{0};
  std::atomic<std::uint64_t> misses_{0};
  std::atomic<std::uint64_t> redis_errors_{0};
};

}  // namespace agentrt
