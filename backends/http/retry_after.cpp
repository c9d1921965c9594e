#include "backends/http/retry_after.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <string>

#include <curl/curl.h>

namespace agentrt {
namespace {

constexpr long long kSecondsMax = 365LL * 24 * 3600;  // anything longer is clamped (callers cap it anyway)

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::chrono::system_clock::time_point now) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    long long seconds = kSecondsMax;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec == std::errc::result_out_of_range) seconds = kSecondsMax;
    return std::chrono::milliseconds(std::min(seconds, kSecondsMax) * 1000);
  }
  const std::string text(value);
  const std::time_t when = curl_getdate(text.c_str(), nullptr);  // RFC 1123/850, asctime forms
  if (when == -1) return std::nullopt;
  const auto delay = std::chrono::system_clock::from_time_t(when) - now;
  return std::max(std::chrono::milliseconds(0), std::chrono::duration_cast<std::chrono::milliseconds>(delay));
}

}  // namespace agentrt
