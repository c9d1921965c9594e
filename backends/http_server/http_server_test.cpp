#include "backends/http_server/http_server.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/system/system_error.hpp>
#include <nlohmann/json.hpp>

#include "backends/http/curl_client.hpp"
#include "backends/http_server/health_routes.hpp"
#include "backends/http_server/router.hpp"
#include "backends/http_server/testing/raw_http_client.hpp"

namespace agentrt {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using std::chrono::milliseconds;
using tcp = asio::ip::tcp;
using testing::connect_local;
using testing::read_response;
using testing::read_until_closed;
using testing::send_bytes;

HttpServerOptions fast_options() {
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  options.max_header_bytes = 4096;
  options.read_timeout = milliseconds(200);
  options.idle_timeout = milliseconds(2000);
  options.write_timeout = milliseconds(2000);
  return options;
}

asio::awaitable<ServerResponse> text_after(milliseconds delay, std::string text) {
  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  co_await timer.async_wait(asio::use_awaitable);
  ServerResponse response;
  response.content_type = "text/plain";
  response.body = std::move(text);
  co_return response;
}

// Waits `delay` unless cancelled; records the cancellation, then lets it propagate.
asio::awaitable<ServerResponse> wait_recording_cancel(milliseconds delay, bool& cancelled) {
  try {
    co_return co_await text_after(delay, "late");
  } catch (const boost::system::system_error&) {
    cancelled = true;
    throw;
  }
}

asio::awaitable<ServerResponse> echo(const ServerRequest& request, const PathParams& params) {
  nlohmann::json query = request.query;
  nlohmann::json path_params = params;
  co_return json_response(200, {{"method", request.method},
                                {"path", request.path},
                                {"params", path_params},
                                {"query", query},
                                {"x_test", request.header("x-test").value_or("")},
                                {"body_size", request.body.size()},
                                {"remote", request.remote}});
}

class HttpServerTest : public ::testing::Test {
 protected:
  void start(HttpServerOptions options = fast_options()) {
    server_ = std::make_unique<HttpServer>(ioc_.get_executor(), options,
                                           [this](const ServerRequest& request) { return router_.handle(request); });
    const Result<void> listened = server_->listen();
    ASSERT_TRUE(listened.ok()) << listened.error().to_string();
    ASSERT_NE(server_->port(), 0);
    server_->start();
  }

  void TearDown() override {
    if (server_) testing::run_bounded(ioc_, server_->stop(milliseconds(0)));
  }

  template <class T>
  auto run(asio::awaitable<T> op, milliseconds limit = milliseconds(5000)) {
    return testing::run_bounded(ioc_, std::move(op), limit);
  }

  std::string url(const std::string& target) const { return "http://127.0.0.1:" + std::to_string(server_->port()) + target; }

  HttpRequest request(std::string method, const std::string& target, std::string body = {}) const {
    HttpRequest r;
    r.method = std::move(method);
    r.url = url(target);
    r.body = std::move(body);
    r.timeout = milliseconds(5000);
    return r;
  }

  Result<HttpResponse> send(HttpRequest r) { return run(client_.request(std::move(r))); }

  tcp::socket connect() { return run(connect_local(server_->port())); }

