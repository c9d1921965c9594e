#include "core/definition/utf8.hpp"

#include "core/model/utf8_sequence.hpp"

namespace agentrt {

TextPosition position_of_offset(std::string_view text, std::size_t offset) {
  TextPosition pos;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++pos.line;
      pos.column = 1;
    } else {
      ++pos.column;
    }
  }
  return pos;
}

std::optional<TextPosition> find_invalid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t length = utf8_sequence_length(text, i);
    if (length == 0) return position_of_offset(text, i);
    i += length;
  }
  return std::nullopt;
}

}  // namespace agentrt
