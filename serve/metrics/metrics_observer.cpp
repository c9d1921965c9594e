#include "serve/metrics/metrics_observer.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

namespace agentrt::serve {
namespace {

double seconds(std::chrono::nanoseconds duration) { return std::chrono::duration<double>(duration).count(); }

std::int64_t non_negative(const nlohmann::json& data, const char* key) {
  const auto it = data.find(key);
  if (it == data.end() || !it->is_number_integer()) return 0;
  return std::max<std::int64_t>(0, it->get<std::int64_t>());
}

std::string text_of(const nlohmann::json& data, const char* key) {
  const auto it = data.find(key);
  return it != data.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

MetricsObserver::MetricsObserver(ServeMetrics& metrics, std::string org, std::string bot, std::string model)
    : metrics_(metrics), org_(std::move(org)), bot_(std::move(bot)), model_(std::move(model)) {}

void MetricsObserver::on_event(const SessionId& /*session*/, const Event& event) {
  switch (event.type) {
    case EventType::LlmCompleted: {
      metrics_.llm_calls.Add(metrics_.with_org({{"model", model_}, {"outcome", "ok"}}, org_, bot_)).Increment();
      const auto tokens_in = non_negative(event.data, "tokens_in");
      const auto tokens_out = non_negative(event.data, "tokens_out");
      metrics_.llm_tokens.Add(metrics_.with_org({{"model", model_}, {"direction", "in"}}, org_, bot_))
          .Increment(static_cast<double>(tokens_in));
      metrics_.llm_tokens.Add(metrics_.with_org({{"model", model_}, {"direction", "out"}}, org_, bot_))
          .Increment(static_cast<double>(tokens_out));
      break;
    }
    case EventType::LlmFailed:
      metrics_.llm_calls.Add(metrics_.with_org({{"model", model_}, {"outcome", "failed"}}, org_, bot_)).Increment();
      break;
    case EventType::ToolRequested:
      tool_of_call_[text_of(event.data, "call_id")] = text_of(event.data, "name");
      break;
    case EventType::ToolCompleted:
      tool_finished(event, "ok");
      break;
    case EventType::ToolFailed:
      tool_finished(event, "failed");
      break;
    case EventType::SessionCompleted:
      metrics_.sessions_finished.Add(metrics_.with_org({{"status", "completed"}}, org_, bot_)).Increment();
      break;
    case EventType::SessionFailed:
      metrics_.sessions_finished.Add(metrics_.with_org({{"status", "failed"}}, org_, bot_)).Increment();
      break;
    case EventType::SessionCancelled:
      metrics_.sessions_finished.Add(metrics_.with_org({{"status", "cancelled"}}, org_, bot_)).Increment();
      break;
    default:
      break;
  }
}

void MetricsObserver::tool_finished(const Event& event, const char* outcome) {
  std::string tool = "unknown";
  if (const auto it = tool_of_call_.find(text_of(event.data, "call_id")); it != tool_of_call_.end()) {
    tool = std::move(it->second);
    tool_of_call_.erase(it);
  }
  metrics_.tool_calls.Add(metrics_.with_org({{"tool", tool}, {"outcome", outcome}}, org_, bot_)).Increment();
  const auto attempts = non_negative(event.data, "attempts");
  if (attempts > 1) {
    metrics_.tool_retries.Add(metrics_.with_org({{"tool", tool}}, org_, bot_)).Increment(static_cast<double>(attempts - 1));
  }
}

void MetricsObserver::on_step_timing(const SessionId& /*session*/, const StepTiming& timing) {
  switch (timing.kind) {
    case StepTiming::Kind::llm:
      metrics_.llm_call_duration.Add({{"model", std::string(timing.name)}}, latency_buckets()).Observe(seconds(timing.duration));
      break;
    case StepTiming::Kind::tool:
      metrics_.tool_call_duration.Add({{"tool", std::string(timing.name)}}, latency_buckets()).Observe(seconds(timing.duration));
      break;
    case StepTiming::Kind::overhead:
      metrics_.step_overhead.Add({}, overhead_buckets()).Observe(seconds(timing.duration));
      break;
  }
}

void MetricsObserver::on_message_recorded(const SessionId& /*session*/, std::int64_t enqueued_ms, std::int64_t recorded_ms) {
  if (enqueued_ms <= 0) return;  // not known (an old inbox row)
  const auto lag_ms = std::max<std::int64_t>(0, recorded_ms - enqueued_ms);
  metrics_.inbox_lag.Add({}, latency_buckets()).Observe(static_cast<double>(lag_ms) / 1000.0);
}

}  // namespace agentrt::serve