  asio::io_context ioc_;
  Router router_;
  CurlClient client_{ioc_.get_executor()};
  std::unique_ptr<HttpServer> server_;
};

nlohmann::json error_of(const std::string& body) {
  const auto parsed = nlohmann::json::parse(body);
  EXPECT_EQ(parsed.size(), 1U) << body;
  EXPECT_EQ(parsed.at("error").size(), 2U) << body;
  return parsed.at("error");
}

TEST_F(HttpServerTest, RoutesDecodedParamsQueryAndHeadersToTheHandler) {
  router_.add("POST", "/v1/sessions/{id}/messages", echo);
  start();
  HttpRequest r = request("POST", "/v1/sessions/s%2F1%20x/messages?limit=5&q=a+b%21", "hello");
  r.headers = {{"X-Test", "yes"}, {"Content-Type", "text/plain"}};
  const auto response = send(r);
  ASSERT_TRUE(response.ok()) << response.error().to_string();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("content-type"), "application/json");
  EXPECT_EQ(response->header("server"), "agentrt");
  EXPECT_TRUE(response->header("date").has_value());
  EXPECT_EQ(response->header("content-length"), std::to_string(response->body.size()));
  const auto body = nlohmann::json::parse(response->body);
  EXPECT_EQ(body["method"], "POST");
  EXPECT_EQ(body["path"], "/v1/sessions/s/1 x/messages");
  EXPECT_EQ(body["params"]["id"], "s/1 x");
  EXPECT_EQ(body["query"]["limit"], "5");
  EXPECT_EQ(body["query"]["q"], "a b!");
  EXPECT_EQ(body["x_test"], "yes");
  EXPECT_EQ(body["body_size"], 5);
  EXPECT_EQ(body["remote"].get<std::string>().rfind("127.0.0.1:", 0), 0U);
}

TEST_F(HttpServerTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  router_.add("GET", "/v1/sessions/{id}", echo);
  router_.add("DELETE", "/v1/sessions/{id}", echo);
  start();
  const auto missing = send(request("GET", "/v1/nothing"));
  ASSERT_TRUE(missing.ok()) << missing.error().to_string();
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(error_of(missing->body)["code"], "not_found");

  const auto wrong = send(request("POST", "/v1/sessions/s-1", "{}"));
  ASSERT_TRUE(wrong.ok()) << wrong.error().to_string();
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->header("allow"), "DELETE, GET, HEAD");
  const auto error = error_of(wrong->body);
  EXPECT_EQ(error["code"], "method_not_allowed");
  EXPECT_FALSE(error["message"].get<std::string>().empty());
}

TEST_F(HttpServerTest, HandlerThatThrowsIs500WithAGenericMessage) {
  router_.add("GET", "/boom", [](const ServerRequest&, const PathParams&) -> asio::awaitable<ServerResponse> {
    throw std::runtime_error("db password=hunter2 rejected");
  });
  start();
  const auto response = send(request("GET", "/boom"));
  ASSERT_TRUE(response.ok()) << response.error().to_string();
  EXPECT_EQ(response->status, 500);
  const auto error = error_of(response->body);
  EXPECT_EQ(error["code"], "internal");
  EXPECT_EQ(response->body.find("hunter2"), std::string::npos);
}

TEST_F(HttpServerTest, BodyAtTheLimitIsAcceptedAndOneByteMoreIs413) {
  int calls = 0;
  router_.add("POST", "/upload", [&calls](const ServerRequest& r, const PathParams& p) {
    ++calls;
    return echo(r, p);
  });
  start();
  const auto at_limit = send(request("POST", "/upload", std::string(1024, 'a')));
  ASSERT_TRUE(at_limit.ok()) << at_limit.error().to_string();
  EXPECT_EQ(at_limit->status, 200);
  EXPECT_EQ(nlohmann::json::parse(at_limit->body)["body_size"], 1024);

  const auto over = send(request("POST", "/upload", std::string(1025, 'a')));
  ASSERT_TRUE(over.ok()) << over.error().to_string();
  EXPECT_EQ(over->status, 413);
  EXPECT_EQ(error_of(over->body)["code"], "body_too_large");
  EXPECT_EQ(over->header("connection"), "close");
  EXPECT_EQ(calls, 1);
}

TEST_F(HttpServerTest, HugeDeclaredBodyIsRefusedBeforeItIsSent) {
  HttpServerOptions options = fast_options();
  options.read_timeout = milliseconds(2000);
  start(options);
  tcp::socket socket = connect();
  // Only the headers are sent: the 413 must come without the server waiting for the body.
  run(send_bytes(socket, "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 50000000\r\n\r\n"));
  beast::flat_buffer buffer;
  const auto response = run(read_response(socket, buffer), milliseconds(1000));
  EXPECT_EQ(response.result_int(), 413);
  EXPECT_EQ(error_of(response.body())["code"], "body_too_large");
}

