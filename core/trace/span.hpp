#pragma once
// A finished span, as the runtime reports it to a SpanSink (core/ports/span_sink.hpp). The
// fields follow OpenTelemetry's span model; an exporter turns them into OTLP.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/trace/hex_id.hpp"

namespace agentrt {

// An attribute's key: always a string literal (the semantic-convention names are fixed), so a
// span holds a view and building one costs no allocation per key. Only a char array converts
// (never a std::string that could go away); pass literals.
class SpanKey {
 public:
  template <std::size_t N>
  constexpr SpanKey(const char (&literal)[N]) : text_(literal, N - 1) {}  // NOLINT: implicit on purpose
  [[nodiscard]] std::string_view str() const { return text_; }
  friend bool operator==(SpanKey, SpanKey) = default;

 private:
  std::string_view text_;
};

using SpanAttributeValue = std::variant<std::string, std::int64_t, double, bool>;
using SpanAttributes = std::vector<std::pair<SpanKey, SpanAttributeValue>>;

enum class SpanKind { internal, server, client };
enum class SpanStatus { unset, ok, error };

struct SpanLink {
  TraceIdHex trace_id;
  SpanIdHex span_id;
};

struct Span {
  TraceIdHex trace_id;
  SpanIdHex span_id;
  SpanIdHex parent_span_id;  // empty for a root span
  std::string name;
  SpanKind kind = SpanKind::internal;
  std::int64_t start_ns = 0;  // Unix epoch nanoseconds
  std::int64_t end_ns = 0;
  SpanAttributes attributes{};
  SpanStatus status = SpanStatus::unset;
  std::string status_message{};  // for SpanStatus::error
  std::vector<SpanLink> links{};
};

}  // namespace agentrt
