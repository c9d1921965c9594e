#include "backends/tools/http_tool_runner.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "backends/http/testing/run_coroutine.hpp"
#include "backends/http/testing/test_http_server.hpp"

namespace agentrt {
namespace {

namespace asio = boost::asio;
using nlohmann::json;
using std::chrono::milliseconds;
using testing::RecordedRequest;
using testing::TestHttpServer;
using testing::TestReply;

class HttpToolRunnerTest : public ::testing::Test {
 protected:
  ToolDefinition tool(const TestHttpServer& server, std::string method, std::string path) {
    ToolDefinition t;
    t.name = "orders";
    t.kind = ToolKind::http;
    t.http.method = std::move(method);
    t.http.url = server.url(path);
    t.timeout = milliseconds(2000);
    t.retry = RetryPolicy{3, milliseconds(10), milliseconds(200), 2.0};
    return t;
  }

  Result<ToolResult> run(const ToolDefinition& t, json arguments, std::string key = "s-1:7") {
    return testing::run_coroutine(ioc_, runner_->run(ToolInvocation{&t, std::move(arguments), std::move(key)}));
  }

  asio::io_context ioc_;
  CurlClient http_{ioc_.get_executor()};
  std::unique_ptr<ToolRunner> runner_ = make_http_tool_runner(http_, HttpToolRunnerOptions{.jitter_seed = 1});
};

TEST_F(HttpToolRunnerTest, PostSendsJsonArgumentsAndReturnsTheBody) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) { return TestReply::json(201, R"({"id":"o-1"})"); });
  const auto t = tool(server, "POST", "/orders");
  const auto result = run(t, json{{"item", "book"}, {"qty", 2}});
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_TRUE(result->ok);
  EXPECT_EQ(result->output, R"({"id":"o-1"})");
  EXPECT_EQ(result->attempts, 1);
  const RecordedRequest seen = server.requests().at(0);
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.target, "/orders");
  EXPECT_EQ(json::parse(seen.body), (json{{"item", "book"}, {"qty", 2}}));
  EXPECT_EQ(seen.header("Content-Type"), "application/json");
  EXPECT_EQ(seen.header("Idempotency-Key"), "s-1:7");
}

TEST_F(HttpToolRunnerTest, EveryTryCarriesTheCallsTraceparent) {
  TestHttpServer server([](const RecordedRequest&, std::size_t index) {
    return index == 0 ? TestReply::text(503, "busy") : TestReply::json(200, "{}");
  });
  const auto t = tool(server, "POST", "/orders");
  const std::string traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const auto result =
      testing::run_coroutine(ioc_, runner_->run(ToolInvocation{&t, json::object(), "s-1:7", traceparent}));
  ASSERT_TRUE(result.ok()) << result.error().message;
  ASSERT_EQ(server.requests().size(), 2U);
  for (const auto& request : server.requests()) EXPECT_EQ(request.header("traceparent"), traceparent);
}

TEST_F(HttpToolRunnerTest, GetEncodesTheUrlTemplateAndQuery) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) { return TestReply::text(200, "found"); });
  const auto t = tool(server, "GET", "/customers/{name}/orders");
  const auto result = run(t, json{{"name", "Zoë O'Neil/2"}, {"status", "open & paid"}});
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->ok);
  const RecordedRequest seen = server.requests().at(0);
  EXPECT_EQ(seen.target, "/customers/Zo%C3%AB%20O%27Neil%2F2/orders?status=open%20%26%20paid");
  EXPECT_EQ(seen.body, "");
}

TEST_F(HttpToolRunnerTest, EnvHeadersArriveResolved) {
  ::setenv("AGENTRT_HTTP_TOOL_TEST_TOKEN", "t0k3n", 1);
  TestHttpServer server([](const RecordedRequest&, std::size_t) { return TestReply::text(200, "ok"); });
  auto t = tool(server, "GET", "/x");
  t.http.headers = {{"Authorization", "Bearer ${env:AGENTRT_HTTP_TOOL_TEST_TOKEN}"}, {"X-Static", "v"}};
  const auto result = run(t, json::object());
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->ok);
  const RecordedRequest seen = server.requests().at(0);
  EXPECT_EQ(seen.header("Authorization"), "Bearer t0k3n");
  EXPECT_EQ(seen.header("X-Static"), "v");
}

TEST_F(HttpToolRunnerTest, MissingEnvVariableFailsWithoutCallingTheTool) {
  ::unsetenv("AGENTRT_HTTP_TOOL_TEST_MISSING");
  TestHttpServer server([](const RecordedRequest&, std::size_t) { return TestReply::text(200, "ok"); });
  auto t = tool(server, "GET", "/x");
  t.http.headers = {{"X-Api-Key", "${env:AGENTRT_HTTP_TOOL_TEST_MISSING}"}};
  const auto result = run(t, json::object());
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->ok);
  EXPECT_NE(result->output.find("AGENTRT_HTTP_TOOL_TEST_MISSING"), std::string::npos) << result->output;
  EXPECT_EQ(server.request_count(), 0U);
}

