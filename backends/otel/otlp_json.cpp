#include "backends/otel/otlp_json.hpp"

#include <nlohmann/json.hpp>

namespace agentrt {
namespace {

using nlohmann::json;

// OTLP's enums: SpanKind 1 internal, 2 server, 3 client; StatusCode 0 unset, 1 ok, 2 error.
int kind_number(SpanKind kind) {
  switch (kind) {
    case SpanKind::server:
      return 2;
    case SpanKind::client:
      return 3;
    case SpanKind::internal:
      break;
  }
  return 1;
}

int status_number(SpanStatus status) {
  switch (status) {
    case SpanStatus::ok:
      return 1;
    case SpanStatus::error:
      return 2;
    case SpanStatus::unset:
      break;
  }
  return 0;
}

json any_value(const SpanAttributeValue& value) {
  struct Visitor {
    json operator()(const std::string& v) const { return {{"stringValue", v}}; }
    json operator()(std::int64_t v) const { return {{"intValue", std::to_string(v)}}; }
    json operator()(double v) const { return {{"doubleValue", v}}; }
    json operator()(bool v) const { return {{"boolValue", v}}; }
  };
  return std::visit(Visitor{}, value);
}

json key_values(const SpanAttributes& attributes) {
  json list = json::array();
  for (const auto& [key, value] : attributes) list.push_back({{"key", key}, {"value", any_value(value)}});
  return list;
}

json span_json(const Span& span) {
  json j{{"traceId", span.trace_id},
         {"spanId", span.span_id},
         {"name", span.name},
         {"kind", kind_number(span.kind)},
         {"startTimeUnixNano", std::to_string(span.start_ns)},
         {"endTimeUnixNano", std::to_string(span.end_ns)},
         {"attributes", key_values(span.attributes)}};
  if (!span.parent_span_id.empty()) j["parentSpanId"] = span.parent_span_id;
  json status{{"code", status_number(span.status)}};
  if (!span.status_message.empty()) status["message"] = span.status_message;
  j["status"] = std::move(status);
  if (!span.links.empty()) {
    json links = json::array();
    for (const auto& link : span.links) links.push_back({{"traceId", link.trace_id}, {"spanId", link.span_id}});
    j["links"] = std::move(links);
  }
  return j;
}

}  // namespace

std::string encode_otlp_traces(const OtlpResource& resource, const std::vector<Span>& spans) {
  SpanAttributes resource_attributes{{"service.name", resource.service_name}};
  if (!resource.service_version.empty()) resource_attributes.emplace_back("service.version", resource.service_version);
  if (!resource.service_instance_id.empty()) {
    resource_attributes.emplace_back("service.instance.id", resource.service_instance_id);
  }
  json span_list = json::array();
  for (const auto& span : spans) span_list.push_back(span_json(span));
  json scope{{"name", "agentrt"}};
  if (!resource.service_version.empty()) scope["version"] = resource.service_version;
  const json request{
      {"resourceSpans",
       json::array({{{"resource", {{"attributes", key_values(resource_attributes)}}},
                     {"scopeSpans", json::array({{{"scope", std::move(scope)}, {"spans", std::move(span_list)}}})}}})}};
  // Replace invalid UTF-8 (a tool's error text may hold any bytes) instead of throwing.
  return request.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace agentrt
