#include "backends/redis/redis_kv_cache.hpp"

#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include <spdlog/spdlog.h>

#include "core/model/kv_bounds.hpp"

namespace agentrt {

namespace asio = boost::asio;
using asio::awaitable;

namespace {

constexpr char kValueTag = 'v';
constexpr char kMissingTag = 'n';

// What a cached text says: a value, known missing (nullopt inside), or nothing usable (nullopt).
std::optional<std::optional<nlohmann::json>> parse_cached(const RedisReply& reply, std::string_view what) {
  if (reply.type != RedisReply::Type::string || reply.str.empty() || reply.str.size() > kKvValueBytesMax + 1) {
    return std::nullopt;
  }
  if (reply.str.size() == 1 && reply.str[0] == kMissingTag) return std::optional<nlohmann::json>{};
  if (reply.str[0] != kValueTag) return std::nullopt;
  auto value = decode_kv_value(std::string_view(reply.str).substr(1), what);
  if (!value) return std::nullopt;
  return std::optional<nlohmann::json>{std::move(*value)};
}

std::vector<std::string> unique_keys(const std::vector<std::string>& keys) {
  std::set<std::string_view> seen;  // views into `keys`, which stays put
  std::vector<std::string> out;
  out.reserve(keys.size());
  for (const auto& key : keys) {
    if (seen.insert(key).second) out.push_back(key);
  }
  return out;
}

}  // namespace

RedisKvCache::RedisKvCache(RedisClient& client, KvStore& store, RedisInvalidations* invalidations,
                           RedisKvCacheOptions options)
    : client_(client),
      store_(store),
      invalidations_(invalidations),
      options_(std::move(options)) {}

RedisKvCacheStats RedisKvCache::stats() const { return RedisKvCacheStats{hits_.load(), misses_.load(), redis_errors_.load()}; }

std::string RedisKvCache::redis_key(const KvScope& scope, const std::string& key) const {
  return options_.key_prefix + kv_entry_name(scope.org, scope.bot, key);
}

awaitable<Result<KvEntries>> RedisKvCache::get_many(KvScope scope, std::vector<std::string> keys) {
  const auto what = "kv get " + kv_scope_name(scope.org, scope.bot);
  if (auto valid = check_kv_scope(scope.org, scope.bot, what); !valid) co_return valid.error();
  if (auto valid = check_kv_keys(keys, what); !valid) co_return valid.error();
  keys = unique_keys(keys);
  KvEntries found;
  if (keys.empty()) co_return found;
  const std::uint64_t generation = generation_;

  std::vector<std::string> misses;
  RedisCommand mget{"MGET"};
  for (const auto& key : keys) mget.push_back(redis_key(scope, key));
  auto reply = co_await client_.command(std::move(mget));
  if (!reply || reply->type != RedisReply::Type::array || reply->elements.size() != keys.size()) {
    ++redis_errors_;
    if (!reply) spdlog::debug("kv cache: {}: {}", what, reply.error().message);
    misses = keys;
  } else {
    for (std::size_t i = 0; i < keys.size(); ++i) {
      auto cached = parse_cached(reply->elements[i], what);
      if (!cached) {
        misses.push_back(keys[i]);
      } else if (*cached) {
        found[keys[i]] = std::move(**cached);
      }
    }
  }
  hits_ += keys.size() - misses.size();
  misses_ += misses.size();
  if (misses.empty()) co_return found;

  auto read = co_await store_.get_many(scope, misses);
  if (!read) co_return read.error();
  // A read that overlapped a write of this process may hold the old value: not cached.
  const bool cacheable = generation == generation_ && writes_running_ == 0 && client_.up();
  std::vector<RedisCommand> sets;
  const std::string ttl = std::to_string(options_.ttl.count());
  for (const auto& key : misses) {
    auto it = read->find(key);
    if (cacheable) {
      std::string text(1, kMissingTag);
      if (it != read->end()) {
        auto encoded = encode_kv_value(it->second, what);
        text = encoded ? kValueTag + *encoded : std::string{};
      }
      if (!text.empty()) sets.push_back(RedisCommand{"SET", redis_key(scope, key), std::move(text), "EX", ttl});
    }
    if (it != read->end()) found[key] = std::move(it->second);
  }
  if (!sets.empty()) {
    auto written = co_await client_.pipeline(std::move(sets));
    if (!written) ++redis_errors_;
  }
  co_return found;
}

awaitable<Result<void>> RedisKvCache::put_many(KvScope scope, KvEntries entries) {
  std::vector<std::string> keys;
  keys.reserve(entries.size());
  for (const auto& entry : entries) keys.push_back(entry.first);
  co_return co_await write(std::move(scope), std::move(keys), std::move(entries));
}

awaitable<Result<void>> RedisKvCache::erase_many(KvScope scope, std::vector<std::string> keys) {
  co_return co_await write(std::move(scope), std::move(keys), std::nullopt);
}

awaitable<Result<void>> RedisKvCache::write(KvScope scope, std::vector<std::string> keys, std::optional<KvEntries> entries) {
  ++generation_;
  ++writes_running_;
  Result<void> done = ok_result();
  if (entries) {
    done = co_await store_.put_many(scope, std::move(*entries));
  } else {
    done = co_await store_.erase_many(scope, keys);
  }
  --writes_running_;
  ++generation_;
  // Invalid: nothing was written. Anything else (a partial DynamoDB batch included) may have
  // changed some keys: drop them all.
  if (!done && done.error().code == Errc::invalid) co_return done;
  co_await forget(scope, unique_keys(keys));
  co_return done;
}

awaitable<void> RedisKvCache::forget(const KvScope& scope, const std::vector<std::string>& keys) {
  if (keys.empty()) co_return;
  std::vector<RedisCommand> commands;
  RedisCommand del{"DEL"};
  for (const auto& key : keys) del.push_back(redis_key(scope, key));
  commands.push_back(std::move(del));
  if (invalidations_ != nullptr) {
    for (const auto& key : keys) {
      commands.push_back(invalidations_->publish_command(
          Invalidation{kInvalidationKind, kv_entry_name(scope.org, scope.bot, key), options_.origin}));
    }
  }
  auto done = co_await client_.pipeline(std::move(commands));
  if (!done) {
    ++redis_errors_;
    spdlog::debug("kv cache: forget {}: {}", kv_scope_name(scope.org, scope.bot), done.error().message);
  }
}

}  // namespace agentrt
