#include "core/trace/span_ids.hpp"

#include <array>

namespace agentrt {
namespace {

constexpr std::uint64_t kFnvOffset = 14695981039346656037ULL;
constexpr std::uint64_t kFnvPrime = 1099511628211ULL;

void mix(std::uint64_t& hash, std::string_view bytes) {
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= kFnvPrime;
  }
  hash ^= 0xff;  // a separator, so ("ab","c") and ("a","bc") differ
  hash *= kFnvPrime;
}

}  // namespace

std::string derive_span_id(std::string_view trace_id, std::string_view session, std::string_view kind,
                           std::int64_t n) {
  std::uint64_t hash = kFnvOffset;
  mix(hash, trace_id);
  mix(hash, session);
  mix(hash, kind);
  mix(hash, std::to_string(n));
  if (hash == 0) hash = 1;  // an all-zero span id is invalid
  static constexpr std::array<char, 16> kDigits{'0', '1', '2', '3', '4', '5', '6', '7',
                                                '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  std::string hex(16, '0');
  for (int i = 15; i >= 0; --i) {
    hex[static_cast<std::size_t>(i)] = kDigits[hash & 0xf];
    hash >>= 4;
  }
  return hex;
}

}  // namespace agentrt
