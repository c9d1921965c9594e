#pragma once
// Times and durations as an on-call engineer reads them. Every time is UTC, so two people
// comparing notes across time zones see the same clock.

#include <cstdint>
#include <string>

namespace agentrt {

// "2025-11-23T14:02:03.120Z"
std::string format_utc(std::int64_t time_ms);
// "14:02:03.120" (UTC), for timeline rows under a date line.
std::string format_clock(std::int64_t time_ms);
// "2025-11-23" (UTC)
std::string format_date(std::int64_t time_ms);
// A short human duration: "250ms", "3.2s", "45s", "12m3s", "2h5m", "3d4h". Negative: "-" prefix.
std::string format_duration(std::int64_t duration_ms);
// Relative to now: "12m3s ago" for the past, "in 5s" for the future.
std::string format_relative(std::int64_t time_ms, std::int64_t now_ms);

}  // namespace agentrt
