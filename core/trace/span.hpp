#pragma once
// A finished span, as the runtime reports it to a SpanSink (core/ports/span_sink.hpp). The
// fields follow OpenTelemetry's span model; an exporter turns them into OTLP.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <ostream>
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
  [[nodiscard]] constexpr std::string_view str() const { return text_; }
  friend bool operator==(SpanKey, SpanKey) = default;

 private:
  std::string_view text_;
};

// Text of a span (its name, a string attribute): its own string, or one shared by every span of
// an activation (the session id, the worker, the model). Copying shared text into a span counts
// a reference instead of allocating on the event loop and freeing on the exporter's thread.
using SharedText = std::shared_ptr<const std::string>;

class SpanText {
 public:
  SpanText() = default;
  SpanText(std::string text) : owned_(std::move(text)) {}                         // NOLINT: implicit on purpose
  SpanText(const char* text) : owned_(text) {}                                    // NOLINT: implicit on purpose
  SpanText(std::string_view text) : owned_(text) {}                               // NOLINT: implicit on purpose
  SpanText(SharedText shared) : shared_(std::move(shared)) {}                     // NOLINT: implicit on purpose

  // Text that many spans will carry: short text stays inline (copying it costs no more than a
  // reference count), longer text is allocated once and shared.
  static SpanText shared(std::string text) {
    if (text.size() <= kInlineChars) return SpanText(std::move(text));
    return SpanText(std::make_shared<const std::string>(std::move(text)));
  }

  [[nodiscard]] std::string_view str() const { return shared_ ? std::string_view(*shared_) : std::string_view(owned_); }
  [[nodiscard]] bool empty() const { return str().empty(); }
  friend bool operator==(const SpanText& a, const SpanText& b) { return a.str() == b.str(); }
  friend bool operator==(const SpanText& a, std::string_view b) { return a.str() == b; }
  friend bool operator==(const SpanText& a, const std::string& b) { return a.str() == b; }
  friend bool operator==(const SpanText& a, const char* b) { return a.str() == std::string_view(b); }
  friend std::ostream& operator<<(std::ostream& out, const SpanText& text) { return out << text.str(); }

 private:
  static constexpr std::size_t kInlineChars = 15;  // what std::string holds without allocating (libstdc++)

  std::string owned_;
  SharedText shared_;  // when set, the text
};

using SpanAttributeValue = std::variant<SpanText, std::int64_t, double, bool>;
using SpanAttributes = std::vector<std::pair<SpanKey, SpanAttributeValue>>;
// Room for the attributes of the runtime's largest span (a chat span has up to 10), reserved
// once so that building one never regrows. (Held inline instead, they made every move of a span
// copy some 700 bytes: slower on the event loop than the one allocation.)
inline constexpr std::size_t kSpanAttributesReserved = 10;

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
  SpanText name;
  SpanKind kind = SpanKind::internal;
  std::int64_t start_ns = 0;  // Unix epoch nanoseconds
  std::int64_t end_ns = 0;
  SpanAttributes attributes{};
  SpanStatus status = SpanStatus::unset;
  std::string status_message{};  // for SpanStatus::error
  std::vector<SpanLink> links{};
};

}  // namespace agentrt