TEST_F(HttpToolRunnerTest, ServerErrorsAreRetriedWithTheSameIdempotencyKey) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) { return TestReply::text(503, "try later"); });
  const auto t = tool(server, "POST", "/orders?debug=1");
  const auto result = run(t, json{{"item", "book"}}, "s-9:12");
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->ok);
  EXPECT_EQ(result->attempts, 3);
  EXPECT_EQ(result->output, "HTTP 503 from POST " + server.url("/orders") + ": try later");
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 3U);
  for (const auto& r : seen) EXPECT_EQ(r.header("Idempotency-Key"), "s-9:12");
}

TEST_F(HttpToolRunnerTest, TransientFailuresThenSuccess) {
  TestHttpServer server([](const RecordedRequest&, std::size_t index) {
    if (index == 0) return TestReply::dropped();
    if (index == 1) {
      auto reply = TestReply::text(429, "slow down");
      reply.headers.emplace_back("Retry-After", "0");
      return reply;
    }
    return TestReply::text(200, "done");
  });
  const auto t = tool(server, "POST", "/orders");
  const auto result = run(t, json::object());
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->ok) << result->output;
  EXPECT_EQ(result->output, "done");
  EXPECT_EQ(result->attempts, 3);
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 3U);
  EXPECT_EQ(seen[0].header("Idempotency-Key"), seen[2].header("Idempotency-Key"));
}

TEST_F(HttpToolRunnerTest, ClientErrorFailsAtOnce) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) { return TestReply::json(404, R"({"error":"no such order"})"); });
  const auto t = tool(server, "GET", "/orders/{id}");
  const auto result = run(t, json{{"id", "o-404"}});
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->ok);
  EXPECT_EQ(result->attempts, 1);
  EXPECT_EQ(result->output, "HTTP 404 from GET " + server.url("/orders/o-404") + R"(: {"error":"no such order"})");
  EXPECT_EQ(server.request_count(), 1U);
}

TEST_F(HttpToolRunnerTest, SlowReplyTimesOutEachTry) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) {
    auto reply = TestReply::text(200, "late");
    reply.delay_before = milliseconds(3000);
    return reply;
  });
  auto t = tool(server, "POST", "/slow");
  t.timeout = milliseconds(150);
  t.retry.attempts = 2;
  const auto start = std::chrono::steady_clock::now();
  const auto result = run(t, json::object());
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->ok);
  EXPECT_EQ(result->attempts, 2);
  EXPECT_NE(result->output.find("POST " + server.url("/slow")), std::string::npos) << result->output;
  EXPECT_NE(result->output.find("imed out"), std::string::npos) << result->output;
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2500));
}

TEST_F(HttpToolRunnerTest, ConnectionRefusedIsRetriedThenReported) {
  ToolDefinition t;
  t.name = "down";
  t.kind = ToolKind::http;
  t.http.url = "http://127.0.0.1:" + std::to_string(TestHttpServer::unused_port()) + "/x";
  t.retry = RetryPolicy{2, milliseconds(10), milliseconds(50), 2.0};
  const auto result = run(t, json::object());
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->ok);
  EXPECT_EQ(result->attempts, 2);
  EXPECT_NE(result->output.find(t.http.url), std::string::npos) << result->output;
}

TEST_F(HttpToolRunnerTest, OversizedBodyIsCutWithAMarker) {
  const std::size_t limit = 1000;
  runner_ = make_http_tool_runner(http_, HttpToolRunnerOptions{.output_bytes_max = limit, .jitter_seed = 1});
  TestHttpServer server([](const RecordedRequest&, std::size_t) { return TestReply::text(200, std::string(50'000, 'x')); });
  const auto result = run(tool(server, "GET", "/big"), json::object());
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->ok);
  EXPECT_LE(result->output.size(), limit);
  EXPECT_NE(result->output.find("\n[agentrt: output truncated, "), std::string::npos);
  EXPECT_EQ(result->output.substr(0, 900), std::string(900, 'x'));
}

TEST_F(HttpToolRunnerTest, InvalidUtf8IsReplaced) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) { return TestReply::text(200, "a\xFF" "b"); });
  const auto result = run(tool(server, "GET", "/bin"), json::object());
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->output, "a\xEF\xBF\xBD" "b");
}

TEST_F(HttpToolRunnerTest, NonHttpToolIsAnError) {
  ToolDefinition t;
  t.name = "cmd";
  t.kind = ToolKind::command;
  const auto result = run(t, json::object());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, Errc::invalid);
}

TEST_F(HttpToolRunnerTest, CancellationDuringATryReturnsCancelled) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) {
    auto reply = TestReply::text(200, "late");
    reply.delay_before = milliseconds(3000);
    return reply;
  });
  const auto t = tool(server, "POST", "/slow");
  asio::cancellation_signal signal;
  auto done = asio::co_spawn(ioc_, testing::as_optional(runner_->run(ToolInvocation{&t, json::object(), "s-1:1"})),
                             asio::bind_cancellation_slot(signal.slot(), asio::use_future));
  asio::steady_timer trigger(ioc_, milliseconds(100));
  trigger.async_wait([&](auto) { signal.emit(asio::cancellation_type::terminal); });
  const auto result = *testing::wait_for_future(ioc_, done);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, Errc::cancelled);
  EXPECT_EQ(http_.active_transfers(), 0U);
}

}  // namespace
}  // namespace agentrt
