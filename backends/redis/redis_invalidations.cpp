#include "backends/redis/redis_invalidations.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace agentrt {

namespace asio = boost::asio;

namespace {

// A kv key (kv_entry_name: 8 + 128 + 128 + 512 bytes) is the longest; JSON escaping may grow it 6x.
constexpr std::size_t kMaxPayload = 8192;
constexpr std::size_t kMaxKind = 64;
constexpr std::size_t kMaxKey = 1024;
constexpr std::size_t kMaxOrigin = 512;

Result<void> check(const Invalidation& i) {
  if (i.kind.empty() || i.kind.size() > kMaxKind) return Error{Errc::invalid, "invalidation: kind must be 1..64 characters"};
  if (i.key.size() > kMaxKey || i.origin.size() > kMaxOrigin) return Error{Errc::invalid, "invalidation: key or origin too long"};
  return ok_result();
}

}  // namespace

std::string encode_invalidation(const Invalidation& i) {
  return nlohmann::json{{"kind", i.kind}, {"key", i.key}, {"origin", i.origin}}.dump(-1, ' ', false,
                                                                                    nlohmann::json::error_handler_t::replace);
}

Result<Invalidation> decode_invalidation(std::string_view payload) {
  if (payload.size() > kMaxPayload) return Error{Errc::invalid, "invalidation: message too large"};
  const auto parsed = nlohmann::json::parse(payload, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return Error{Errc::invalid, "invalidation: not a JSON object"};
  Invalidation out;
  for (auto [field, target] : {std::pair{"kind", &out.kind}, std::pair{"key", &out.key}, std::pair{"origin", &out.origin}}) {
    const auto found = parsed.find(field);
    if (found == parsed.end()) continue;
    if (!found->is_string()) return Error{Errc::invalid, std::string("invalidation: ") + field + ": expected a string"};
    *target = found->get<std::string>();
  }
  if (auto checked = check(out); !checked) return checked.error();
  return out;
}

RedisInvalidations::RedisInvalidations(RedisClient& client, RedisSubscriber& subscriber, std::string channel)
    : client_(client), subscriber_(subscriber), channel_(std::move(channel)) {}

asio::awaitable<Result<void>> RedisInvalidations::publish(const Invalidation& invalidation) {
  if (auto checked = check(invalidation); !checked) co_return checked.error();
  auto published = co_await client_.command(publish_command(invalidation));
  if (!published) co_return published.error().with_context("publish invalidation " + invalidation.kind);
  co_return ok_result();
}

RedisCommand RedisInvalidations::publish_command(const Invalidation& invalidation) const {
  return RedisCommand{"PUBLISH", channel_, encode_invalidation(invalidation)};
}

RedisSubscriber::Token RedisInvalidations::listen(std::function<void(const Invalidation&)> handler) {
  return subscriber_.subscribe(channel_, [handler = std::move(handler)](std::string_view payload) {
    auto decoded = decode_invalidation(payload);
    if (!decoded) {
      spdlog::debug("{}", decoded.error().message);
      return;
    }
    handler(*decoded);
  });
}

}  // namespace agentrt