TEST_F(HttpServerTest, ChunkedBodyPastTheLimitIs413) {
  start();
  tcp::socket socket = connect();
  const std::string chunk(600, 'x');
  run(send_bytes(socket, "POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n" + chunk + "\r\n258\r\n" +
                             chunk + "\r\n0\r\n\r\n"));
  beast::flat_buffer buffer;
  const auto response = run(read_response(socket, buffer));
  EXPECT_EQ(response.result_int(), 413);
  EXPECT_EQ(error_of(response.body())["code"], "body_too_large");
}

TEST_F(HttpServerTest, ExpectContinueGets100BeforeTheBodyIsSent) {
  router_.add("POST", "/upload", echo);
  start();
  tcp::socket socket = connect();
  run(send_bytes(socket, "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"));
  beast::flat_buffer buffer;
  const auto interim = run(read_response(socket, buffer));
  EXPECT_EQ(interim.result_int(), 100);
  run(send_bytes(socket, "abc"));
  const auto response = run(read_response(socket, buffer));
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(nlohmann::json::parse(response.body())["body_size"], 3);
}

TEST_F(HttpServerTest, HugeHeaderIs431) {
  router_.add("GET", "/x", echo);
  start();
  HttpRequest r = request("GET", "/x");
  r.headers = {{"X-Big", std::string(5000, 'h')}};
  const auto response = send(r);
  ASSERT_TRUE(response.ok()) << response.error().to_string();
  EXPECT_EQ(response->status, 431);
  EXPECT_EQ(error_of(response->body)["code"], "headers_too_large");
}

TEST_F(HttpServerTest, GarbageRequestLineIs400AndTheConnectionCloses) {
  router_.add("GET", "/x", echo);
  start();
  tcp::socket socket = connect();
  run(send_bytes(socket, "HELLO THERE\r\n\r\n"));
  const auto reply = run(read_until_closed(socket, milliseconds(3000)));
  EXPECT_TRUE(reply.closed);
  ASSERT_EQ(reply.bytes.rfind("HTTP/1.1 400 ", 0), 0U) << reply.bytes;
  const auto body = reply.bytes.substr(reply.bytes.find("\r\n\r\n") + 4);
  EXPECT_EQ(error_of(body)["code"], "bad_request");
}

TEST_F(HttpServerTest, MalformedPercentEncodingIs400) {
  router_.add("GET", "/x", echo);
  start();
  const auto response = send(request("GET", "/x?q=%zz"));
  ASSERT_TRUE(response.ok()) << response.error().to_string();
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(error_of(response->body)["code"], "bad_request");
}

TEST_F(HttpServerTest, HalfARequestThenSilenceIsClosedAfterReadTimeout) {
  router_.add("GET", "/x", echo);
  start();  // read_timeout 200 ms
  tcp::socket socket = connect();
  run(send_bytes(socket, "GET /x HTTP/1.1\r\nHost: t\r\n"));
  const auto reply = run(read_until_closed(socket, milliseconds(3000)));
  EXPECT_TRUE(reply.closed);
  EXPECT_EQ(reply.bytes, "");  // dropped, not answered
  EXPECT_GE(reply.elapsed, milliseconds(150));
  EXPECT_LT(reply.elapsed, milliseconds(1500));
}

