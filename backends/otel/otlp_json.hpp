#pragma once
// OTLP/JSON encoding of spans (ExportTraceServiceRequest, the protobuf JSON mapping the
// OTLP/HTTP spec prescribes): ids as lower-case hex, times and 64-bit integers as decimal
// strings, enums as numbers.

#include <cstddef>
#include <span>
#include <string>

#include "core/trace/span.hpp"

namespace agentrt {

// What a span of the runtime's usual shape takes as OTLP/JSON (serve_bench: about 750 bytes).
inline constexpr std::size_t kOtlpBytesPerSpanGuess = 800;

struct OtlpResource {
  std::string service_name = "agentrt";
  std::string service_version;
  std::string service_instance_id;  // the worker id
};

// `bytes_per_span`: room reserved per span (the exporter passes what its last batch took), so
// the text of a whole batch is written without the buffer growing and being copied.
[[nodiscard]] std::string encode_otlp_traces(const OtlpResource& resource, std::span<const Span> spans,
                                             std::size_t bytes_per_span = kOtlpBytesPerSpanGuess);

}  // namespace agentrt
