#include "backends/http/text_excerpt.hpp"

#include "core/model/utf8_sequence.hpp"

namespace agentrt {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace

std::size_t utf8_boundary(std::string_view text, std::size_t bytes_max) {
  if (text.size() <= bytes_max) return text.size();
  std::size_t cut = bytes_max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // continuation byte
  return cut;
}

std::string utf8_sanitized(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t length = utf8_sequence_length(text, at);
    if (length == 0) {
      out.append(kReplacement);
      ++at;
    } else {
      out.append(text.substr(at, length));
      at += length;
    }
  }
  return out;
}

std::string text_excerpt(std::string_view text, std::size_t bytes_max) {
  const std::size_t kept = utf8_boundary(text, bytes_max);
  std::string out = utf8_sanitized(text.substr(0, kept));
  if (kept < text.size()) out += "...";
  return out;
}

}  // namespace agentrt