TEST_F(HttpServerTest, ASlowTrickleCannotExtendTheReadTimeout) {
  router_.add("GET", "/x", echo);
  start();  // read_timeout 200 ms for the whole request, however often bytes arrive
  tcp::socket socket = connect();
  const auto started = std::chrono::steady_clock::now();
  run(send_bytes(socket, "GET /x HTTP/1.1\r\n"));
  testing::ReadToEnd reply;
  for (int i = 0; i < 40 && !reply.closed; ++i) {
    boost::system::error_code ec;
    asio::write(socket, asio::buffer("X-A: b\r\n", 8), ec);  // one header line every 50 ms
    reply = run(read_until_closed(socket, milliseconds(50)));
    reply.closed = reply.closed || static_cast<bool>(ec);
  }
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(reply.closed);
  EXPECT_EQ(reply.bytes, "");
  EXPECT_GE(took, milliseconds(150));
  EXPECT_LT(took, milliseconds(1000));
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnectionIncludingPipelined) {
  router_.add("GET", "/v1/items/{n}", echo);
  start();
  tcp::socket socket = connect();
  beast::flat_buffer buffer;
  std::vector<std::string> remotes;
  for (int i = 0; i < 3; ++i) {
    run(send_bytes(socket, "GET /v1/items/" + std::to_string(i) + " HTTP/1.1\r\nHost: t\r\n\r\n"));
    const auto response = run(read_response(socket, buffer));
    ASSERT_EQ(response.result_int(), 200);
    EXPECT_TRUE(response.keep_alive());
    const auto body = nlohmann::json::parse(response.body());
    EXPECT_EQ(body["params"]["n"], std::to_string(i));
    remotes.push_back(body["remote"]);
  }
  // Two requests in one write: answered in order.
  run(send_bytes(socket, "GET /v1/items/a HTTP/1.1\r\nHost: t\r\n\r\nGET /v1/items/b HTTP/1.1\r\nHost: t\r\n\r\n"));
  const auto first = run(read_response(socket, buffer));
  const auto second = run(read_response(socket, buffer));
  EXPECT_EQ(nlohmann::json::parse(first.body())["params"]["n"], "a");
  EXPECT_EQ(nlohmann::json::parse(second.body())["params"]["n"], "b");
  remotes.push_back(nlohmann::json::parse(second.body())["remote"]);
  EXPECT_TRUE(std::all_of(remotes.begin(), remotes.end(), [&](const std::string& r) { return r == remotes[0]; }));
  EXPECT_EQ(server_->connection_count(), 1U);
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  router_.add("GET", "/x", echo);
  start();
  tcp::socket socket = connect();
  run(send_bytes(socket, "GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
  const auto reply = run(read_until_closed(socket, milliseconds(3000)));
  EXPECT_TRUE(reply.closed);
  EXPECT_EQ(reply.bytes.rfind("HTTP/1.1 200 ", 0), 0U);
  EXPECT_NE(reply.bytes.find("Connection: close\r\n"), std::string::npos);
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosedAfterIdleTimeout) {
  router_.add("GET", "/x", echo);
  HttpServerOptions options = fast_options();
  options.idle_timeout = milliseconds(150);
  start(options);
  tcp::socket socket = connect();
  beast::flat_buffer buffer;
  run(send_bytes(socket, "GET /x HTTP/1.1\r\nHost: t\r\n\r\n"));
  EXPECT_EQ(run(read_response(socket, buffer)).result_int(), 200);
  const auto reply = run(read_until_closed(socket, milliseconds(3000)));
  EXPECT_TRUE(reply.closed);
  EXPECT_GE(reply.elapsed, milliseconds(100));
  EXPECT_LT(reply.elapsed, milliseconds(1500));
}

TEST_F(HttpServerTest, HeadIsAnsweredByTheGetRouteWithoutABody) {
  router_.add("GET", "/x", [](const ServerRequest&, const PathParams&) { return text_after(milliseconds(0), "twelve bytes"); });
  start();
  tcp::socket socket = connect();
  beast::flat_buffer buffer;
  run(send_bytes(socket, "HEAD /x HTTP/1.1\r\nHost: t\r\n\r\nGET /x HTTP/1.1\r\nHost: t\r\n\r\n"));
  const auto head = run(read_response(socket, buffer, true));
  EXPECT_EQ(head.result_int(), 200);
  EXPECT_EQ(head.body(), "");
  const auto get = run(read_response(socket, buffer));  // a body after HEAD would corrupt this one
  EXPECT_EQ(get.result_int(), 200);
  EXPECT_EQ(get.body(), "twelve bytes");
  EXPECT_EQ(head[beast::http::field::content_length], "12");
}

TEST_F(HttpServerTest, InvalidResponseHeaderFromAHandlerBecomes500) {
  router_.add("GET", "/inject", [](const ServerRequest&, const PathParams&) -> asio::awaitable<ServerResponse> {
    ServerResponse response;
    response.headers.emplace_back("Location", "/a\r\nSet-Cookie: x=1");
    co_return response;
  });
  router_.add("GET", "/empty", [](const ServerRequest&, const PathParams&) -> asio::awaitable<ServerResponse> {
    ServerResponse response;
    response.status = 204;
    response.body = "ignored";
    co_return response;
  });
  start();
  const auto injected = send(request("GET", "/inject"));
  ASSERT_TRUE(injected.ok()) << injected.error().to_string();
  EXPECT_EQ(injected->status, 500);
  EXPECT_FALSE(injected->header("set-cookie"));
  const auto empty = send(request("GET", "/empty"));
  ASSERT_TRUE(empty.ok()) << empty.error().to_string();
  EXPECT_EQ(empty->status, 204);
  EXPECT_EQ(empty->body, "");
}

TEST_F(HttpServerTest, ManyConcurrentConnectionsAreServedTogether) {
  int in_flight = 0;
  int in_flight_max = 0;
  router_.add("GET", "/slow", [&](const ServerRequest&, const PathParams&) {
    in_flight_max = std::max(in_flight_max, ++in_flight);
    return text_after(milliseconds(100), "ok");
  });
  router_.add("GET", "/slow-done", echo);
  start();
  constexpr int kClients = 64;
  std::vector<std::future<std::optional<testing::ReadToEnd>>> replies;
  const auto port = server_->port();
  auto client = [](unsigned short to) -> asio::awaitable<testing::ReadToEnd> {
    tcp::socket socket = co_await connect_local(to);
    co_await send_bytes(socket, "GET /slow HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    co_return co_await read_until_closed(socket, milliseconds(4000));
  };
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < kClients; ++i) {
    replies.push_back(asio::co_spawn(ioc_, testing::wrap_optional(client(port)), asio::use_future));
  }
  int ok = 0;
  for (auto& reply : replies) {
    const auto result = testing::wait_bounded(ioc_, reply);
    if (result && result->closed && result->bytes.rfind("HTTP/1.1 200 ", 0) == 0) ++ok;
  }
  EXPECT_EQ(ok, kClients);
  EXPECT_GE(in_flight_max, kClients / 2);  // handlers overlapped: one coroutine per connection
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(100 * kClients / 4));
}

TEST_F(HttpServerTest, OverMaxConnectionsIs503OverloadedThenClosed) {
  router_.add("GET", "/x", echo);
  HttpServerOptions options = fast_options();
  options.max_connections = 2;
  start(options);
  std::vector<tcp::socket> held;
  beast::flat_buffer buffer;
  for (int i = 0; i < 2; ++i) {
    held.push_back(connect());
    run(send_bytes(held.back(), "GET /x HTTP/1.1\r\nHost: t\r\n\r\n"));
    EXPECT_EQ(run(read_response(held.back(), buffer)).result_int(), 200);
  }
  tcp::socket third = connect();
  const auto reply = run(read_until_closed(third, milliseconds(3000)));
  EXPECT_TRUE(reply.closed);
  ASSERT_EQ(reply.bytes.rfind("HTTP/1.1 503 ", 0), 0U) << reply.bytes;
  EXPECT_EQ(error_of(reply.bytes.substr(reply.bytes.find("\r\n\r\n") + 4))["code"], "overloaded");

  // A slot frees when a client leaves; then a new connection is served again.
  third.close();
  held.front().close();
  testing::run_until(ioc_, [&] { return server_->connection_count() == 1; });
  tcp::socket fourth = connect();
  run(send_bytes(fourth, "GET /x HTTP/1.1\r\nHost: t\r\n\r\n"));
  EXPECT_EQ(run(read_response(fourth, buffer)).result_int(), 200);
}

TEST_F(HttpServerTest, StopLetsAnInFlightRequestFinishWithinGraceAndRefusesNewConnections) {
  bool slow_started = false;
  router_.add("GET", "/slow", [&](const ServerRequest&, const PathParams&) {
    slow_started = true;
    return text_after(milliseconds(300), "done");
  });
  router_.add("GET", "/x", echo);
  start();
  // An idle keep-alive connection: stop() closes it at once.
  tcp::socket idle = connect();
  beast::flat_buffer buffer;
  run(send_bytes(idle, "GET /x HTTP/1.1\r\nHost: t\r\n\r\n"));
  EXPECT_EQ(run(read_response(idle, buffer)).result_int(), 200);

  auto slow = asio::co_spawn(ioc_, testing::wrap_optional(client_.request(request("GET", "/slow"))), asio::use_future);
  testing::run_until(ioc_, [&] { return slow_started; });
  const auto port = server_->port();
  const auto stop_started = std::chrono::steady_clock::now();
  auto stopped = asio::co_spawn(ioc_, server_->stop(milliseconds(3000)), asio::use_future);

  const auto idle_end = run(read_until_closed(idle, milliseconds(2000)));
  EXPECT_TRUE(idle_end.closed);
  EXPECT_EQ(slow.wait_for(std::chrono::seconds(0)), std::future_status::timeout);  // still in flight
  EXPECT_EQ(run(testing::try_connect_local(port)), asio::error::connection_refused);

  const auto response = *testing::wait_bounded(ioc_, slow);
  ASSERT_TRUE(response.ok()) << response.error().to_string();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "done");
  EXPECT_EQ(response->header("connection"), "close");
  testing::wait_bounded(ioc_, stopped);
  EXPECT_LT(std::chrono::steady_clock::now() - stop_started, milliseconds(2000));
  EXPECT_EQ(server_->connection_count(), 0U);
  EXPECT_TRUE(server_->draining());
}

