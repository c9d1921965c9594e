#include "backends/otel/otlp_exporter.hpp"

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <limits>
#include <thread>

#include <gtest/gtest.h>

#include <future>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <nlohmann/json.hpp>

#include "backends/http/testing/run_coroutine.hpp"
#include "backends/http/testing/test_http_server.hpp"
#include "backends/otel/otlp_export_thread.hpp"

namespace agentrt {
namespace {

namespace asio = boost::asio;
using nlohmann::json;
using testing::RecordedRequest;
using testing::TestHttpServer;
using testing::TestReply;

constexpr const char* kTrace = "4bf92f3577b34da6a3ce929d0e0e4736";

Span span_named(const std::string& name, int n) {
  Span span;
  span.trace_id = kTrace;
  span.span_id = std::string(15, '0') + std::to_string(n % 10 == 0 ? 1 : n % 10);
  span.parent_span_id = "00f067aa0ba902b7";
  span.name = name;
  span.start_ns = 1'700'000'000'000'000'000 + n;
  span.end_ns = span.start_ns + 5;
  return span;
}

TEST(OtlpJson, EncodesTheOtlpJsonMapping) {
  Span root;
  root.trace_id = kTrace;
  root.span_id = "00f067aa0ba902b7";
  root.name = "agentrt.session";
  root.kind = SpanKind::server;
  root.start_ns = root.end_ns = 1'700'000'000'123'456'789;
  Span child = span_named("tool lookup", 3);
  child.kind = SpanKind::client;
  child.attributes = {{"agentrt.tool.name", std::string("lookup")},
                      {"agentrt.tool.attempts", std::int64_t{3}},
                      {"agentrt.resumed", true},
                      {"ratio", 0.5},
                      {"agentrt.session", SpanText::shared("01JDXQ7ZK3M8P4R6T9V2W5Y7Z0")}};
  child.status = SpanStatus::error;
  child.status_message = std::string("bad \xff byte");
  child.links = {{kTrace, "1111111111111111"}};

  const auto j = json::parse(encode_otlp_traces({"agentrt", "0.1.0", "worker-1"}, std::vector<Span>{root, child}));
  const auto& resource_spans = j.at("resourceSpans").at(0);
  const auto& resource_attributes = resource_spans.at("resource").at("attributes");
  EXPECT_EQ(resource_attributes.at(0), (json{{"key", "service.name"}, {"value", {{"stringValue", "agentrt"}}}}));
  EXPECT_EQ(resource_attributes.at(2).at("value").at("stringValue"), "worker-1");
  const auto& scope_spans = resource_spans.at("scopeSpans").at(0);
  EXPECT_EQ(scope_spans.at("scope").at("name"), "agentrt");
  const auto& spans = scope_spans.at("spans");
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].at("traceId"), kTrace);
  EXPECT_FALSE(spans[0].contains("parentSpanId"));  // a root span
  EXPECT_EQ(spans[0].at("kind"), 2);
  EXPECT_EQ(spans[0].at("startTimeUnixNano"), "1700000000123456789");
  EXPECT_EQ(spans[0].at("status").at("code"), 0);
  EXPECT_EQ(spans[1].at("parentSpanId"), "00f067aa0ba902b7");
  EXPECT_EQ(spans[1].at("kind"), 3);
  EXPECT_EQ(spans[1].at("attributes").at(1).at("value"), (json{{"intValue", "3"}}));
  EXPECT_EQ(spans[1].at("attributes").at(2).at("value"), (json{{"boolValue", true}}));
  EXPECT_EQ(spans[1].at("attributes").at(3).at("value"), (json{{"doubleValue", 0.5}}));
  EXPECT_EQ(spans[1].at("attributes").at(4).at("value"), (json{{"stringValue", "01JDXQ7ZK3M8P4R6T9V2W5Y7Z0"}}));
  EXPECT_EQ(spans[1].at("status").at("code"), 2);
  EXPECT_EQ(spans[1].at("status").at("message"), "bad \xef\xbf\xbd byte");
  EXPECT_EQ(spans[1].at("links").at(0).at("spanId"), "1111111111111111");
}

