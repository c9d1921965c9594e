#include "backends/http/curl_client.hpp"

#include <gtest/gtest.h>

#include <atomic>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>

#include "backends/http/testing/run_coroutine.hpp"
#include "backends/http/testing/test_http_server.hpp"

namespace agentrt {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using testing::RecordedRequest;
using testing::TestHttpServer;
using testing::TestReply;

class CurlClientTest : public ::testing::Test {
 protected:
  Result<HttpResponse> run(HttpRequest request, BodyChunkSink sink = {}) {
    return testing::run_coroutine(ioc_, client_.request(std::move(request), std::move(sink)));
  }
  static HttpRequest get(std::string url) {
    HttpRequest r;
    r.url = std::move(url);
    r.timeout = milliseconds(5000);
    return r;
  }

  asio::io_context ioc_;
  CurlClient client_{ioc_.get_executor()};
};

TEST_F(CurlClientTest, GetReturnsStatusHeadersAndBody) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) {
    auto reply = TestReply::text(200, "hello");
    reply.headers.emplace_back("X-Trace", "abc");
    return reply;
  });
  const auto response = run(get(server.url("/hello?x=1")));
  ASSERT_TRUE(response.ok()) << response.error().to_string();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hello");
  EXPECT_EQ(response->header("x-trace"), "abc");
  EXPECT_EQ(response->header("content-type"), "text/plain");
  EXPECT_FALSE(response->header("missing"));
  ASSERT_EQ(server.request_count(), 1U);
  EXPECT_EQ(server.requests()[0].method, "GET");
  EXPECT_EQ(server.requests()[0].target, "/hello?x=1");
}

TEST_F(CurlClientTest, PostSendsBodyAndHeaders) {
  TestHttpServer server([](const RecordedRequest& req, std::size_t) { return TestReply::json(201, req.body); });
  HttpRequest request = get(server.url("/items"));
  request.method = "POST";
  request.body = R"({"n":1})";
  request.headers = {{"Content-Type", "application/json"}, {"X-Empty", ""}, {"Authorization", "Bearer k"}};
  const auto response = run(request);
  ASSERT_TRUE(response.ok()) << response.error().to_string();
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, R"({"n":1})");
  const auto seen = server.requests().at(0);
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.header("content-type"), "application/json");
  EXPECT_EQ(seen.header("authorization"), "Bearer k");
  EXPECT_EQ(seen.header("x-empty"), "");
  EXPECT_FALSE(seen.header("expect"));
}

TEST_F(CurlClientTest, ErrorStatusIsAValueWithItsBody) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) { return TestReply::json(503, R"({"error":"busy"})"); });
  const auto response = run(get(server.url("/")));
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(response->body, R"({"error":"busy"})");
}

TEST_F(CurlClientTest, SinkReceivesA2xxBodyInPartsAsItArrives) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) {
    return TestReply::sse({"data: a", "\n\nda", "ta: b\n", "\n"}, milliseconds(20));
  });
  std::string streamed;
  int calls = 0;
  const auto response = run(get(server.url("/stream")), [&](std::string_view chunk) {
    streamed.append(chunk);
    ++calls;
  });
  ASSERT_TRUE(response.ok()) << response.error().to_string();
  EXPECT_EQ(streamed, "data: a\n\ndata: b\n\n");
  EXPECT_GE(calls, 2);  // parts 20 ms apart arrive separately
  EXPECT_EQ(response->body, "");
  EXPECT_EQ(response->header("content-type"), "text/event-stream");
}

TEST_F(CurlClientTest, SinkIsNotUsedForAnErrorStatus) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) { return TestReply::json(400, R"({"error":"bad"})"); });
  bool sink_called = false;
  const auto response = run(get(server.url("/")), [&](std::string_view) { sink_called = true; });
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(response->body, R"({"error":"bad"})");
  EXPECT_FALSE(sink_called);
}

TEST_F(CurlClientTest, ManyConcurrentRequestsShareOneClient) {
  TestHttpServer server([](const RecordedRequest& req, std::size_t) {
    auto reply = TestReply::text(200, req.target);
    reply.delay_before = milliseconds(200);
    return reply;
  });
  constexpr int kRequests = 12;
  std::vector<std::future<std::optional<Result<HttpResponse>>>> futures;
  for (int i = 0; i < kRequests; ++i) {
    futures.push_back(asio::co_spawn(ioc_, testing::as_optional(client_.request(get(server.url("/r" + std::to_string(i))))),
                                     asio::use_future));
  }
  const auto start = std::chrono::steady_clock::now();
  std::vector<Result<HttpResponse>> responses;
  for (auto& f : futures) responses.push_back(*testing::wait_for_future(ioc_, f));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  for (int i = 0; i < kRequests; ++i) {
    const auto& response = responses[static_cast<std::size_t>(i)];
    ASSERT_TRUE(response.ok()) << response.error().to_string();
    EXPECT_EQ(response->body, "/r" + std::to_string(i));
  }
  EXPECT_LT(elapsed, milliseconds(200 * kRequests / 2));  // they overlapped
  EXPECT_EQ(client_.active_transfers(), 0U);
}

TEST_F(CurlClientTest, SlowReplyPastTheTimeoutIsTimeout) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) {
    auto reply = TestReply::text(200, "late");
    reply.delay_before = milliseconds(3000);
    return reply;
  });
  HttpRequest request = get(server.url("/slow?api_key=SECRET"));
  request.timeout = milliseconds(200);
  const auto start = std::chrono::steady_clock::now();
  const auto response = run(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, Errc::timeout);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000));
  EXPECT_NE(response.error().message.find("GET " + server.url("/slow")), std::string::npos) << response.error().message;
  EXPECT_EQ(response.error().message.find("SECRET"), std::string::npos);
}

