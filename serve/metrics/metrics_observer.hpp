#pragma once
// MetricsObserver: one activation's durable events and step timings into ServeMetrics
// (docs/observability.md). Counters come from the durable events (docs/events.md): tokens
// from LlmCompleted, tool outcomes and retries from ToolCompleted/ToolFailed (attempts),
// terminal statuses; so a step redone after a crash counts again only if it was recorded
// again. Latencies come from the runner's StepTiming (monotonic), inbox lag from
// on_message_recorded.
// Threading: called on the runner's executor; never blocks (prometheus-cpp updates are a map
// lookup and an atomic add).

#include <cstdint>
#include <map>
#include <string>

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
  void tool_finished(const Event& event, const char* outcome);

  ServeMetrics& metrics_;
  std::string org_;
  std::string bot_;
  std::string model_;
  // call_id -> tool name, from ToolRequested until its outcome (bounded by the calls in
  // flight). A call requested before this activation (resumed after a crash) is "unknown".
  std::map<std::string, std::string> tool_of_call_;
};

}  // namespace agentrt::serve