TEST(OtlpJson, AnEmptyBatchAndOddValuesStillMakeValidJson) {
  const auto empty = json::parse(encode_otlp_traces({}, {}));
  EXPECT_TRUE(empty.at("resourceSpans").at(0).at("scopeSpans").at(0).at("spans").empty());
  EXPECT_FALSE(empty.at("resourceSpans").at(0).at("scopeSpans").at(0).at("scope").contains("version"));

  Span odd = span_named(std::string("quote \" backslash \\ newline \n nul") + std::string(1, '\0'), 1);
  odd.attributes = {{"nan", std::numeric_limits<double>::quiet_NaN()},
                    {"big", std::int64_t{-9'223'372'036'854'775'807 - 1}},
                    {"tiny", 1e-300},
                    {"no", false}};
  const auto j = json::parse(encode_otlp_traces({}, std::vector<Span>{odd}));
  const auto& span = j.at("resourceSpans").at(0).at("scopeSpans").at(0).at("spans").at(0);
  EXPECT_EQ(span.at("name"), std::string(odd.name.str()));
  EXPECT_TRUE(span.at("attributes").at(0).at("value").at("doubleValue").is_null());
  EXPECT_EQ(span.at("attributes").at(1).at("value").at("intValue"), "-9223372036854775808");
  EXPECT_EQ(span.at("attributes").at(2).at("value").at("doubleValue"), 1e-300);
  EXPECT_EQ(span.at("attributes").at(3).at("value").at("boolValue"), false);
  EXPECT_FALSE(span.contains("links"));
}

class OtlpExporterTest : public ::testing::Test {
 protected:
  OtlpExporterOptions options(const TestHttpServer& server) {
    OtlpExporterOptions o;
    o.endpoint = server.url("/v1/traces");
    o.headers = {{"x-api-key", "secret-key"}};
    o.resource.service_instance_id = "worker-1";
    o.interval = std::chrono::milliseconds(20);
    o.retry_delay = std::chrono::milliseconds(20);
    o.timeout = std::chrono::milliseconds(2'000);
    return o;
  }

  // Exports `count` spans, stops the exporter and runs it until it has sent what it can.
  OtlpExporterStats run_with(OtlpExporterOptions o, int count) {
    OtlpExporter exporter(ioc_.get_executor(), std::move(o));
    for (int i = 0; i < count; ++i) exporter.export_span(span_named("span", i + 1));
    exporter.stop();
    auto done = asio::co_spawn(ioc_, exporter.run(), asio::use_future);
    testing::wait_for_future(ioc_, done);
    return exporter.stats();
  }

  OtlpExporterOptions batching(const TestHttpServer& server, std::size_t max_batch, std::chrono::milliseconds interval) {
    auto o = options(server);
    o.max_batch = max_batch;
    o.interval = interval;
    return o;
  }

  // Spans numbered from first + 1 to last (span_named), into the exporter.
  static void export_numbered(OtlpExporter& exporter, int first, int last) {
    for (int i = first; i < last; ++i) exporter.export_span(span_named("span", i + 1));
  }

  // A collector that answers 200, the first request only after 200 ms.
  static TestReply slow_first_export(const RecordedRequest&, std::size_t index) {
    if (index == 0) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    return TestReply::json(200, "{}");
  }

  // Runs the exporter's io_context until `condition` holds, for at most 10 s; returns it.
  template <typename Condition>
  bool run_until(Condition condition) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!condition() && std::chrono::steady_clock::now() < deadline) ioc_.run_one_for(std::chrono::milliseconds(10));
    return condition();
  }

  static std::size_t spans_in(const RecordedRequest& request) {
    return json::parse(request.body).at("resourceSpans").at(0).at("scopeSpans").at(0).at("spans").size();
  }

  asio::io_context ioc_;
};

TEST_F(OtlpExporterTest, SendsEverySpanInBatchesWithTheConfiguredHeaders) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) { return TestReply::json(200, "{}"); });
  auto o = options(server);
  o.max_batch = 2;
  const auto stats = run_with(o, 5);
  EXPECT_EQ(stats.queued, 5u);
  EXPECT_EQ(stats.exported, 5u);
  EXPECT_EQ(stats.failed, 0u);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(spans_in(requests[0]) + spans_in(requests[1]) + spans_in(requests[2]), 5u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/v1/traces");
  EXPECT_EQ(requests[0].header("Content-Type"), "application/json");
  EXPECT_EQ(requests[0].header("x-api-key"), "secret-key");
}

