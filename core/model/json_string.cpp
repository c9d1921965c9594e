#include "core/model/json_string.hpp"

#include <cstdint>
#include <cstring>

#include "core/model/utf8_sequence.hpp"

namespace agentrt {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

bool plain(unsigned char byte) { return byte >= 0x20 && byte < 0x80 && byte != '"' && byte != '\\'; }

// Whether any of the 8 bytes in `word` needs attention (the bytes plain() refuses), by the
// classic SWAR tests, exact for "any byte": (w - 0x01..) & ~w & 0x80.. is non-zero iff a byte
// of w is zero, and (w - n*0x01..) & ~w & 0x80.. iff a byte is below n (n <= 128).
bool any_not_plain(std::uint64_t word) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
  const auto has_zero = [](std::uint64_t w) { return (w - kOnes) & ~w & kHighs; };
  const std::uint64_t control = (word - kOnes * 0x20) & ~word & kHighs;
  const std::uint64_t quote = has_zero(word ^ (kOnes * '"'));
  const std::uint64_t backslash = has_zero(word ^ (kOnes * '\\'));
  return ((word & kHighs) | control | quote | backslash) != 0;
}

// The end of the run of plain bytes starting at `at`: 8 bytes at a time while they all are.
std::size_t plain_run_end(std::string_view text, std::size_t at) {
  while (at + 8 <= text.size()) {
    std::uint64_t word = 0;
    std::memcpy(&word, text.data() + at, sizeof word);
    if (any_not_plain(word)) break;
    at += 8;
  }
  while (at < text.size() && plain(static_cast<unsigned char>(text[at]))) ++at;
  return at;
}

void append_escaped(std::string& out, unsigned char byte) {
  switch (byte) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    default:
      break;
  }
  constexpr std::string_view kHex = "0123456789abcdef";
  out += "\\u00";
  out += kHex[byte >> 4];
  out += kHex[byte & 0xF];
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  std::size_t at = 0;
  while (at < text.size()) {
    // Copy the longest run that needs no attention in one go: ids and names are all plain.
    const std::size_t run = plain_run_end(text, at);
    out.append(text.data() + at, run - at);
    at = run;
    if (at == text.size()) break;
    const auto byte = static_cast<unsigned char>(text[at]);
    if (byte < 0x80) {
      append_escaped(out, byte);
      ++at;
      continue;
    }
    const std::size_t length = utf8_sequence_length(text, at);
    if (length == 0) {
      out += kReplacement;
      ++at;
    } else {
      out.append(text.data() + at, length);
      at += length;
    }
  }
  out += '"';
}

}  // namespace agentrt
