#pragma once
// UTF-8 validation for definition files: every string ends up in the canonical JSON, whose
// dump() throws on invalid UTF-8, so bad bytes are refused at load with their position.

#include <optional>
#include <string_view>

namespace agentrt {

struct TextPosition {
  int line = 1;    // 1-based
  int column = 1;  // 1-based, in bytes
};

// Position of the first byte that is not part of a well-formed UTF-8 sequence.
std::optional<TextPosition> find_invalid_utf8(std::string_view text);

// Line and column of byte `offset` (0-based) in `text`.
TextPosition position_of_offset(std::string_view text, std::size_t offset);

}  // namespace agentrt
