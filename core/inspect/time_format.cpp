#include "core/inspect/time_format.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace agentrt {
namespace {

struct UtcParts {
  int year, month, day, hour, minute, second, millis;
};

// Floor division, so times before 1970 still split into a valid day and time of day.
UtcParts split(std::int64_t time_ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> t{milliseconds{time_ms}};
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{t - day};
  return UtcParts{static_cast<int>(ymd.year()),          static_cast<int>(static_cast<unsigned>(ymd.month())),
                  static_cast<int>(static_cast<unsigned>(ymd.day())), static_cast<int>(hms.hours().count()),
                  static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                  static_cast<int>(hms.subseconds().count())};
}

}  // namespace

std::string format_utc(std::int64_t time_ms) {
  const auto p = split(time_ms);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", p.year, p.month, p.day, p.hour, p.minute,
                p.second, p.millis);
  return buf;
}

std::string format_clock(std::int64_t time_ms) {
  const auto p = split(time_ms);
  char buf[24];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%03d", p.hour, p.minute, p.second, p.millis);
  return buf;
}

std::string format_date(std::int64_t time_ms) {
  const auto p = split(time_ms);
  char buf[24];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", p.year, p.month, p.day);
  return buf;
}

std::string format_duration(std::int64_t duration_ms) {
  if (duration_ms < 0) return "-" + format_duration(-duration_ms);
  char buf[32];
  constexpr std::int64_t kSecond = 1000, kMinute = 60 * kSecond, kHour = 60 * kMinute, kDay = 24 * kHour;
  if (duration_ms < kSecond) {
    std::snprintf(buf, sizeof buf, "%lldms", static_cast<long long>(duration_ms));
  } else if (duration_ms < 10 * kSecond) {
    std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(duration_ms) / 1000.0);
  } else if (duration_ms < kMinute) {
    std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(duration_ms / kSecond));
  } else if (duration_ms < kHour) {
    std::snprintf(buf, sizeof buf, "%lldm%llds", static_cast<long long>(duration_ms / kMinute),
                  static_cast<long long>(duration_ms % kMinute / kSecond));
  } else if (duration_ms < kDay) {
    std::snprintf(buf, sizeof buf, "%lldh%lldm", static_cast<long long>(duration_ms / kHour),
                  static_cast<long long>(duration_ms % kHour / kMinute));
  } else {
    std::snprintf(buf, sizeof buf, "%lldd%lldh", static_cast<long long>(duration_ms / kDay),
                  static_cast<long long>(duration_ms % kDay / kHour));
  }
  return buf;
}

std::string format_relative(std::int64_t time_ms, std::int64_t now_ms) {
  if (time_ms <= now_ms) return format_duration(now_ms - time_ms) + " ago";
  return "in " + format_duration(time_ms - now_ms);
}

}  // namespace agentrt
