#include "backends/redis/redis_definition_cache.hpp"

#include <optional>

#include <spdlog/spdlog.h>

namespace agentrt {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kMaxHashLength = 128;
constexpr int kMaxDepth = 64;

bool valid_hash(const std::string& hash) {
  if (hash.empty() || hash.size() > kMaxHashLength) return false;
  for (const char c : hash) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == ':' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::optional<nlohmann::json> parse_cached(const std::string& text) {
  bool too_deep = false;
  auto parsed = nlohmann::json::parse(
      text,
      [&too_deep](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
        if (depth > kMaxDepth) too_deep = true;
        return !too_deep;
      },
      false);
  if (too_deep || parsed.is_discarded()) return std::nullopt;
  return parsed;
}

}  // namespace

RedisDefinitionCache::RedisDefinitionCache(RedisClient& client, RedisDefinitionCacheOptions options)
    : client_(client), options_(std::move(options)) {}

asio::awaitable<std::vector<std::optional<nlohmann::json>>> RedisDefinitionCache::read_cached(
    const std::vector<std::string>& hashes) {
  std::vector<std::optional<nlohmann::json>> found(hashes.size());
  for (std::size_t start = 0; start < hashes.size(); start += options_.max_batch) {
    const std::size_t end = std::min(hashes.size(), start + options_.max_batch);
    RedisCommand mget{"MGET"};
    for (std::size_t i = start; i < end; ++i) mget.push_back(options_.key_prefix + hashes[i]);
    auto reply = co_await client_.command(std::move(mget));
    if (!reply || reply->type != RedisReply::Type::array || reply->elements.size() != end - start) {
      ++stats_.redis_errors;
      if (!reply) spdlog::debug("definition cache: {}", reply.error().message);
      co_return found;  // what is missing comes from the store
    }
    for (std::size_t i = start; i < end; ++i) {
      const auto& value = reply->elements[i - start];
      if (value.type == RedisReply::Type::string) found[i] = parse_cached(value.str);
    }
  }
  co_return found;
}

asio::awaitable<void> RedisDefinitionCache::write_back(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::vector<RedisCommand> sets;
  sets.reserve(entries.size());
  const std::string ttl = std::to_string(options_.ttl.count());
  for (const auto& [hash, text] : entries) sets.push_back(RedisCommand{"SET", options_.key_prefix + hash, text, "EX", ttl});
  for (std::size_t start = 0; start < sets.size(); start += options_.max_batch) {
    const std::size_t end = std::min(sets.size(), start + options_.max_batch);
    std::vector<RedisCommand> chunk(std::make_move_iterator(sets.begin() + static_cast<std::ptrdiff_t>(start)),
                                    std::make_move_iterator(sets.begin() + static_cast<std::ptrdiff_t>(end)));
    auto written = co_await client_.pipeline(std::move(chunk));
    if (!written) {
      ++stats_.redis_errors;
      co_return;
    }
  }
}

asio::awaitable<Result<std::vector<nlohmann::json>>> RedisDefinitionCache::get_many(std::vector<std::string> hashes,
                                                                                  Loader loader) {
  for (const auto& hash : hashes) {
    if (!valid_hash(hash)) co_return Error{Errc::invalid, "definition cache: invalid definition hash"};
  }
  auto cached = co_await read_cached(hashes);
  std::vector<nlohmann::json> values;
  values.reserve(hashes.size());
  std::vector<std::pair<std::string, std::string>> loaded;
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    if (cached[i]) {
      ++stats_.hits;
      values.push_back(std::move(*cached[i]));
      continue;
    }
    ++stats_.misses;
    auto value = co_await loader(hashes[i]);
    if (!value) co_return value.error();
    loaded.emplace_back(hashes[i], value->dump());
    values.push_back(std::move(value.value()));
  }
  if (!loaded.empty() && client_.up()) co_await write_back(loaded);
  co_return values;
}

asio::awaitable<Result<nlohmann::json>> RedisDefinitionCache::get(std::string hash, Loader loader) {
  std::vector<std::string> one{std::move(hash)};
  auto values = co_await get_many(std::move(one), std::move(loader));
  if (!values) co_return values.error();
  co_return std::move(values->front());
}

}  // namespace agentrt
