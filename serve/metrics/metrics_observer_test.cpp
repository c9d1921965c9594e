// MetricsObserver: durable events and step timings in, the counters and histograms of
// ServeMetrics out, read back from the text format that GET /metrics serves.
#include "serve/metrics/metrics_observer.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "serve/metrics/testing/exposition.hpp"

namespace agentrt::serve {
namespace {

using testing::sample;
using namespace std::chrono_literals;

Event event(EventType type, nlohmann::json data) { return Event{EventSeq{1}, type, 1'000, std::move(data)}; }

void one_turn(MetricsObserver& observer) {
  const SessionId s{"s-1"};
  observer.on_message_recorded(s, 10'000, 10'250);
  observer.on_event(s, event(EventType::LlmCompleted, {{"tokens_in", 120}, {"tokens_out", 30}}));
  observer.on_step_timing(s, StepTiming{StepTiming::Kind::llm, "gpt-x", 40ms});
  observer.on_event(s, event(EventType::ToolRequested, {{"call_id", "c1"}, {"name", "lookup"}}));
  observer.on_event(s, event(EventType::ToolRequested, {{"call_id", "c2"}, {"name", "lookup"}}));
  observer.on_step_timing(s, StepTiming{StepTiming::Kind::overhead, {}, 300us});
  observer.on_event(s, event(EventType::ToolCompleted, {{"call_id", "c1"}, {"attempts", 3}}));
  observer.on_event(s, event(EventType::ToolFailed, {{"call_id", "c2"}, {"attempts", 1}}));
  observer.on_event(s, event(EventType::ToolCompleted, {{"call_id", "from-before-a-crash"}, {"attempts", 1}}));
  observer.on_step_timing(s, StepTiming{StepTiming::Kind::tool, "lookup", 2s});
  observer.on_event(s, event(EventType::LlmFailed, {{"error", "boom"}}));
  observer.on_event(s, event(EventType::SessionCompleted, nlohmann::json::object()));
}

TEST(MetricsObserver, CountsTokensToolOutcomesRetriesAndTerminalStatusesFromEvents) {
  ServeMetrics metrics;
  MetricsObserver observer(metrics, "acme", "helpdesk", "gpt-x");
  one_turn(observer);
  one_turn(observer);
  const auto text = metrics.scrape();
  const std::map<std::string, std::string> who{{"org", "acme"}, {"bot", "helpdesk"}};
  auto with = [&](std::map<std::string, std::string> labels) {
    labels.insert(who.begin(), who.end());
    return labels;
  };
  EXPECT_EQ(sample(text, "agentrt_llm_tokens_total", with({{"model", "gpt-x"}, {"direction", "in"}})), 240);
  EXPECT_EQ(sample(text, "agentrt_llm_tokens_total", with({{"model", "gpt-x"}, {"direction", "out"}})), 60);
  EXPECT_EQ(sample(text, "agentrt_llm_calls_total", with({{"model", "gpt-x"}, {"outcome", "ok"}})), 2);
  EXPECT_EQ(sample(text, "agentrt_llm_calls_total", with({{"model", "gpt-x"}, {"outcome", "failed"}})), 2);
  EXPECT_EQ(sample(text, "agentrt_tool_calls_total", with({{"tool", "lookup"}, {"outcome", "ok"}})), 2);
  EXPECT_EQ(sample(text, "agentrt_tool_calls_total", with({{"tool", "lookup"}, {"outcome", "failed"}})), 2);
  EXPECT_EQ(sample(text, "agentrt_tool_calls_total", with({{"tool", "unknown"}, {"outcome", "ok"}})), 2)
      << "a call requested before this activation";
  EXPECT_EQ(sample(text, "agentrt_tool_retries_total", with({{"tool", "lookup"}})), 4) << "3 attempts: 2 retries, twice";
  EXPECT_EQ(sample(text, "agentrt_sessions_finished_total", with({{"status", "completed"}})), 2);
}

TEST(MetricsObserver, TimingsAndInboxLagFillTheirHistograms) {
  ServeMetrics metrics;
  MetricsObserver observer(metrics, "acme", "helpdesk", "gpt-x");
  one_turn(observer);
  const auto text = metrics.scrape();
  EXPECT_EQ(sample(text, "agentrt_llm_call_duration_seconds_count", {{"model", "gpt-x"}}), 1);
  EXPECT_NEAR(*sample(text, "agentrt_llm_call_duration_seconds_sum", {{"model", "gpt-x"}}), 0.04, 1e-9);
  EXPECT_EQ(sample(text, "agentrt_llm_call_duration_seconds_bucket", {{"model", "gpt-x"}, {"le", "0.025"}}), 0);
  EXPECT_EQ(sample(text, "agentrt_llm_call_duration_seconds_bucket", {{"model", "gpt-x"}, {"le", "0.05"}}), 1);
  EXPECT_EQ(sample(text, "agentrt_tool_call_duration_seconds_count", {{"tool", "lookup"}}), 1);
  EXPECT_NEAR(*sample(text, "agentrt_tool_call_duration_seconds_sum", {{"tool", "lookup"}}), 2.0, 1e-9);
  EXPECT_EQ(sample(text, "agentrt_step_overhead_seconds_bucket", {{"le", "0.00025"}}), 0);
  EXPECT_EQ(sample(text, "agentrt_step_overhead_seconds_bucket", {{"le", "0.0005"}}), 1);
  EXPECT_NEAR(*sample(text, "agentrt_inbox_lag_seconds_sum"), 0.25, 1e-9);
  EXPECT_EQ(sample(text, "agentrt_inbox_lag_seconds_count"), 1);
}

// Each observer (one activation) looks a series up once and keeps it: two activations of
// sessions with the same labels, alive at once, still add to one series each.
TEST(MetricsObserver, ActivationsAliveAtOnceAddToTheSameSeries) {
  ServeMetrics metrics;
  MetricsObserver first(metrics, "acme", "helpdesk", "gpt-x");
  MetricsObserver second(metrics, "acme", "helpdesk", "gpt-x");
  one_turn(first);
  one_turn(second);
  one_turn(first);
  const auto text = metrics.scrape();
  const std::map<std::string, std::string> in{{"org", "acme"}, {"bot", "helpdesk"}, {"model", "gpt-x"}, {"direction", "in"}};
  EXPECT_EQ(sample(text, "agentrt_llm_tokens_total", in), 360);
  EXPECT_EQ(sample(text, "agentrt_tool_retries_total", {{"org", "acme"}, {"bot", "helpdesk"}, {"tool", "lookup"}}), 6);
  EXPECT_EQ(sample(text, "agentrt_llm_call_duration_seconds_count", {{"model", "gpt-x"}}), 3);
  EXPECT_EQ(sample(text, "agentrt_tool_call_duration_seconds_count", {{"tool", "lookup"}}), 3);
  EXPECT_EQ(sample(text, "agentrt_step_overhead_seconds_count"), 3);
  EXPECT_EQ(sample(text, "agentrt_inbox_lag_seconds_count"), 3);
}

TEST(MetricsObserver, WithoutOrgLabelsNoSeriesNamesAnOrgOrABot) {
  ServeMetrics metrics(MetricsOptions{false});
  MetricsObserver observer(metrics, "acme", "helpdesk", "gpt-x");
  one_turn(observer);
  const auto text = metrics.scrape();
  EXPECT_EQ(text.find("acme"), std::string::npos) << text;
  EXPECT_EQ(text.find("helpdesk"), std::string::npos) << text;
  EXPECT_EQ(sample(text, "agentrt_llm_tokens_total", {{"model", "gpt-x"}, {"direction", "in"}}), 120);
}

TEST(ServeMetrics, EveryFamilyHasHelpAndTypeAndCountersEndInTotal) {
  ServeMetrics metrics;
  MetricsObserver observer(metrics, "acme", "helpdesk", "gpt-x");
  one_turn(observer);  // families without a sample are not printed at all
  std::istringstream in(metrics.scrape());
  std::string line;
  std::set<std::string> helped;
  std::set<std::string> typed;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string hash, kind, name, type;
    words >> hash >> kind >> name >> type;
    if (hash != "#") continue;
    if (kind == "HELP") helped.insert(name);
    if (kind == "TYPE") {
      typed.insert(name);
      if (type == "counter") {
        EXPECT_TRUE(name.ends_with("_total")) << name;
      }
      EXPECT_TRUE(name.starts_with("agentrt_")) << name;
    }
  }
  EXPECT_EQ(helped, typed);
  EXPECT_GE(typed.size(), 9U);
}

TEST(ServeMetrics, RegistersExactlyTheFamiliesOfTheSharedList) {
  const char* source = std::getenv("AGENTRT_SOURCE_DIR");
  ASSERT_NE(source, nullptr);
  std::ifstream list(std::string(source) + "/serve/metrics/metric_names.txt");
  ASSERT_TRUE(list) << "serve/metrics/metric_names.txt";
  std::set<std::string> listed;
  for (std::string line; std::getline(list, line);) {
    if (!line.empty() && line.front() != '#') listed.insert(line);
  }
  ServeMetrics metrics;
  const auto names = metrics.family_names();
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()), listed);
}

}  // namespace
}  // namespace agentrt::serve