TEST_F(HttpServerTest, StopClosesWhatIsLeftWhenGraceEndsAndCancelsTheHandler) {
  bool started = false;
  bool cancelled = false;
  router_.add("GET", "/stuck", [&](const ServerRequest&, const PathParams&) {
    started = true;
    return wait_recording_cancel(milliseconds(20'000), cancelled);
  });
  start();
  auto stuck = asio::co_spawn(ioc_, testing::wrap_optional(client_.request(request("GET", "/stuck"))), asio::use_future);
  testing::run_until(ioc_, [&] { return started; });
  const auto stop_started = std::chrono::steady_clock::now();
  run(server_->stop(milliseconds(100)));
  const auto stop_took = std::chrono::steady_clock::now() - stop_started;
  EXPECT_GE(stop_took, milliseconds(90));
  EXPECT_LT(stop_took, milliseconds(1000));
  EXPECT_TRUE(cancelled);
  EXPECT_EQ(server_->connection_count(), 0U);
  const auto response = *testing::wait_bounded(ioc_, stuck);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, Errc::retryable) << response.error().message;
}

TEST_F(HttpServerTest, StopIsIdempotent) {
  start();
  run(server_->stop(milliseconds(100)));
  run(server_->stop(milliseconds(100)));
  EXPECT_TRUE(server_->draining());
}

TEST_F(HttpServerTest, PortTakenIsAClearError) {
  start();
  HttpServerOptions options = fast_options();
  options.port = server_->port();
  HttpServer second(ioc_.get_executor(), options, [this](const ServerRequest& r) { return router_.handle(r); });
  const Result<void> listened = second.listen();
  ASSERT_FALSE(listened.ok());
  EXPECT_EQ(listened.error().code, Errc::conflict);
  EXPECT_NE(listened.error().message.find("127.0.0.1:" + std::to_string(server_->port())), std::string::npos)
      << listened.error().message;

  HttpServerOptions bad_host = fast_options();
  bad_host.host = "not-an-address";
  HttpServer third(ioc_.get_executor(), bad_host, [this](const ServerRequest& r) { return router_.handle(r); });
  const Result<void> refused = third.listen();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::invalid);
}

