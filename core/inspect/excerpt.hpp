#pragma once
// Bounded text for the timeline: long tool outputs and prompts are cut (on a UTF-8 character
// boundary, with a marker saying how much was left out), never silently.

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace agentrt {

inline constexpr std::size_t kSummaryBytesMax = 160;   // one timeline line's text
inline constexpr std::size_t kDataStringBytesMax = 2000;  // a string inside the JSON document

// `text` cut to at most about bytes_max bytes: "first part… (+1234 bytes)".
std::string truncate_text(std::string_view text, std::size_t bytes_max);

// One line: newlines and tabs shown as "\n" and "\t", then truncated.
std::string one_line(std::string_view text, std::size_t bytes_max = kSummaryBytesMax);

// `text` as a double-quoted one-line excerpt: "\"hello\"".
std::string quoted_excerpt(std::string_view text, std::size_t bytes_max = kSummaryBytesMax);

// Compact JSON on one line, truncated; invalid UTF-8 is replaced rather than thrown on.
std::string json_excerpt(const nlohmann::json& value, std::size_t bytes_max = kSummaryBytesMax);

// A copy of `value` whose every string longer than bytes_max is truncated as above.
nlohmann::json truncate_strings(const nlohmann::json& value, std::size_t bytes_max = kDataStringBytesMax);

// dump() that never throws on invalid UTF-8 (replaces it).
std::string safe_dump(const nlohmann::json& value, int indent = -1);

}  // namespace agentrt
