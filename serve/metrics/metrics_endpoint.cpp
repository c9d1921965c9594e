#include "serve/metrics/metrics_endpoint.hpp"

#include <map>
#include <string>
#include <utility>

#include <spdlog/spdlog.h>

namespace agentrt::serve {

namespace asio = boost::asio;

void MetricsEndpoint::add_routes(Router& router) {
  // Not a coroutine lambda: scrape() is a member coroutine, so no frame refers to the closure.
  router.add("GET", "/metrics", [this](const ServerRequest&, const PathParams&) { return scrape(); });
}

asio::awaitable<ServerResponse> MetricsEndpoint::scrape() {
  const auto now = clock_.monotonic();
  if (!counting_ && (!counted_at_ || now - *counted_at_ >= kSessionCountsMaxAge)) co_await refresh_session_counts();
  for (const auto& refresh : on_scrape_) refresh();
  ServerResponse response;
  response.status = 200;
  response.content_type = std::string(kMetricsContentType);
  response.body = metrics_.scrape();
  co_return response;
}

asio::awaitable<void> MetricsEndpoint::refresh_session_counts() {
  counting_ = true;
  auto counts = co_await store_.count_sessions();
  counting_ = false;
  counted_at_ = clock_.monotonic();
  if (!counts) {
    spdlog::debug("metrics: sessions not counted: {}", counts.error().to_string());
    co_return;
  }
  // Without org labels several (org, bot) rows add up into one series.
  std::map<prometheus::Labels, double> totals;
  for (const auto& row : *counts) {
    const auto labels = metrics_.with_org({{"status", std::string(session_status_name(row.status))}}, row.org.str(),
                                          row.bot.str());
    totals[labels] += static_cast<double>(row.count);
  }
  for (const auto& labels : counted_) {
    if (!totals.contains(labels)) metrics_.sessions.Add(labels).Set(0);
  }
  for (const auto& [labels, total] : totals) {
    metrics_.sessions.Add(labels).Set(total);
    counted_.insert(labels);
  }
}

}  // namespace agentrt::serve
