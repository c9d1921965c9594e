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

MetricsObserver::ToolMetrics& MetricsObserver::tool_metrics(std::string_view tool) {
  auto it = tools_.find(tool);
  if (it == tools_.end()) it = tools_.emplace(std::string(tool), ToolMetrics{}).first;
  return it->second;
}

prometheus::Histogram*& MetricsObserver::llm_duration(std::string_view model) {
  auto it = llm_duration_.find(model);
  if (it == llm_duration_.end()) it = llm_duration_.emplace(std::string(model), nullptr).first;
  return it->second;
}

void MetricsObserver::on_event(const SessionId& /*session*/, const Event& event) {
  switch (event.type) {
    case EventType::LlmCompleted: {
      counter(llm_ok_, metrics_.llm_calls, [&] { return prometheus::Labels{{"model", model_}, {"outcome", "ok"}}; }).Increment();
      const auto tokens_in = non_negative(event.data, "tokens_in");
      const auto tokens_out = non_negative(event.data, "tokens_out");
      counter(tokens_in_, metrics_.llm_tokens, [&] { return prometheus::Labels{{"model", model_}, {"direction", "in"}}; })
          .Increment(static_cast<double>(tokens_in));
      counter(tokens_out_, metrics_.llm_tokens, [&] { return prometheus::Labels{{"model", model_}, {"direction", "out"}}; })
          .Increment(static_cast<double>(tokens_out));
      break;
    }
    case EventType::LlmFailed:
      counter(llm_failed_, metrics_.llm_calls, [&] { return prometheus::Labels{{"model", model_}, {"outcome", "failed"}}; })
          .Increment();
      break;
    case EventType::ToolRequested:
      tool_of_call_[text_of(event.data, "call_id")] = text_of(event.data, "name");
      break;
    case EventType::ToolCompleted:
      tool_finished(event, true);
      break;
    case EventType::ToolFailed:
      tool_finished(event, false);
      break;
    // A session ends once: these stay plain lookups.
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

void MetricsObserver::tool_finished(const Event& event, bool ok) {
  std::string tool = "unknown";
  if (const auto it = tool_of_call_.find(text_of(event.data, "call_id")); it != tool_of_call_.end()) {
    tool = std::move(it->second);
    tool_of_call_.erase(it);
  }
  auto& metrics = tool_metrics(tool);
  const char* outcome = ok ? "ok" : "failed";
  counter(ok ? metrics.ok : metrics.failed, metrics_.tool_calls, [&] {
    return prometheus::Labels{{"tool", tool}, {"outcome", outcome}};
  }).Increment();
  const auto attempts = non_negative(event.data, "attempts");
  if (attempts > 1) {
    counter(metrics.retries, metrics_.tool_retries, [&] { return prometheus::Labels{{"tool", tool}}; })
        .Increment(static_cast<double>(attempts - 1));
  }
}

void MetricsObserver::on_step_timing(const SessionId& /*session*/, const StepTiming& timing) {
  switch (timing.kind) {
    case StepTiming::Kind::llm:
      histogram(llm_duration(timing.name), metrics_.llm_call_duration,
                [&] { return prometheus::Labels{{"model", std::string(timing.name)}}; }, latency_buckets())
          .Observe(seconds(timing.duration));
      break;
    case StepTiming::Kind::tool:
      histogram(tool_metrics(timing.name).duration, metrics_.tool_call_duration,
                [&] { return prometheus::Labels{{"tool", std::string(timing.name)}}; }, latency_buckets())
          .Observe(seconds(timing.duration));
      break;
    case StepTiming::Kind::overhead:
      histogram(step_overhead_, metrics_.step_overhead, [] { return prometheus::Labels{}; }, overhead_buckets())
          .Observe(seconds(timing.duration));
      break;
  }
}

void MetricsObserver::on_message_recorded(const SessionId& /*session*/, std::int64_t enqueued_ms, std::int64_t recorded_ms) {
  if (enqueued_ms <= 0) return;  // not known (an old inbox row)
  const auto lag_ms = std::max<std::int64_t>(0, recorded_ms - enqueued_ms);
  histogram(inbox_lag_, metrics_.inbox_lag, [] { return prometheus::Labels{}; }, latency_buckets())
      .Observe(static_cast<double>(lag_ms) / 1000.0);
}

}  // namespace agentrt::serve
