#pragma once
// OTLP/JSON encoding of spans (ExportTraceServiceRequest, the protobuf JSON mapping the
// OTLP/HTTP spec prescribes): ids as lower-case hex, times and 64-bit integers as decimal
// strings, enums as numbers.

#include <string>
#include <vector>

#include "core/trace/span.hpp"

namespace agentrt {

struct OtlpResource {
  std::string service_name = "agentrt";
  std::string service_version;
  std::string service_instance_id;  // the worker id
};

[[nodiscard]] std::string encode_otlp_traces(const OtlpResource& resource, const std::vector<Span>& spans);

}  // namespace agentrt
