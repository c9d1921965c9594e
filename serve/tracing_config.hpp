#pragma once
// The `tracing:` settings of `agentrt serve` (docs/observability.md). Off unless an endpoint
// is given. The standard OpenTelemetry variables are honoured, and AGENTRT_* ones win:
//   endpoint        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (the full URL), or
//                   OTEL_EXPORTER_OTLP_ENDPOINT (a base URL; /v1/traces is appended),
//                   AGENTRT_TRACING_ENDPOINT, --tracing-endpoint
//   sampling_ratio  OTEL_TRACES_SAMPLER_ARG, AGENTRT_TRACING_SAMPLING_RATIO, --tracing-sampling-ratio
//   headers         never in the file: headers_env names a variable holding "k=v,k2=v2"
//                   (OTEL_EXPORTER_OTLP_TRACES_HEADERS / OTEL_EXPORTER_OTLP_HEADERS otherwise)
//   service_name    OTEL_SERVICE_NAME
//   max_batch       OTEL_BSP_MAX_EXPORT_BATCH_SIZE (spans per export request)
//   max_queue       OTEL_BSP_MAX_QUEUE_SIZE (spans waiting; more are dropped and counted)
//   export_interval OTEL_BSP_SCHEDULE_DELAY (milliseconds; how long a partial batch may wait)
// OTEL_SDK_DISABLED=true turns tracing off whatever else is set.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/definition/object_reader.hpp"
#include "core/model/error.hpp"

namespace agentrt::serve {

struct TracingConfig {
  std::string endpoint;  // empty: tracing off
  double sampling_ratio = 1.0;
  std::string headers_env;
  std::string service_name = "agentrt";
  // The batch span processor. 512 is OpenTelemetry's default batch; a larger one halves the
  // exporter's CPU at 2048 (a request costs about as much as encoding 400 spans), if the
  // collector accepts the size (some vendors cap a request at 1 MB; a span is about 750 bytes).
  long long max_batch = 512;
  long long max_queue = 8192;
  std::chrono::milliseconds export_interval{1'000};
};

inline constexpr long long kTracingMaxBatchLimit = 65'536;
inline constexpr long long kTracingMaxQueueLimit = 1'048'576;

using EnvLookupFn = std::function<std::optional<std::string>(const std::string& name)>;

// The `tracing:` mapping of the config file (errors go to the reader's diagnostics).
void read_tracing(const ObjectReader& top, TracingConfig& tracing);
// The variables above, in their order of precedence.
Result<void> apply_tracing_env(const EnvLookupFn& env, TracingConfig& tracing);
// "0".."1" (a number); `where` names the setting in the error.
Result<double> parse_sampling_ratio(const std::string& text, const std::string& where);
// A URL the exporter can post to: http:// or https://; a batch no larger than the queue.
Result<void> check_tracing(const TracingConfig& tracing, const std::string& where);
// The export headers, read from the variable headers_env names (or the OTEL ones):
// "k=v,k2=v2", values percent-decoded as the OTel spec says. Errors never quote a value.
Result<std::vector<std::pair<std::string, std::string>>> tracing_headers(const TracingConfig& tracing,
                                                                         const EnvLookupFn& env);

}  // namespace agentrt::serve
