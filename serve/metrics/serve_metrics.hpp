#pragma once
// ServeMetrics: every Prometheus family `agentrt serve` exposes on GET /metrics, in one
// registry owned by the serve app and passed down (no global registry). The names, labels
// and what each one measures are listed in docs/observability.md; deploy/ uses them.
//
// Labels: org and bot are added to the session-level counters unless `org_labels` is off
// (config metrics.org_labels: false), for fleets with many orgs or bots. Histograms never
// carry them: a histogram is ~15 series per label set.
// Thread safety: prometheus-cpp metrics are thread-safe; everything here may be called from
// any thread, though serve calls it from its io_context.

#include <string>
#include <string_view>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace agentrt::serve {

struct MetricsOptions {
  bool org_labels = true;  // metrics.org_labels: org and bot labels on session-level metrics
};

class ServeMetrics {
 public:
  explicit ServeMetrics(MetricsOptions options = {});
  ServeMetrics(const ServeMetrics&) = delete;
  ServeMetrics& operator=(const ServeMetrics&) = delete;

  // Every family with a series, in the Prometheus text format 0.0.4.
  [[nodiscard]] std::string scrape() const;
  // The name of every registered family (serve/metrics/metric_names.txt lists them).
  [[nodiscard]] std::vector<std::string> family_names() const;
  [[nodiscard]] bool org_labels() const { return options_.org_labels; }
  // `labels` plus org and bot, unless org labels are off.
  [[nodiscard]] prometheus::Labels with_org(prometheus::Labels labels, std::string_view org, std::string_view bot) const;

 private:
  MetricsOptions options_;
  std::shared_ptr<prometheus::Registry> registry_;

 public:
  // Declared after the registry they live in. Names end in their unit (seconds) or _total.
  prometheus::Family<prometheus::Gauge>& sessions;                 // {status, org, bot}
  prometheus::Family<prometheus::Gauge>& active_sessions;          // {org}
  prometheus::Family<prometheus::Counter>& activations;            // {outcome}
  prometheus::Family<prometheus::Counter>& lease_acquisitions;     // {outcome, reason}
  prometheus::Family<prometheus::Counter>& lease_renewals;         // {outcome}
  prometheus::Family<prometheus::Counter>& lease_losses;           // {cause}
  prometheus::Family<prometheus::Histogram>& inbox_lag;            // {}
  prometheus::Family<prometheus::Histogram>& llm_call_duration;    // {model}
  prometheus::Family<prometheus::Histogram>& tool_call_duration;   // {tool}
  prometheus::Family<prometheus::Histogram>& step_overhead;        // {}
  prometheus::Family<prometheus::Counter>& llm_calls;              // {model, outcome, org, bot}
  prometheus::Family<prometheus::Counter>& llm_tokens;             // {model, direction, org, bot}
  prometheus::Family<prometheus::Counter>& tool_calls;             // {tool, outcome, org, bot}
  prometheus::Family<prometheus::Counter>& tool_retries;           // {tool, org, bot}
  prometheus::Family<prometheus::Counter>& sessions_finished;      // {status, org, bot}
  prometheus::Family<prometheus::Counter>& http_requests;          // {method, route, code}
  prometheus::Family<prometheus::Histogram>& http_request_duration;  // {method, route}
  prometheus::Family<prometheus::Counter>& grpc_requests;          // {method, code}
  prometheus::Family<prometheus::Histogram>& grpc_request_duration;  // {method}
  prometheus::Family<prometheus::Counter>& config_reloads;         // {outcome}
  prometheus::Family<prometheus::Counter>& kafka_records;          // {outcome}
  prometheus::Family<prometheus::Counter>& kafka_dead_letters;     // {reason}
  prometheus::Family<prometheus::Gauge>& kafka_consumer_lag;       // {}
  prometheus::Family<prometheus::Counter>& kafka_events;           // {outcome}
  prometheus::Family<prometheus::Gauge>& redis_up;                  // {} (only with output_hub: redis)
  prometheus::Family<prometheus::Counter>& redis_publish_failures;  // {}
  prometheus::Family<prometheus::Counter>& kv_cache_lookups;        // {layer: process|redis, outcome: hit|miss}
  prometheus::Family<prometheus::Counter>& kv_cache_redis_errors;   // {}
  prometheus::Family<prometheus::Counter>& sqs_inbox_messages;     // {outcome}
  prometheus::Family<prometheus::Counter>& sqs_inbox_queue_errors;  // {operation}
  prometheus::Family<prometheus::Counter>& sqs_inbox_visibility_extensions;  // {}
};

// Bucket bounds in seconds, from a millisecond to the longest calls and waits we expect.
const prometheus::Histogram::BucketBoundaries& latency_buckets();
// Finer at the low end: the runtime's own overhead per step is micro- to milliseconds.
const prometheus::Histogram::BucketBoundaries& overhead_buckets();

}  // namespace agentrt::serve
