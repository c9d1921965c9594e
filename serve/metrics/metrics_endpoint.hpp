#pragma once
// GET /metrics on serve's API port: every family of ServeMetrics in the Prometheus text format
// 0.0.4. No org token: it carries no session data, only counts; but org and bot names appear
// as label values (docs/observability.md says so; metrics.org_labels: false drops them).
//
// agentrt_sessions{status} is read from the store (SessionStore::count_sessions, one scan)
// when a scrape finds it older than kSessionCountsMaxAge, so an unscraped server costs the
// store nothing and scrapes from several Prometheus servers share one read. A failed read
// keeps the last counts (the failure is logged at debug).
// Threading: on the serve io_context.

#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "backends/http_server/router.hpp"
#include "core/ports/clock.hpp"
#include "core/ports/session_store.hpp"
#include "serve/metrics/serve_metrics.hpp"

namespace agentrt::serve {

inline constexpr std::chrono::seconds kSessionCountsMaxAge{10};
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

class MetricsEndpoint {
 public:
  // All three must outlive it.
  MetricsEndpoint(ServeMetrics& metrics, SessionStore& store, const Clock& clock)
      : metrics_(metrics), store_(store), clock_(clock) {}

  void add_routes(Router& router);
  // Runs at every scrape, before the families are read (values read from elsewhere: Redis,
  // the KV caches). Each call adds one; they run in the order added.
  void on_scrape(std::function<void()> refresh) { on_scrape_.push_back(std::move(refresh)); }
  boost::asio::awaitable<ServerResponse> scrape();

 private:
  boost::asio::awaitable<void> refresh_session_counts();

  ServeMetrics& metrics_;
  SessionStore& store_;
  const Clock& clock_;
  std::optional<std::chrono::steady_clock::time_point> counted_at_;
  bool counting_ = false;
  std::set<prometheus::Labels> counted_;  // label sets set before: zeroed when they disappear
  std::vector<std::function<void()>> on_scrape_;
};

}  // namespace agentrt::serve
