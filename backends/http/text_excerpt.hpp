#pragma once
// Bounded, valid-UTF-8 text from peer bytes, for messages and tool outputs: they end up in
// event JSON, whose dump() throws on invalid UTF-8, and a peer may send anything.

#include <cstddef>
#include <string>
#include <string_view>

namespace agentrt {

// Longest prefix length <= bytes_max that does not end inside a UTF-8 sequence.
[[nodiscard]] std::size_t utf8_boundary(std::string_view text, std::size_t bytes_max);

// `text` with every byte that is not part of a well-formed UTF-8 sequence replaced by U+FFFD.
[[nodiscard]] std::string utf8_sanitized(std::string_view text);

// At most about bytes_max bytes of `text`, sanitized, with "..." when it was cut.
[[nodiscard]] std::string text_excerpt(std::string_view text, std::size_t bytes_max = 500);

}  // namespace agentrt