TEST_F(HttpServerTest, HealthAndReadinessProbes) {
  bool ready = false;
  std::vector<DegradedDependency> degraded;
  add_health_routes(
      router_,
      [&ready]() -> std::optional<std::string> {
        if (ready) return std::nullopt;
        return "store (t) unreachable: connection refused";
      },
      [&degraded] { return degraded; });
  start();
  const auto health = send(request("GET", "/healthz"));
  ASSERT_TRUE(health.ok()) << health.error().to_string();
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(nlohmann::json::parse(health->body)["status"], "ok");
  const auto not_ready = send(request("GET", "/readyz"));
  ASSERT_TRUE(not_ready.ok());
  EXPECT_EQ(not_ready->status, 503);
  EXPECT_EQ(error_of(not_ready->body)["code"], "not_ready");
  EXPECT_EQ(error_of(not_ready->body)["message"], "not ready: store (t) unreachable: connection refused");
  ready = true;
  const auto now_ready = send(request("GET", "/readyz"));
  ASSERT_TRUE(now_ready.ok());
  EXPECT_EQ(now_ready->status, 200);
  EXPECT_FALSE(nlohmann::json::parse(now_ready->body).contains("degraded"));
  degraded.push_back(DegradedDependency{"redis", "connection refused"});
  const auto slower = send(request("GET", "/readyz"));  // still ready: the dependency is optional
  ASSERT_TRUE(slower.ok());
  EXPECT_EQ(slower->status, 200);
  const auto body = nlohmann::json::parse(slower->body);
  EXPECT_EQ(body["status"], "ready");
  EXPECT_EQ(body["degraded"][0]["name"], "redis");
  EXPECT_EQ(body["degraded"][0]["detail"], "connection refused");
}

}  // namespace
}  // namespace agentrt

