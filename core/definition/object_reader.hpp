#pragma once
// Typed, checked access to one mapping of a definition. Construction reports every key not in
// `known` ("unknown key \"timout\" (did you mean \"timeout\"?)"), so typos never pass silently.
// Each getter reports a missing or mistyped field to the Diagnostics and returns nullopt;
// the parser carries on to find more problems.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/definition/diagnostics.hpp"

namespace agentrt {

enum class Need { optional, required };

class ObjectReader {
 public:
  ObjectReader(const nlohmann::json& object, std::string path, Diagnostics& diag, std::vector<std::string_view> known);

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string path_of(std::string_view key) const;
  [[nodiscard]] Diagnostics& diag() const { return diag_; }
  // nullptr when the key is absent.
  [[nodiscard]] const nlohmann::json* find(std::string_view key) const;
  [[nodiscard]] bool has(std::string_view key) const { return find(key) != nullptr; }

  // `expectation` completes "expected ..." and "missing (required ...)", e.g. "an integer >= 1".
  std::optional<std::string> string(std::string_view key, Need need, std::string_view expectation) const;
  std::optional<long long> integer(std::string_view key, Need need, long long min, long long max,
                                   std::string_view expectation) const;
  std::optional<double> number(std::string_view key, Need need, double min, double max,
                               std::string_view expectation) const;
  std::optional<bool> boolean(std::string_view key) const;
  std::optional<std::chrono::milliseconds> duration(std::string_view key) const;
  // A mapping member; reports a non-mapping value. nullptr when absent or mistyped.
  const nlohmann::json* mapping(std::string_view key, Need need, std::string_view expectation) const;
  const nlohmann::json* list(std::string_view key, Need need, std::string_view expectation) const;

 private:
  const nlohmann::json* present(std::string_view key, Need need, std::string_view expectation) const;
  void wrong(std::string_view key, std::string_view expectation, const nlohmann::json& got) const;

  const nlohmann::json& object_;
  std::string path_;
  Diagnostics& diag_;
};

// A string value at `path` (used for list items too).
std::optional<std::string> read_string(const nlohmann::json& value, const std::string& path, Diagnostics& diag,
                                       std::string_view expectation);

// The known key closest to `key` when it is a plausible typo, else empty.
std::string_view closest_key(std::string_view key, const std::vector<std::string_view>& known);

}  // namespace agentrt
