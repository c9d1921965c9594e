#include "backends/memory/caching_kv_store.hpp"

#include <list>
#include <mutex>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/model/kv_bounds.hpp"

namespace agentrt {
namespace {

using boost::asio::awaitable;
using json = nlohmann::json;
using Time = std::chrono::steady_clock::time_point;

constexpr std::size_t kEntryOverheadBytes = 96;  // list node, map node, bookkeeping

std::string cache_key(const KvScope& scope, const std::string& key) { return kv_entry_name(scope.org, scope.bot, key); }

class LruKvCache final : public CachingKvStore {
 public:
  LruKvCache(KvStore& store, const Clock& clock, KvCacheOptions options)
      : store_(store), clock_(clock), options_(options) {}

  awaitable<Result<KvEntries>> get_many(KvScope scope, std::vector<std::string> keys) override {
    const auto what = "kv get " + kv_scope_name(scope.org, scope.bot);
    if (auto valid = check_kv_scope(scope.org, scope.bot, what); !valid) co_return valid.error();
    if (auto valid = check_kv_keys(keys, what); !valid) co_return valid.error();
    KvEntries found;
    std::vector<std::string> misses;
    std::uint64_t generation = 0;
    {
      std::lock_guard lock(mutex_);
      generation = generation_;
      std::set<std::string_view> seen;
      for (const auto& key : keys) {
        if (!seen.insert(key).second) continue;
        auto cached = lookup(cache_key(scope, key));
        if (!cached) {
          misses.push_back(key);
        } else if (*cached) {
          found[key] = **cached;
        }
      }
      stats_.hits += seen.size() - misses.size();
      stats_.misses += misses.size();
    }
    if (misses.empty()) co_return found;
    auto read = co_await store_.get_many(scope, misses);
    if (!read) co_return read.error();
    std::lock_guard lock(mutex_);
    const bool unchanged = generation == generation_ && writes_running_ == 0;
    for (const auto& key : misses) {
      auto it = read->find(key);
      std::optional<json> value;
      if (it != read->end()) value = it->second;
      if (unchanged) insert(cache_key(scope, key), value);
      if (value) found[key] = std::move(*value);
    }
    co_return found;
  }

  awaitable<Result<void>> put_many(KvScope scope, KvEntries entries) override {
    std::vector<std::string> keys;
    for (const auto& entry : entries) keys.push_back(entry.first);
    begin_write(scope, keys);
    auto done = co_await store_.put_many(scope, std::move(entries));
    end_write(scope, keys);
    co_return done;
  }

  awaitable<Result<void>> erase_many(KvScope scope, std::vector<std::string> keys) override {
    begin_write(scope, keys);
    auto done = co_await store_.erase_many(scope, keys);
    end_write(scope, keys);
    co_return done;
  }

  void invalidate(const KvScope& scope, const std::vector<std::string>& keys) override {
    std::lock_guard lock(mutex_);
    ++generation_;
    forget(scope, keys);
  }

  [[nodiscard]] KvCacheStats stats() const override {
    std::lock_guard lock(mutex_);
    auto out = stats_;
    out.entries = entries_.size();
    out.bytes = bytes_;
    return out;
  }

 private:
  struct Entry {
    std::optional<json> value;  // nullopt: known to be missing
    std::size_t bytes = 0;
    Time stored{};
    std::list<std::string>::iterator use;  // position in use_ (front: most recent)
  };

  // The cached answer (a value, or nullopt for a known-missing key); nullopt when not cached
  // or expired. Caller holds mutex_.
  std::optional<std::optional<json>> lookup(const std::string& key) {
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    if (clock_.monotonic() - it->second.stored >= options_.ttl) {
      drop(it);
      return std::nullopt;
    }
    use_.splice(use_.begin(), use_, it->second.use);
    return it->second.value;
  }

  void insert(const std::string& key, const std::optional<json>& value) {
    if (auto old = entries_.find(key); old != entries_.end()) drop(old);
    const std::size_t bytes = key.size() + (value ? value->dump().size() : 0) + kEntryOverheadBytes;
    if (bytes > options_.bytes_max || options_.entries_max == 0) return;
    while (!use_.empty() && (entries_.size() + 1 > options_.entries_max || bytes_ + bytes > options_.bytes_max)) {
      drop(entries_.find(use_.back()));
    }
    use_.push_front(key);
    entries_.emplace(key, Entry{value, bytes, clock_.monotonic(), use_.begin()});
    bytes_ += bytes;
  }

  void drop(std::unordered_map<std::string, Entry>::iterator it) {
    bytes_ -= it->second.bytes;
    use_.erase(it->second.use);
    entries_.erase(it);
  }

  void forget(const KvScope& scope, const std::vector<std::string>& keys) {
    for (const auto& key : keys) {
      if (auto it = entries_.find(cache_key(scope, key)); it != entries_.end()) drop(it);
    }
  }

  void begin_write(const KvScope& scope, const std::vector<std::string>& keys) {
    std::lock_guard lock(mutex_);
    ++generation_;
    ++writes_running_;
    forget(scope, keys);
  }

  // Also after a failed write: it may have applied some entries (DynamoDB chunks).
  void end_write(const KvScope& scope, const std::vector<std::string>& keys) {
    std::lock_guard lock(mutex_);
    ++generation_;
    --writes_running_;
    forget(scope, keys);
  }

  KvStore& store_;
  const Clock& clock_;
  const KvCacheOptions options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;  // guarded by mutex_
  std::list<std::string> use_;                      // guarded by mutex_; cache keys, most recent first
  std::size_t bytes_ = 0;                           // guarded by mutex_
  std::uint64_t generation_ = 0;                    // guarded by mutex_; bumped at each write's start and end
  std::size_t writes_running_ = 0;                  // guarded by mutex_
  KvCacheStats stats_;                              // guarded by mutex_ (hits, misses)
};

}  // namespace

std::unique_ptr<CachingKvStore> make_caching_kv_store(KvStore& store, const Clock& clock, KvCacheOptions options) {
  return std::make_unique<LruKvCache>(store, clock, options);
}

}  // namespace agentrt
