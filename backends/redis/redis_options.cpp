#include "backends/redis/redis_options.hpp"

#include <charconv>

namespace agentrt {

std::string RedisOptions::server_name() const { return "redis " + host + ":" + std::to_string(port); }

Result<void> parse_redis_url(const std::string& url, RedisOptions& options) {
  constexpr std::string_view kScheme = "redis://";
  if (url.rfind(kScheme, 0) != 0) return Error{Errc::invalid, "redis.url: expected redis://host[:port]"};
  std::string_view rest = std::string_view(url).substr(kScheme.size());
  if (rest.find('@') != std::string_view::npos) {
    return Error{Errc::invalid, "redis.url: credentials are not accepted in the url; name a variable in redis.password_env"};
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) return Error{Errc::invalid, "redis.url: a database number is not supported"};
  std::string_view host = rest;
  unsigned short port = 6379;
  if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    const auto digits = rest.substr(colon + 1);
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || value == 0 || value > 65535) {
      return Error{Errc::invalid, "redis.url: expected a port 1..65535 in \"" + url + "\""};
    }
    port = static_cast<unsigned short>(value);
  }
  if (host.empty()) return Error{Errc::invalid, "redis.url: no host in \"" + url + "\""};
  options.host = std::string(host);
  options.port = port;
  return ok_result();
}

Result<void> check_redis_options(const RedisOptions& o) {
  if (o.pool_size < 1 || o.pool_size > 64) return Error{Errc::invalid, "redis.pool_size: expected 1..64"};
  if (o.connect_timeout.count() <= 0 || o.command_timeout.count() <= 0) {
    return Error{Errc::invalid, "redis: connect_timeout and command_timeout must be positive"};
  }
  if (o.reconnect_delay_min.count() <= 0 || o.reconnect_delay_max < o.reconnect_delay_min) {
    return Error{Errc::invalid, "redis: expected 0 < reconnect_delay_min <= reconnect_delay_max"};
  }
  if (o.max_reply_bytes < 1024) return Error{Errc::invalid, "redis.max_reply_bytes: expected at least 1024"};
  if (o.max_pipeline < 1) return Error{Errc::invalid, "redis.max_pipeline: expected at least 1"};
  return ok_result();
}

}  // namespace agentrt