TEST_F(CurlClientTest, ConnectionRefusedIsRetryableAndNamesTheUrl) {
  const std::string url = "http://127.0.0.1:" + std::to_string(TestHttpServer::unused_port()) + "/v1?token=SECRET";
  const auto response = run(get(url));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, Errc::retryable);
  EXPECT_NE(response.error().message.find(url.substr(0, url.find('?'))), std::string::npos) << response.error().message;
  EXPECT_EQ(response.error().message.find("SECRET"), std::string::npos) << response.error().message;
}

TEST_F(CurlClientTest, DroppedConnectionIsRetryable) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) { return TestReply::dropped(); });
  const auto response = run(get(server.url("/")));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, Errc::retryable) << response.error().message;
}

TEST_F(CurlClientTest, OversizedBodyIsInvalid) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) {
    TestReply reply = TestReply::text(200, "");
    reply.parts = {std::string(3000, 'x'), std::string(3000, 'y')};
    return reply;
  });
  HttpRequest request = get(server.url("/big"));
  request.response_bytes_max = 4096;
  const auto response = run(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, Errc::invalid);
  EXPECT_EQ(response.error().message, "response from " + server.url("/big") + " exceeds 4096 bytes");
}

TEST_F(CurlClientTest, OversizedStreamIsInvalidToo) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) {
    return TestReply::sse({std::string(3000, 'x'), std::string(3000, 'y')});
  });
  HttpRequest request = get(server.url("/big"));
  request.response_bytes_max = 4096;
  std::size_t streamed = 0;
  const auto response = run(request, [&](std::string_view chunk) { streamed += chunk.size(); });
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, Errc::invalid);
  EXPECT_LE(streamed, 4096U);
}

TEST_F(CurlClientTest, TruncateBodyCutsInsteadOfFailing) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) { return TestReply::text(200, std::string(10000, 'z')); });
  HttpRequest request = get(server.url("/big"));
  request.response_bytes_max = 100;
  request.truncate_body = true;
  const auto response = run(request);
  ASSERT_TRUE(response.ok()) << response.error().to_string();
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(response->truncated);
  EXPECT_EQ(response->body, std::string(100, 'z'));
}

TEST_F(CurlClientTest, HeaderWithLineBreakIsInvalidAndValueNotEchoed) {
  HttpRequest request = get("http://127.0.0.1:1/");
  request.headers = {{"X-Key", "SECRET\r\nInjected: 1"}};
  const auto response = run(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, Errc::invalid);
  EXPECT_EQ(response.error().message.find("SECRET"), std::string::npos);
  EXPECT_NE(response.error().message.find("X-Key"), std::string::npos);
}

TEST_F(CurlClientTest, UnsupportedSchemeIsInvalid) {
  const auto response = run(get("file:///etc/passwd"));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, Errc::invalid) << response.error().message;
}

TEST_F(CurlClientTest, CancellationRemovesTheTransferAndReturnsCancelled) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) {
    auto reply = TestReply::text(200, "late");
    reply.delay_before = milliseconds(3000);
    return reply;
  });
  asio::cancellation_signal signal;
  auto done = asio::co_spawn(ioc_, testing::as_optional(client_.request(get(server.url("/slow")))),
                             asio::bind_cancellation_slot(signal.slot(), asio::use_future));
  asio::steady_timer trigger(ioc_, milliseconds(100));
  std::size_t active_before_cancel = 0;
  trigger.async_wait([&](auto) {
    active_before_cancel = client_.active_transfers();
    signal.emit(asio::cancellation_type::terminal);
  });
  const auto start = std::chrono::steady_clock::now();
  const auto response = *testing::wait_for_future(ioc_, done);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, Errc::cancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000));
  EXPECT_EQ(active_before_cancel, 1U);
  EXPECT_EQ(client_.active_transfers(), 0U);
}

TEST_F(CurlClientTest, LoserOfARaceWithATimerIsCancelled) {
  using namespace asio::experimental::awaitable_operators;
  TestHttpServer server([](const RecordedRequest&, std::size_t) {
    auto reply = TestReply::text(200, "late");
    reply.delay_before = milliseconds(3000);
    return reply;
  });
  auto race = [&]() -> asio::awaitable<bool> {
    asio::steady_timer timer(co_await asio::this_coro::executor, milliseconds(100));
    auto winner = co_await (client_.request(get(server.url("/slow"))) || timer.async_wait(asio::use_awaitable));
    co_return winner.index() == 1;
  };
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(testing::run_coroutine(ioc_, race()));
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000));
  EXPECT_EQ(client_.active_transfers(), 0U);
  // The client still works afterwards.
  TestHttpServer fast([](const RecordedRequest&, std::size_t) { return TestReply::text(200, "ok"); });
  const auto response = run(get(fast.url("/")));
  ASSERT_TRUE(response.ok()) << response.error().to_string();
  EXPECT_EQ(response->body, "ok");
}

TEST_F(CurlClientTest, ReusesConnectionsAcrossSequentialRequests) {
  TestHttpServer server([](const RecordedRequest&, std::size_t index) { return TestReply::text(200, std::to_string(index)); });
  for (int i = 0; i < 5; ++i) {
    const auto response = run(get(server.url("/")));
    ASSERT_TRUE(response.ok()) << response.error().to_string();
    EXPECT_EQ(response->body, std::to_string(i));
  }
}

}  // namespace
}  // namespace agentrt
