#include "serve/metrics/serve_metrics.hpp"

#include <sstream>
#include <utility>

#include <prometheus/text_serializer.h>

namespace agentrt::serve {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

}  // namespace

const prometheus::Histogram::BucketBoundaries& latency_buckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                                1,     2.5,   5,    10,    30,   60,  120, 300};
  return kBuckets;
}

const prometheus::Histogram::BucketBoundaries& overhead_buckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                                0.01,   0.025,   0.05,   0.1,   0.25,   1};
  return kBuckets;
}

ServeMetrics::ServeMetrics(MetricsOptions options)
    : options_(options),
      registry_(std::make_shared<prometheus::Registry>()),
      sessions(BuildGauge()
                   .Name("agentrt_sessions")
                   .Help("Sessions in the store by status (fleet-wide, read from the store at most every 10 s)")
                   .Register(*registry_)),
      active_sessions(BuildGauge()
                          .Name("agentrt_worker_active_sessions")
                          .Help("Sessions this worker runs now (leases it holds)")
                          .Register(*registry_)),
      activations(BuildCounter()
                      .Name("agentrt_activations_total")
                      .Help("Activations (lease taken, session run) that ended, by outcome")
                      .Register(*registry_)),
      lease_acquisitions(BuildCounter()
                             .Name("agentrt_lease_acquisitions_total")
                             .Help("Lease acquisitions tried by this worker, by outcome and why the session was runnable "
                                   "(reason interrupted: a takeover of a turn whose owner died or let go)")
                             .Register(*registry_)),
      lease_renewals(BuildCounter()
                         .Name("agentrt_lease_renewals_total")
                         .Help("Lease renewals (heartbeats) by outcome")
                         .Register(*registry_)),
      lease_losses(BuildCounter()
                       .Name("agentrt_lease_losses_total")
                       .Help("Activations stopped because the lease was lost, by cause")
                       .Register(*registry_)),
      inbox_lag(BuildHistogram()
                    .Name("agentrt_inbox_lag_seconds")
                    .Help("From a message's arrival in the store to its MessageReceived being durable")
                    .Register(*registry_)),
      llm_call_duration(BuildHistogram()
                            .Name("agentrt_llm_call_duration_seconds")
                            .Help("Duration of one LLM call, request to reply, by model")
                            .Register(*registry_)),
      tool_call_duration(BuildHistogram()
                             .Name("agentrt_tool_call_duration_seconds")
                             .Help("Duration of one tool call with all its attempts, by tool")
                             .Register(*registry_)),
      step_overhead(BuildHistogram()
                        .Name("agentrt_step_overhead_seconds")
                        .Help("The runtime's own time per step: from a call's result to the next call's launch "
                              "(record durably, decide, launch)")
                        .Register(*registry_)),
      llm_calls(BuildCounter()
                    .Name("agentrt_llm_calls_total")
                    .Help("LLM calls recorded (LlmCompleted, LlmFailed) by model and outcome")
                    .Register(*registry_)),
      llm_tokens(BuildCounter()
                     .Name("agentrt_llm_tokens_total")
                     .Help("LLM tokens by model and direction (in: prompt, out: completion)")
                     .Register(*registry_)),
      tool_calls(BuildCounter()
                     .Name("agentrt_tool_calls_total")
                     .Help("Tool calls recorded (ToolCompleted, ToolFailed) by tool and outcome")
                     .Register(*registry_)),
      tool_retries(BuildCounter()
                       .Name("agentrt_tool_retries_total")
                       .Help("Tool attempts beyond the first, by tool")
                       .Register(*registry_)),
      sessions_finished(BuildCounter()
                            .Name("agentrt_sessions_finished_total")
                            .Help("Sessions that reached a terminal status on this worker, by status")
                            .Register(*registry_)),
      http_requests(BuildCounter()
                        .Name("agentrt_http_requests_total")
                        .Help("HTTP requests answered, by method, route template and status code")
                        .Register(*registry_)),
      http_request_duration(BuildHistogram()
                                .Name("agentrt_http_request_duration_seconds")
                                .Help("Time to answer an HTTP request (a stream: to its headers), by method and route")
                                .Register(*registry_)),
      grpc_requests(BuildCounter()
                        .Name("agentrt_grpc_requests_total")
                        .Help("gRPC calls ended, by method and status code")
                        .Register(*registry_)),
      grpc_request_duration(BuildHistogram()
                                .Name("agentrt_grpc_request_duration_seconds")
                                .Help("Duration of a gRPC call (a stream: until it ended), by method")
                                .Register(*registry_)),
      config_reloads(BuildCounter()
                         .Name("agentrt_config_reloads_total")
                         .Help("Configuration changes seen while running, by outcome (applied, or refused and the "
                               "running configuration kept)")
                         .Register(*registry_)),
      kafka_records(BuildCounter()
                        .Name("agentrt_kafka_records_total")
                        .Help("Kafka records consumed and committed, by outcome (signal, duplicate, dead_letter)")
                        .Register(*registry_)),
      kafka_dead_letters(BuildCounter()
                             .Name("agentrt_kafka_dead_letters_total")
                             .Help("Kafka records sent to the dead-letter topic, by reason")
                             .Register(*registry_)),
      kafka_consumer_lag(BuildGauge()
                             .Name("agentrt_kafka_consumer_lag_records")
                             .Help("Records behind the high watermarks of this worker's assigned partitions")
                             .Register(*registry_)),
      kafka_events(BuildCounter()
                       .Name("agentrt_kafka_lifecycle_events_total")
                       .Help("Session lifecycle events for Kafka, by outcome (queued, dropped: local queue full)")
                       .Register(*registry_)),
      redis_up(BuildGauge()
                   .Name("agentrt_redis_up")
                   .Help("1 when Redis (output hub) is reachable, 0 while serve runs degraded from the store")
                   .Register(*registry_)),
      redis_publish_failures(BuildCounter()
                                 .Name("agentrt_redis_publish_failures_total")
                                 .Help("Output publishes to Redis that failed (those events reached clients from the store)")
                                 .Register(*registry_)),
      kv_cache_lookups(BuildCounter()
                           .Name("agentrt_kv_cache_lookups_total")
                           .Help("KV keys looked up in a cache, by layer (process: this worker's LRU; redis) and "
                                 "outcome (hit, miss: asked of the next layer)")
                           .Register(*registry_)),
      kv_cache_redis_errors(BuildCounter()
                                .Name("agentrt_kv_cache_redis_errors_total")
                                .Help("Redis calls of the KV cache that failed (those reads and writes went to the store only)")
                                .Register(*registry_)),
      sqs_inbox_messages(BuildCounter()
                             .Name("agentrt_sqs_inbox_messages_total")
                             .Help("SQS inbox messages this worker's consumer received, and what became of them "
                                   "(moved into the store, duplicate, malformed, store_error)")
                             .Register(*registry_)),
      sqs_inbox_queue_errors(BuildCounter()
                                 .Name("agentrt_sqs_inbox_queue_errors_total")
                                 .Help("SQS calls of the inbox consumer that failed after their retries, by operation")
                                 .Register(*registry_)),
      sqs_inbox_visibility_extensions(BuildCounter()
                                          .Name("agentrt_sqs_inbox_visibility_extensions_total")
                                          .Help("Visibility timeouts extended while a message was being handled")
                                          .Register(*registry_)) {}

