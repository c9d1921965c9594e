#pragma once
// HexId<N>: a trace or span id as its N lower-case hex digits, held inline. A span carries
// three of them; as std::string each (16 and 32 characters, past the small-string buffer) was
// one allocation on the event loop and one free on the exporter's thread, per id per span.
// Empty (no digits) is "no id", e.g. a root span's parent. Text of another length converts
// to empty: callers pass ids that parse_traceparent or derivation produced.

#include <array>
#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>

namespace agentrt {

template <std::size_t N>
class HexId {
 public:
  HexId() = default;
  // Implicit on purpose: ids are written as text ("00f067aa0ba902b7") all over the tests and
  // in TraceContext; conversion copies N characters and allocates nothing.
  HexId(std::string_view hex) {  // NOLINT(google-explicit-constructor)
    if (hex.size() != N) return;
    for (std::size_t i = 0; i < N; ++i) digits_[i] = hex[i];
    set_ = true;
  }
  HexId(const char* hex) : HexId(std::string_view(hex)) {}          // NOLINT(google-explicit-constructor)
  HexId(const std::string& hex) : HexId(std::string_view(hex)) {}   // NOLINT(google-explicit-constructor)

  [[nodiscard]] std::string_view str() const { return set_ ? std::string_view(digits_.data(), N) : std::string_view{}; }
  [[nodiscard]] bool empty() const { return !set_; }

  friend bool operator==(const HexId& a, const HexId& b) { return a.str() == b.str(); }
  friend bool operator==(const HexId& a, std::string_view b) { return a.str() == b; }
  friend bool operator==(const HexId& a, const char* b) { return a.str() == std::string_view(b); }
  friend bool operator==(const HexId& a, const std::string& b) { return a.str() == b; }
  friend std::ostream& operator<<(std::ostream& out, const HexId& id) { return out << '"' << id.str() << '"'; }

 private:
  std::array<char, N> digits_{};
  bool set_ = false;
};

using TraceIdHex = HexId<32>;
using SpanIdHex = HexId<16>;

}  // namespace agentrt