namespace agentrt {
namespace {

// Streams `pieces` with a pause between them, recording what write() answered.
struct StreamScript {
  std::vector<std::string> pieces{};
  milliseconds pause{10};
  std::vector<bool> answers{};
  bool saw_stopping = false;
};

asio::awaitable<void> play(ResponseStream& out, StreamScript* script) {
  for (const auto& piece : script->pieces) {
    script->answers.push_back(co_await out.write(piece));
    if (!script->answers.back()) co_return;
    asio::steady_timer timer(co_await asio::this_coro::executor, script->pause);
    co_await timer.async_wait(asio::use_awaitable);
  }
}

// Writes 64 KiB pieces until the client stops taking them or the server drains.
asio::awaitable<void> flood(ResponseStream& out, StreamScript* script) {
  const std::string piece(64 * 1024, 'x');
  while (!out.stopping()) {
    script->answers.push_back(co_await out.write(piece));
    if (!script->answers.back()) co_return;
  }
  script->saw_stopping = true;
}

ServerResponse streamed(StreamBody body) {
  ServerResponse response;
  response.content_type = "text/event-stream";
  response.stream = std::move(body);
  return response;
}

TEST_F(HttpServerTest, AStreamedBodyArrivesInChunksAndEndsItsConnection) {
  StreamScript script{{"data: one\n\n", "data: two\n\n"}};
  router_.add("GET", "/stream", [&](const ServerRequest&, const PathParams&) -> asio::awaitable<ServerResponse> {
    co_return streamed([&script](ResponseStream& out) { return play(out, &script); });
  });
  start();
  auto socket = connect();
  run(send_bytes(socket, "GET /stream HTTP/1.1\r\nHost: t\r\n\r\n"));
  const auto received = run(read_until_closed(socket, milliseconds(3000)));
  EXPECT_TRUE(received.closed);
  EXPECT_NE(received.bytes.find("HTTP/1.1 200 OK\r\n"), std::string::npos) << received.bytes;
  EXPECT_NE(received.bytes.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << received.bytes;
  EXPECT_EQ(received.bytes.find("Content-Length"), std::string::npos) << received.bytes;
  EXPECT_NE(received.bytes.find("\r\n\r\nb\r\ndata: one\n\n\r\nb\r\ndata: two\n\n\r\n0\r\n\r\n"), std::string::npos)
      << received.bytes;
  EXPECT_EQ(script.answers, (std::vector<bool>{true, true}));
}

TEST_F(HttpServerTest, AStreamToAClientThatStopsReadingFailsWithinTheWriteTimeout) {
  StreamScript script;
  router_.add("GET", "/flood", [&](const ServerRequest&, const PathParams&) -> asio::awaitable<ServerResponse> {
    co_return streamed([&script](ResponseStream& out) { return flood(out, &script); });
  });
  HttpServerOptions options = fast_options();
  options.write_timeout = milliseconds(300);
  start(options);
  auto socket = connect();  // sends the request, then never reads
  run(send_bytes(socket, "GET /flood HTTP/1.1\r\nHost: t\r\n\r\n"));
  const auto started = std::chrono::steady_clock::now();
  testing::run_until(ioc_, [&] { return !script.answers.empty() && !script.answers.back(); }, milliseconds(5000));
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(4000));
  EXPECT_GT(script.answers.size(), 1U);  // the kernel's buffers took some first
  testing::run_until(ioc_, [&] { return server_->connection_count() == 0; }, milliseconds(2000));
}

TEST_F(HttpServerTest, StopTellsAStreamToEndAndWaitsForIt) {
  StreamScript script;
  bool ended = false;
  router_.add("GET", "/live", [&](const ServerRequest&, const PathParams&) -> asio::awaitable<ServerResponse> {
    co_return streamed([&script, &ended](ResponseStream& out) -> asio::awaitable<void> {
      while (!out.stopping()) {
        if (!co_await out.write("data: tick\n\n")) co_return;
        asio::steady_timer timer(co_await asio::this_coro::executor, milliseconds(20));
        co_await timer.async_wait(asio::use_awaitable);
      }
      script.saw_stopping = true;
      ended = true;
    });
  });
  start();
  auto socket = connect();
  run(send_bytes(socket, "GET /live HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto reader = asio::co_spawn(ioc_, read_until_closed(socket, milliseconds(5000)), asio::use_future);
  testing::run_until(ioc_, [&] { return server_->connection_count() == 1; });
  const auto streaming_for_a_while = std::chrono::steady_clock::now() + milliseconds(100);
  testing::run_until(ioc_, [&] { return std::chrono::steady_clock::now() >= streaming_for_a_while; });
  const auto stop_started = std::chrono::steady_clock::now();
  run(server_->stop(milliseconds(3000)));
  EXPECT_LT(std::chrono::steady_clock::now() - stop_started, milliseconds(1000));  // not the whole grace
  EXPECT_TRUE(script.saw_stopping);
  EXPECT_TRUE(ended);
  const auto received = testing::wait_bounded(ioc_, reader);
  EXPECT_TRUE(received.closed);
  EXPECT_NE(received.bytes.find("data: tick\n\n"), std::string::npos);
  EXPECT_NE(received.bytes.find("0\r\n\r\n"), std::string::npos);  // ended properly, not cut
}

}  // namespace
}  // namespace agentrt
