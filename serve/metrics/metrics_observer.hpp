#pragma once
// MetricsObserver: one activation's durable events and step timings into ServeMetrics
// (docs/observability.md). Counters come from the durable events (docs/events.md): tokens
// from LlmCompleted, tool outcomes and retries from ToolCompleted/ToolFailed (attempts),
// terminal statuses; so a step redone after a crash counts again only if it was recorded
// again. Latencies come from the runner's StepTiming (monotonic), inbox lag from
// on_message_recorded.
// Threading: called on the runner's executor; never blocks (prometheus-cpp updates are an
// atomic add).
// Each metric of a label set is looked up once per activation and then updated through its
// reference (prometheus-cpp keeps a metric until Family::Remove, which serve never calls):
// Family::Add per event built a label map, hashed it under the family's lock, and for a
// histogram constructed (and threw away) a whole new Histogram, on the event loop, per step.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/runtime/run_observer.hpp"
#include "serve/metrics/serve_metrics.hpp"

namespace agentrt::serve {

class MetricsObserver final : public RunObserver {
 public:
  // `model`: the model the session's definition calls (after serve's llm overrides).
  MetricsObserver(ServeMetrics& metrics, std::string org, std::string bot, std::string model);

  void on_event(const SessionId& session, const Event& event) override;
  void on_step_timing(const SessionId& session, const StepTiming& timing) override;
  void on_message_recorded(const SessionId& session, std::int64_t enqueued_ms, std::int64_t recorded_ms) override;

 private:
  // The metrics of one tool (by name), looked up on its first call in this activation.
  struct ToolMetrics {
    prometheus::Counter* ok = nullptr;
    prometheus::Counter* failed = nullptr;
    prometheus::Counter* retries = nullptr;
    prometheus::Histogram* duration = nullptr;
  };

  void tool_finished(const Event& event, bool ok);
  ToolMetrics& tool_metrics(std::string_view tool);
  prometheus::Histogram*& llm_duration(std::string_view model);

  // The series `cached` points at. Only the first use builds its labels (`labels()`, with org
  // and bot added for counters) and looks it up; later ones are the atomic add alone.
  template <typename MakeLabels>
  prometheus::Counter& counter(prometheus::Counter*& cached, prometheus::Family<prometheus::Counter>& family,
                               MakeLabels labels) {
    if (cached == nullptr) cached = &family.Add(metrics_.with_org(labels(), org_, bot_));
    return *cached;
  }
  template <typename MakeLabels>
  static prometheus::Histogram& histogram(prometheus::Histogram*& cached, prometheus::Family<prometheus::Histogram>& family,
                                          MakeLabels labels, const prometheus::Histogram::BucketBoundaries& buckets) {
    if (cached == nullptr) cached = &family.Add(labels(), buckets);
    return *cached;
  }

  ServeMetrics& metrics_;
  std::string org_;
  std::string bot_;
  std::string model_;
  prometheus::Counter* llm_ok_ = nullptr;
  prometheus::Counter* llm_failed_ = nullptr;
  prometheus::Counter* tokens_in_ = nullptr;
  prometheus::Counter* tokens_out_ = nullptr;
  std::map<std::string, prometheus::Histogram*, std::less<>> llm_duration_;  // by model
  std::map<std::string, ToolMetrics, std::less<>> tools_;                    // by tool name
  prometheus::Histogram* step_overhead_ = nullptr;
  prometheus::Histogram* inbox_lag_ = nullptr;
  // call_id -> tool name, from ToolRequested until its outcome (bounded by the calls in
  // flight). A call requested before this activation (resumed after a crash) is "unknown".
  std::map<std::string, std::string> tool_of_call_;
};

}  // namespace agentrt::serve