std::string ServeMetrics::scrape() const {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return out.str();
}

std::vector<std::string> ServeMetrics::family_names() const {
  // Not from Collect(): it leaves out families that have no series yet.
  return {sessions.GetName(),           active_sessions.GetName(),       activations.GetName(),
          lease_acquisitions.GetName(), lease_renewals.GetName(),        lease_losses.GetName(),
          inbox_lag.GetName(),          llm_call_duration.GetName(),     tool_call_duration.GetName(),
          step_overhead.GetName(),      llm_calls.GetName(),             llm_tokens.GetName(),
          tool_calls.GetName(),         tool_retries.GetName(),          sessions_finished.GetName(),
          http_requests.GetName(),      http_request_duration.GetName(), grpc_requests.GetName(),
          grpc_request_duration.GetName(), config_reloads.GetName(),     kafka_records.GetName(),      kafka_dead_letters.GetName(),
          kafka_consumer_lag.GetName(),    kafka_events.GetName(),        redis_up.GetName(),
          redis_publish_failures.GetName(), kv_cache_lookups.GetName(), kv_cache_redis_errors.GetName(),
          sqs_inbox_messages.GetName(),    sqs_inbox_queue_errors.GetName(),
          sqs_inbox_visibility_extensions.GetName()};
}

prometheus::Labels ServeMetrics::with_org(prometheus::Labels labels, std::string_view org, std::string_view bot) const {
  if (options_.org_labels) {
    labels.emplace("org", std::string(org));
    labels.emplace("bot", std::string(bot));
  }
  return labels;
}

}  // namespace agentrt::serve
