#include "core/definition/object_reader.hpp"

#include <algorithm>
#include <cctype>

#include "core/definition/duration.hpp"

namespace agentrt {
namespace {

using nlohmann::json;

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const auto same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string join(const std::vector<std::string_view>& names) {
  std::string text;
  for (auto name : names) text += (text.empty() ? "" : ", ") + std::string(name);
  return text;
}

}  // namespace

std::string_view closest_key(std::string_view key, const std::vector<std::string_view>& known) {
  std::string_view best;
  std::size_t best_distance = 3;  // more than two edits is not a typo
  for (auto candidate : known) {
    const std::size_t d = edit_distance(key, candidate);
    if (d < best_distance && d < std::max<std::size_t>(candidate.size() / 2, 1)) {
      best = candidate;
      best_distance = d;
    }
  }
  return best;
}

ObjectReader::ObjectReader(const json& object, std::string path, Diagnostics& diag, std::vector<std::string_view> known)
    : object_(object), path_(std::move(path)), diag_(diag) {
  for (const auto& [key, ignored] : object_.items()) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    const auto suggestion = closest_key(key, known);
    std::string what = "unknown key " + quote_text(key);
    what += suggestion.empty() ? " (expected one of: " + join(known) + ")"
                               : " (did you mean " + quote_text(suggestion) + "?)";
    diag_.key_error(path_of(key), what);
  }
}

std::string ObjectReader::path_of(std::string_view key) const { return child_path(path_, key); }

const json* ObjectReader::find(std::string_view key) const {
  const auto it = object_.find(key);
  return it == object_.end() ? nullptr : &*it;
}

const json* ObjectReader::present(std::string_view key, Need need, std::string_view expectation) const {
  const json* value = find(key);
  if (value == nullptr && need == Need::required) diag_.missing(path_of(key), "required: " + std::string(expectation));
  return value;
}

void ObjectReader::wrong(std::string_view key, std::string_view expectation, const json& got) const {
  diag_.error(path_of(key), "expected " + std::string(expectation) + ", got " + describe_value(got));
}

std::optional<std::string> read_string(const json& value, const std::string& path, Diagnostics& diag,
                                       std::string_view expectation) {
  if (value.is_string()) return value.get<std::string>();
  std::string what = "expected " + std::string(expectation) + ", got " + describe_value(value);
  if (value.is_number() || value.is_boolean()) what += " (put it in quotes to make it a string)";
  diag.error(path, what);
  return std::nullopt;
}

std::optional<std::string> ObjectReader::string(std::string_view key, Need need, std::string_view expectation) const {
  const json* value = present(key, need, expectation);
  if (value == nullptr) return std::nullopt;
  return read_string(*value, path_of(key), diag_, expectation);
}

std::optional<long long> ObjectReader::integer(std::string_view key, Need need, long long min, long long max,
                                               std::string_view expectation) const {
  const json* value = present(key, need, expectation);
  if (value == nullptr) return std::nullopt;
  if (value->is_number_unsigned() && value->get<unsigned long long>() <= static_cast<unsigned long long>(max)) {
    const auto v = static_cast<long long>(value->get<unsigned long long>());
    if (v >= min) return v;
  } else if (value->is_number_integer() && !value->is_number_unsigned()) {
    const auto v = value->get<long long>();
    if (v >= min && v <= max) return v;
  }
  wrong(key, expectation, *value);
  return std::nullopt;
}

std::optional<double> ObjectReader::number(std::string_view key, Need need, double min, double max,
                                           std::string_view expectation) const {
  const json* value = present(key, need, expectation);
  if (value == nullptr) return std::nullopt;
  if (value->is_number()) {
    const auto v = value->get<double>();
    if (v >= min && v <= max) return v;
  }
  wrong(key, expectation, *value);
  return std::nullopt;
}

std::optional<bool> ObjectReader::boolean(std::string_view key) const {
  const json* value = find(key);
  if (value == nullptr) return std::nullopt;
  if (value->is_boolean()) return value->get<bool>();
  wrong(key, "true or false", *value);
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> ObjectReader::duration(std::string_view key) const {
  const json* value = find(key);
  if (value == nullptr) return std::nullopt;
  if (auto d = duration_from_json(*value)) return d;
  wrong(key, kDurationExpectation, *value);
  return std::nullopt;
}

const json* ObjectReader::mapping(std::string_view key, Need need, std::string_view expectation) const {
  const json* value = present(key, need, expectation);
  if (value == nullptr || value->is_object()) return value;
  wrong(key, expectation, *value);
  return nullptr;
}

const json* ObjectReader::list(std::string_view key, Need need, std::string_view expectation) const {
  const json* value = present(key, need, expectation);
  if (value == nullptr || value->is_array()) return value;
  wrong(key, expectation, *value);
  return nullptr;
}

}  // namespace agentrt
