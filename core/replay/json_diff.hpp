#pragma once
// A diff of two JSON documents that a person reads at a glance: one line per leaf value, keyed
// by its path, in key order:
//    type: "ToolRequested"          (same on both sides)
//   -data.name: "lookup"            (only or different in the left document: the history)
//   +data.name: "write"             (only or different in the right document: this build)
// Long values are shortened; the whole diff is capped at `lines_max` lines.

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

namespace agentrt {

struct JsonDiffOptions {
  std::size_t lines_max = 40;
  std::size_t value_chars_max = 160;
};

// `left` / `right` may be null pointers: "no document on that side".
std::string json_line_diff(const nlohmann::json* left, const nlohmann::json* right, JsonDiffOptions options = {});

}  // namespace agentrt
