#pragma once
// Durations in definition files: "250ms", "5s", "1.5s", "5m", "1h", or a plain number of
// seconds (5, 0.25). Always > 0 and at most kMaxDuration.

#include <chrono>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

namespace agentrt {

inline constexpr std::chrono::milliseconds kMaxDuration = std::chrono::hours{24 * 366};
inline constexpr std::string_view kDurationExpectation =
    "a duration > 0 such as \"250ms\", \"5s\", \"1.5s\", \"5m\", \"1h\" or a number of seconds";

// nullopt when the text is not a valid duration (bad syntax, unit, zero, negative, too long).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// A JSON string is parsed as above; a JSON number is seconds.
std::optional<std::chrono::milliseconds> duration_from_json(const nlohmann::json& value);

}  // namespace agentrt
