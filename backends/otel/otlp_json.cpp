#include "backends/otel/otlp_json.hpp"

#include <charconv>
#include <cmath>
#include <string_view>

#include "core/model/json_string.hpp"

// The JSON text is written straight into one buffer: building a nlohmann tree per span and
// destroying it again cost more CPU than everything else tracing does (docs/tracing.md).
// otlp_exporter_test parses what this writes and checks every field.

namespace agentrt {
namespace {

// OTLP's enums: SpanKind 1 internal, 2 server, 3 client; StatusCode 0 unset, 1 ok, 2 error.
char kind_number(SpanKind kind) {
  switch (kind) {
    case SpanKind::server:
      return '2';
    case SpanKind::client:
      return '3';
    case SpanKind::internal:
      break;
  }
  return '1';
}

char status_number(SpanStatus status) {
  switch (status) {
    case SpanStatus::ok:
      return '1';
    case SpanStatus::error:
      return '2';
    case SpanStatus::unset:
      break;
  }
  return '0';
}

template <typename Number>
void append_number(std::string& out, Number value) {
  char digits[32];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

// The protobuf JSON mapping writes 64-bit integers as strings.
void append_int64_string(std::string& out, std::int64_t value) {
  out += '"';
  append_number(out, value);
  out += '"';
}

void append_any_value(std::string& out, const SpanAttributeValue& value) {
  struct Visitor {
    std::string& out;
    void operator()(const SpanText& v) const {
      out += "{\"stringValue\":";
      append_json_string(out, v.str());
      out += '}';
    }
    void operator()(std::int64_t v) const {
      out += "{\"intValue\":";
      append_int64_string(out, v);
      out += '}';
    }
    void operator()(double v) const {
      out += "{\"doubleValue\":";
      if (std::isfinite(v)) {
        append_number(out, v);
      } else {
        out += "null";  // JSON has no NaN or infinity
      }
      out += '}';
    }
    void operator()(bool v) const { out += v ? "{\"boolValue\":true}" : "{\"boolValue\":false}"; }
  };
  std::visit(Visitor{out}, value);
}

void append_key_values(std::string& out, const SpanAttributes& attributes) {
  out += '[';
  bool first = true;
  for (const auto& [key, value] : attributes) {
    if (!first) out += ',';
    first = false;
    out += "{\"key\":";
    append_json_string(out, key.str());
    out += ",\"value\":";
    append_any_value(out, value);
    out += '}';
  }
  out += ']';
}

void append_field(std::string& out, std::string_view name, std::string_view text) {
  out += ",\"";
  out += name;
  out += "\":";
  append_json_string(out, text);
}

// An id as a JSON string: hex digits (HexId), nothing to escape.
template <std::size_t N>
void append_id(std::string& out, const HexId<N>& id) {
  out += '"';
  out += id.str();
  out += '"';
}

void append_span(std::string& out, const Span& span) {
  out += "{\"traceId\":";
  append_id(out, span.trace_id);
  out += ",\"spanId\":";
  append_id(out, span.span_id);
  if (!span.parent_span_id.empty()) {
    out += ",\"parentSpanId\":";
    append_id(out, span.parent_span_id);
  }
  append_field(out, "name", span.name.str());
  out += ",\"kind\":";
  out += kind_number(span.kind);
  out += ",\"startTimeUnixNano\":";
  append_int64_string(out, span.start_ns);
  out += ",\"endTimeUnixNano\":";
  append_int64_string(out, span.end_ns);
  out += ",\"attributes\":";
  append_key_values(out, span.attributes);
  out += ",\"status\":{\"code\":";
  out += status_number(span.status);
  if (!span.status_message.empty()) append_field(out, "message", span.status_message);
  out += '}';
  if (!span.links.empty()) {
    out += ",\"links\":[";
    bool first = true;
    for (const auto& link : span.links) {
      if (!first) out += ',';
      first = false;
      out += "{\"traceId\":";
      append_id(out, link.trace_id);
      out += ",\"spanId\":";
      append_id(out, link.span_id);
      out += '}';
    }
    out += ']';
  }
  out += '}';
}

}  // namespace

std::string encode_otlp_traces(const OtlpResource& resource, std::span<const Span> spans, std::size_t bytes_per_span) {
  SpanAttributes resource_attributes{{"service.name", resource.service_name}};
  if (!resource.service_version.empty()) resource_attributes.emplace_back("service.version", resource.service_version);
  if (!resource.service_instance_id.empty()) {
    resource_attributes.emplace_back("service.instance.id", resource.service_instance_id);
  }
  std::string out;
  out.reserve(256 + spans.size() * bytes_per_span);
  out += "{\"resourceSpans\":[{\"resource\":{\"attributes\":";
  append_key_values(out, resource_attributes);
  out += "},\"scopeSpans\":[{\"scope\":{\"name\":\"agentrt\"";
  if (!resource.service_version.empty()) append_field(out, "version", resource.service_version);
  out += "},\"spans\":[";
  bool first = true;
  for (const auto& span : spans) {
    if (!first) out += ',';
    first = false;
    append_span(out, span);
  }
  out += "]}]}]}";
  return out;
}

}  // namespace agentrt