TEST_F(OtlpExporterTest, RetriesOnceWhenTheCollectorIsBusy) {
  TestHttpServer server([](const RecordedRequest&, std::size_t index) {
    return index == 0 ? TestReply::text(503, "busy") : TestReply::json(200, "{}");
  });
  const auto stats = run_with(options(server), 3);
  EXPECT_EQ(stats.exported, 3u);
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST_F(OtlpExporterTest, CountsSpansOfARefusedExportAsFailedWithoutRetrying) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) { return TestReply::text(400, "bad request"); });
  const auto stats = run_with(options(server), 3);
  EXPECT_EQ(stats.exported, 0u);
  EXPECT_EQ(stats.failed, 3u);
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST_F(OtlpExporterTest, CountsSpansTheCollectorRejectedInAPartialSuccess) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) {
    return TestReply::json(200, R"({"partialSuccess":{"rejectedSpans":"2","errorMessage":"too old"}})");
  });
  const auto stats = run_with(options(server), 3);
  EXPECT_EQ(stats.exported, 1u);
  EXPECT_EQ(stats.failed, 2u);
}

TEST_F(OtlpExporterTest, DropsAndCountsWhatDoesNotFitTheQueue) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) { return TestReply::json(200, "{}"); });
  auto o = options(server);
  o.max_queue = 3;
  const auto stats = run_with(o, 5);
  EXPECT_EQ(stats.queued, 3u);
  EXPECT_EQ(stats.dropped, 2u);
  EXPECT_EQ(stats.exported, 3u);
}

