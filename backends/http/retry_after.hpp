#pragma once
// Retry-After (RFC 9110 10.2.3): delay-seconds or an HTTP-date.

#include <chrono>
#include <optional>
#include <string_view>

namespace agentrt {

// The delay the server asked for, counted from `now`; a date in the past gives 0.
// nullopt when the value is neither form.
[[nodiscard]] std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                                         std::chrono::system_clock::time_point now);

}  // namespace agentrt
