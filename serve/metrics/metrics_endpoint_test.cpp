// GET /metrics: the text format with its content type, agentrt_sessions read from the store
// (and not again within kSessionCountsMaxAge), and the lease renewals MeteredLeaseStore counts.
#include "serve/metrics/metrics_endpoint.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "backends/http_server/testing/raw_http_client.hpp"
#include "backends/memory/memory_lease_store.hpp"
#include "backends/memory/memory_session_store.hpp"
#include "serve/metrics/metered_lease_store.hpp"
#include "serve/metrics/testing/exposition.hpp"

namespace agentrt::serve {
namespace {

using json = nlohmann::json;
using testing::sample;
using std::chrono::milliseconds;

class ManualClock final : public Clock {
 public:
  std::int64_t wall_ms() const override { return 1'700'000'000'000 + elapsed_ms; }
  std::chrono::steady_clock::time_point monotonic() const override {
    return std::chrono::steady_clock::time_point{} + milliseconds(elapsed_ms);
  }
  std::int64_t elapsed_ms = 0;
};

class MetricsEndpointTest : public ::testing::Test {
 protected:
  void create(const std::string& id, const std::string& org, const std::string& bot) {
    SessionRecord record;
    record.id = SessionId{id};
    record.org = OrgId{org};
    record.bot = BotId{bot};
    record.definition_hash = "hash";
    record.created_ms = record.updated_ms = clock_.wall_ms();
    auto stored = agentrt::testing::run_bounded(
        io_, store_->create_session(record, json{{"name", "d"}},
                                    {Event{EventSeq{1}, EventType::SessionStarted, record.created_ms, json::object()}}));
    ASSERT_TRUE(stored.ok()) << stored.error().to_string();
  }
  std::string scrape(MetricsEndpoint& endpoint) {
    Router router;
    endpoint.add_routes(router);
    ServerRequest request;
    request.method = "GET";
    request.target = request.path = "/metrics";
    const ServerResponse response = agentrt::testing::run_bounded(io_, router.handle(request));
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.content_type, kMetricsContentType);
    return response.body;
  }

  boost::asio::io_context io_;
  ManualClock clock_;
  std::unique_ptr<MemorySessionStore> store_ = make_memory_session_store();
};

TEST_F(MetricsEndpointTest, SessionsByStatusComeFromTheStoreAtMostEveryTenSeconds) {
  create("s-1", "acme", "helpdesk");
  create("s-2", "acme", "helpdesk");
  create("s-3", "globex", "sales");
  ServeMetrics metrics;
  MetricsEndpoint endpoint(metrics, *store_, clock_);
  auto text = scrape(endpoint);
  EXPECT_EQ(sample(text, "agentrt_sessions", {{"org", "acme"}, {"bot", "helpdesk"}, {"status", "idle"}}), 2) << text;
  EXPECT_EQ(sample(text, "agentrt_sessions", {{"org", "globex"}, {"bot", "sales"}, {"status", "idle"}}), 1);

  create("s-4", "acme", "helpdesk");
  clock_.elapsed_ms += 5'000;
  text = scrape(endpoint);
  EXPECT_EQ(sample(text, "agentrt_sessions", {{"org", "acme"}, {"status", "idle"}}), 2) << "cached for 10 s";
  clock_.elapsed_ms += 5'000;
  text = scrape(endpoint);
  EXPECT_EQ(sample(text, "agentrt_sessions", {{"org", "acme"}, {"status", "idle"}}), 3) << "read again";
}

TEST_F(MetricsEndpointTest, WithoutOrgLabelsTheCountsAddUpPerStatus) {
  create("s-1", "acme", "helpdesk");
  create("s-2", "globex", "sales");
  ServeMetrics metrics(MetricsOptions{false});
  MetricsEndpoint endpoint(metrics, *store_, clock_);
  const auto text = scrape(endpoint);
  EXPECT_EQ(sample(text, "agentrt_sessions", {{"status", "idle"}}), 2) << text;
  EXPECT_EQ(text.find("acme"), std::string::npos);
}

TEST_F(MetricsEndpointTest, MeteredLeaseStoreCountsRenewalsByOutcome) {
  create("s-1", "acme", "helpdesk");
  ServeMetrics metrics;
  auto leases = make_memory_lease_store(*store_);
  MeteredLeaseStore metered(*leases, metrics);
  auto lease = agentrt::testing::run_bounded(io_, metered.acquire(SessionId{"s-1"}, "w-1", milliseconds(5000), clock_.wall_ms()));
  ASSERT_TRUE(lease.ok()) << lease.error().to_string();
  auto renewed = agentrt::testing::run_bounded(
      io_, metered.renew(SessionId{"s-1"}, "w-1", lease->epoch, milliseconds(5000), clock_.wall_ms()));
  EXPECT_TRUE(renewed.ok());
  auto stale = agentrt::testing::run_bounded(
      io_, metered.renew(SessionId{"s-1"}, "w-2", lease->epoch, milliseconds(5000), clock_.wall_ms()));
  EXPECT_FALSE(stale.ok());
  MetricsEndpoint endpoint(metrics, *store_, clock_);
  const auto text = scrape(endpoint);
  EXPECT_EQ(sample(text, "agentrt_lease_renewals_total", {{"outcome", "ok"}}), 1) << text;
  EXPECT_EQ(sample(text, "agentrt_lease_renewals_total", {{"outcome", "fenced"}}), 1);
}

}  // namespace
}  // namespace agentrt::serve
