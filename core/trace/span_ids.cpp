#include "core/trace/span_ids.hpp"

#include <array>
#include <charconv>

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

SpanIdSeed::SpanIdSeed(std::string_view trace_id, std::string_view session) : hash_(kFnvOffset) {
  mix(hash_, trace_id);
  mix(hash_, session);
}

SpanIdHex SpanIdSeed::derive(std::string_view kind, std::int64_t n) const {
  std::uint64_t hash = hash_;
  mix(hash, kind);
  std::array<char, 24> decimal{};  // n in decimal, as std::to_string wrote it: ids stay what they were
  const auto end = std::to_chars(decimal.data(), decimal.data() + decimal.size(), n).ptr;
  mix(hash, std::string_view(decimal.data(), static_cast<std::size_t>(end - decimal.data())));
  if (hash == 0) hash = 1;  // an all-zero span id is invalid
  static constexpr std::array<char, 16> kDigits{'0', '1', '2', '3', '4', '5', '6', '7',
                                                '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  std::array<char, 16> hex{};
  for (int i = 15; i >= 0; --i) {
    hex[static_cast<std::size_t>(i)] = kDigits[hash & 0xf];
    hash >>= 4;
  }
  return SpanIdHex(std::string_view(hex.data(), hex.size()));
}

}  // namespace agentrt