TEST_F(OtlpExporterTest, ACollectorThatIsDownLosesSpansButNeverTheExporter) {
  OtlpExporterOptions o;
  o.endpoint = "http://127.0.0.1:" + std::to_string(TestHttpServer::unused_port()) + "/v1/traces";
  o.interval = std::chrono::milliseconds(20);
  o.retry_delay = std::chrono::milliseconds(20);
  o.timeout = std::chrono::milliseconds(1'000);
  const auto stats = run_with(o, 4);
  EXPECT_EQ(stats.exported, 0u);
  EXPECT_EQ(stats.failed, 4u);
}

TEST_F(OtlpExporterTest, AFullBatchIsSentBeforeTheIntervalEnds) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) { return TestReply::json(200, "{}"); });
  OtlpExporter exporter(ioc_.get_executor(), batching(server, 4, std::chrono::milliseconds(60'000)));
  auto done = asio::co_spawn(ioc_, exporter.run(), asio::use_future);
  export_numbered(exporter, 0, 4);
  EXPECT_TRUE(run_until([&] { return exporter.stats().exported == 4; }));
  exporter.stop();
  testing::wait_for_future(ioc_, done);
}

// A batch that fills while another is being sent posts its wake when no timer waits: it must
// not then wait out the interval (the queue would overflow meanwhile), nor silence the next one.
TEST_F(OtlpExporterTest, BatchesThatFillWhileOneIsSentAreSentBeforeTheIntervalEnds) {
  TestHttpServer server(slow_first_export);
  OtlpExporter exporter(ioc_.get_executor(), batching(server, 4, std::chrono::milliseconds(60'000)));
  auto done = asio::co_spawn(ioc_, exporter.run(), asio::use_future);
  export_numbered(exporter, 0, 4);
  ASSERT_TRUE(run_until([&] { return server.requests().size() == 1; }));  // the first batch is in flight
  export_numbered(exporter, 4, 8);
  EXPECT_TRUE(run_until([&] { return exporter.stats().exported == 8; }));
  export_numbered(exporter, 8, 12);
  EXPECT_TRUE(run_until([&] { return exporter.stats().exported == 12; })) << "the third batch waited for the interval";
  exporter.stop();
  testing::wait_for_future(ioc_, done);
}

// Under load each request carries a full batch: what queued while a request was out goes in
// full batches, and the rest waits for the next batch, the interval or the stop (sending it at
// once made batches of ~150 spans in serve_bench, with a request's cost each).
TEST_F(OtlpExporterTest, SpansLeftOverFromFullBatchesWaitForTheNextBatchOrTheInterval) {
  TestHttpServer server(slow_first_export);
  OtlpExporter exporter(ioc_.get_executor(), batching(server, 4, std::chrono::milliseconds(60'000)));
  auto done = asio::co_spawn(ioc_, exporter.run(), asio::use_future);
  export_numbered(exporter, 0, 4);
  ASSERT_TRUE(run_until([&] { return server.requests().size() == 1; }));  // the first batch is in flight
  export_numbered(exporter, 4, 10);  // a batch and a half
  ASSERT_TRUE(run_until([&] { return exporter.stats().exported == 8; }));
  const auto settle = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
  while (server.requests().size() == 2 && std::chrono::steady_clock::now() < settle) {
    ioc_.run_one_for(std::chrono::milliseconds(10));  // time for a third request, which must not come
  }
  ASSERT_EQ(server.requests().size(), 2u) << "the half batch went out on its own";
  EXPECT_EQ(spans_in(server.requests()[1]), 4u);
  export_numbered(exporter, 10, 12);  // completes the next batch
  ASSERT_TRUE(run_until([&] { return exporter.stats().exported == 12; }));
  ASSERT_EQ(server.requests().size(), 3u);
  EXPECT_EQ(spans_in(server.requests()[2]), 4u);
  EXPECT_EQ(json::parse(server.requests()[2].body).at("resourceSpans").at(0).at("scopeSpans").at(0).at("spans").at(0).at("startTimeUnixNano"),
            std::to_string(1'700'000'000'000'000'000 + 9))
      << "the spans left over go first";
  exporter.export_span(span_named("span", 13));
  exporter.stop();  // sends the partial batch
  testing::wait_for_future(ioc_, done);
  EXPECT_EQ(exporter.stats().exported, 13u);
  ASSERT_EQ(server.requests().size(), 4u);
  EXPECT_EQ(spans_in(server.requests()[3]), 1u);
}

TEST_F(OtlpExporterTest, APartialBatchIsSentWhenTheIntervalPasses) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) { return TestReply::json(200, "{}"); });
  OtlpExporter exporter(ioc_.get_executor(), batching(server, 512, std::chrono::milliseconds(50)));
  auto done = asio::co_spawn(ioc_, exporter.run(), asio::use_future);
  export_numbered(exporter, 0, 3);
  EXPECT_TRUE(run_until([&] { return exporter.stats().exported == 3; }));
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(spans_in(server.requests()[0]), 3u);
  exporter.stop();
  testing::wait_for_future(ioc_, done);
}

TEST(OtlpExportThread, ExportsFromItsOwnThreadAndJoinSendsWhatIsQueued) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) { return TestReply::json(200, "{}"); });
  OtlpExporterOptions o;
  o.endpoint = server.url("/v1/traces");
  o.interval = std::chrono::milliseconds(60'000);  // only join() sends
  OtlpExportThread exporter(std::move(o));
  // Spans come from other threads (serve's event loop); the queue takes them from any.
  std::thread producer([&exporter] {
    for (int i = 0; i < 7; ++i) exporter.sink().export_span(span_named("span", i + 1));
  });
  producer.join();
  exporter.join();
  EXPECT_EQ(exporter.stats().exported, 7u);
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(json::parse(server.requests()[0].body).at("resourceSpans").at(0).at("scopeSpans").at(0).at("spans").size(),
            7u);
  exporter.join();  // a second join (and the destructor's) is harmless
}

TEST(OtlpExportThread, RunsBelowThePriorityOfTheThreadThatStartedIt) {
  OtlpExporterOptions o;
  o.endpoint = "http://127.0.0.1:" + std::to_string(TestHttpServer::unused_port()) + "/v1/traces";
  errno = 0;
  const int own = getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
  ASSERT_EQ(errno, 0);
  OtlpExportThread exporter(std::move(o));
  ASSERT_NE(exporter.thread_id(), 0);
  ASSERT_NE(exporter.thread_id(), static_cast<long>(::gettid()));
  errno = 0;
  const int exporters = getpriority(PRIO_PROCESS, static_cast<id_t>(exporter.thread_id()));
  ASSERT_EQ(errno, 0);
  EXPECT_EQ(exporters, std::min(own + OtlpExportThread::kNiceIncrement, 19));
  EXPECT_EQ(sched_getscheduler(static_cast<pid_t>(exporter.thread_id())), SCHED_BATCH) << "it never preempts on waking";
  EXPECT_EQ(sched_getscheduler(0), SCHED_OTHER);
  EXPECT_EQ(getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid())), own) << "only the exporter's thread is lowered";
}

TEST(OtlpExportThread, EndsPromptlyWithNothingToSend) {
  OtlpExporterOptions o;
  o.endpoint = "http://127.0.0.1:" + std::to_string(TestHttpServer::unused_port()) + "/v1/traces";
  const auto started = std::chrono::steady_clock::now();
  { OtlpExportThread exporter(std::move(o)); }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
}

}  // namespace
}  // namespace agentrt
