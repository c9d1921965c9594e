#include "core/definition/duration.hpp"

#include <charconv>
#include <cmath>

namespace agentrt {
namespace {

std::optional<std::chrono::milliseconds> from_amount(double amount, double ms_per_unit) {
  if (!std::isfinite(amount) || amount <= 0) return std::nullopt;
  const double ms = std::round(amount * ms_per_unit);
  if (ms < 1 || ms > static_cast<double>(kMaxDuration.count())) return std::nullopt;
  return std::chrono::milliseconds{static_cast<long long>(ms)};
}

bool is_plain_decimal(std::string_view s) {
  // digits, optionally one '.' followed by digits; no sign, no exponent
  std::size_t digits = 0;
  std::size_t dots = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] >= '0' && s[i] <= '9') {
      ++digits;
    } else if (s[i] == '.' && dots == 0 && digits > 0 && i + 1 < s.size()) {
      ++dots;
    } else {
      return false;
    }
  }
  return digits > 0;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::size_t unit_start = text.size();
  while (unit_start > 0 && ((text[unit_start - 1] >= 'a' && text[unit_start - 1] <= 'z'))) --unit_start;
  const std::string_view number = text.substr(0, unit_start);
  const std::string_view unit = text.substr(unit_start);
  double ms_per_unit = 0;
  if (unit == "ms") {
    ms_per_unit = 1;
  } else if (unit == "s" || unit.empty()) {
    ms_per_unit = 1000;
  } else if (unit == "m") {
    ms_per_unit = 60'000;
  } else if (unit == "h") {
    ms_per_unit = 3'600'000;
  } else {
    return std::nullopt;
  }
  if (!is_plain_decimal(number)) return std::nullopt;
  double amount = 0;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), amount);
  if (ec != std::errc{} || end != number.data() + number.size()) return std::nullopt;
  return from_amount(amount, ms_per_unit);
}

std::optional<std::chrono::milliseconds> duration_from_json(const nlohmann::json& value) {
  if (value.is_string()) return parse_duration(value.get_ref<const std::string&>());
  if (value.is_number()) return from_amount(value.get<double>(), 1000);
  return std::nullopt;
}

}  // namespace agentrt
