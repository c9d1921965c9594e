#include "core/trace/trace_context.hpp"

#include <cmath>
#include <cstdint>
#include <limits>

namespace agentrt {
namespace {

constexpr std::size_t kTraceparentLength = 55;  // 2 + 1 + 32 + 1 + 16 + 1 + 2
constexpr std::size_t kTracestateMax = 512;     // the spec's limit for a propagated tracestate

bool lower_hex(std::string_view text) {
  if (text.empty()) return false;
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool all_zero(std::string_view text) { return text.find_first_not_of('0') == std::string_view::npos; }

int hex_value(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

bool valid_tracestate(std::string_view state) {
  if (state.size() > kTracestateMax) return false;
  for (const char c : state) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte > 0x7e) return false;
  }
  return true;
}

}  // namespace

bool is_trace_id(std::string_view hex) { return hex.size() == 32 && lower_hex(hex) && !all_zero(hex); }
bool is_span_id(std::string_view hex) { return hex.size() == 16 && lower_hex(hex) && !all_zero(hex); }

std::string TraceContext::traceparent() const { return traceparent_with_span(span_id); }

std::string TraceContext::traceparent_with_span(std::string_view span) const {
  std::string out;
  out.reserve(kTraceparentLength);
  out += "00-";
  out += trace_id;
  out += '-';
  out += span;
  out += sampled ? "-01" : "-00";
  return out;
}

TraceContext TraceContext::with_span(std::string span) const {
  TraceContext child = *this;
  child.span_id = std::move(span);
  return child;
}

std::optional<TraceContext> parse_traceparent(std::string_view value, std::string_view tracestate) {
  if (value.size() < kTraceparentLength) return std::nullopt;
  if (value[2] != '-' || value[35] != '-' || value[52] != '-') return std::nullopt;
  const auto version = value.substr(0, 2);
  const auto trace_id = value.substr(3, 32);
  const auto span_id = value.substr(36, 16);
  const auto flags = value.substr(53, 2);
  if (!lower_hex(version) || !lower_hex(flags) || version == "ff") return std::nullopt;
  if (!is_trace_id(trace_id) || !is_span_id(span_id)) return std::nullopt;
  if (version == "00" && value.size() != kTraceparentLength) return std::nullopt;
  if (value.size() > kTraceparentLength && value[kTraceparentLength] != '-') return std::nullopt;
  TraceContext context;
  context.trace_id = std::string(trace_id);
  context.span_id = std::string(span_id);
  context.sampled = (hex_value(flags[1]) & 1) != 0;
  if (valid_tracestate(tracestate)) context.tracestate = std::string(tracestate);
  return context;
}

bool trace_id_ratio_sampled(std::string_view trace_id, double ratio) {
  if (!(ratio > 0.0)) return false;  // also NaN
  if (ratio >= 1.0) return true;
  if (!is_trace_id(trace_id)) return false;
  std::uint64_t low = 0;
  for (const char c : trace_id.substr(16)) low = (low << 4) | static_cast<std::uint64_t>(hex_value(c));
  const auto bound = static_cast<std::uint64_t>(ratio * std::pow(2.0, 64));
  return low < bound;
}

}  // namespace agentrt
