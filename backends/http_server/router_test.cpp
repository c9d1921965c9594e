#include "backends/http_server/router.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>

#include "backends/http_server/testing/raw_http_client.hpp"

namespace agentrt {
namespace {

namespace asio = boost::asio;

asio::awaitable<ServerResponse> named(std::string name, const PathParams& params) {
  nlohmann::json body = params;
  ServerResponse response = json_response(200, {{"route", name}, {"params", body}});
  co_return response;
}

RouteHandler route_named(const std::string& name) {
  return [name](const ServerRequest&, const PathParams& params) { return named(name, params); };
}

ServerRequest make_request(std::string method, std::string target) {
  ServerRequest request;
  request.method = std::move(method);
  request.target = std::move(target);
  request.path = request.target.substr(0, request.target.find('?'));
  return request;
}

class RouterTest : public ::testing::Test {
 protected:
  ServerResponse handle(std::string method, std::string target) {
    const ServerRequest request = make_request(std::move(method), std::move(target));
    return testing::run_bounded(ioc_, router_.handle(request));
  }
  nlohmann::json body_of(std::string method, std::string target) {
    const ServerResponse response = handle(std::move(method), std::move(target));
    EXPECT_EQ(response.status, 200) << response.body;
    return nlohmann::json::parse(response.body);
  }
  std::string error_code_of(const ServerResponse& response) {
    return nlohmann::json::parse(response.body).at("error").at("code").get<std::string>();
  }

  asio::io_context ioc_;
  Router router_;
};

TEST_F(RouterTest, MatchesLiteralAndParameterSegments) {
  router_.add("GET", "/v1/sessions/{id}/messages/{seq}", route_named("messages"));
  router_.add("GET", "/", route_named("root"));
  const auto body = body_of("GET", "/v1/sessions/s-1/messages/42?x=1");
  EXPECT_EQ(body["route"], "messages");
  EXPECT_EQ(body["params"]["id"], "s-1");
  EXPECT_EQ(body["params"]["seq"], "42");
  EXPECT_EQ(body_of("GET", "/")["route"], "root");
}

TEST_F(RouterTest, ParametersArePercentDecodedPerSegment) {
  router_.add("GET", "/v1/kv/{key}", route_named("kv"));
  EXPECT_EQ(body_of("GET", "/v1/kv/a%2Fb%20c")["params"]["key"], "a/b c");
  EXPECT_EQ(body_of("GET", "/v1/kv/caf%C3%A9")["params"]["key"], "café");
}

TEST_F(RouterTest, LiteralSegmentBeatsAParameterWhateverTheOrderOfAdd) {
  router_.add("GET", "/v1/sessions/{id}", route_named("one"));
  router_.add("GET", "/v1/sessions/search", route_named("search"));
  EXPECT_EQ(body_of("GET", "/v1/sessions/search")["route"], "search");
  EXPECT_EQ(body_of("GET", "/v1/sessions/s-9")["route"], "one");
}

TEST_F(RouterTest, EmptySegmentMatchesNoParameter) {
  router_.add("GET", "/v1/sessions/{id}/messages", route_named("messages"));
  EXPECT_EQ(handle("GET", "/v1/sessions//messages").status, 404);
  EXPECT_EQ(handle("GET", "/v1/sessions/s-1/messages/").status, 404);
  EXPECT_EQ(handle("GET", "/v1/sessions/s-1").status, 404);
}

TEST_F(RouterTest, UnknownPathIs404NotFound) {
  router_.add("GET", "/a", route_named("a"));
  const auto response = handle("GET", "/b");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(error_code_of(response), "not_found");
}

TEST_F(RouterTest, WrongMethodIs405WithEveryAllowedMethod) {
  router_.add("GET", "/v1/sessions/{id}", route_named("get"));
  router_.add("DELETE", "/v1/sessions/{id}", route_named("delete"));
  router_.add("POST", "/v1/sessions/search", route_named("search"));
  const auto response = handle("PUT", "/v1/sessions/s-1");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(error_code_of(response), "method_not_allowed");
  ASSERT_EQ(response.headers.size(), 1U);
  EXPECT_EQ(response.headers[0].first, "Allow");
  EXPECT_EQ(response.headers[0].second, "DELETE, GET, HEAD");
  // The literal route matches this path too, so its method is allowed as well.
  EXPECT_EQ(handle("PUT", "/v1/sessions/search").headers.at(0).second, "DELETE, GET, HEAD, POST");
  // A method routed only on the parameter pattern still reaches it.
  EXPECT_EQ(body_of("DELETE", "/v1/sessions/search")["route"], "delete");
}

TEST_F(RouterTest, HeadIsServedByGetUnlessRoutedItself) {
  router_.add("GET", "/a", route_named("get-a"));
  router_.add("GET", "/b", route_named("get-b"));
  router_.add("HEAD", "/b", route_named("head-b"));
  EXPECT_EQ(body_of("HEAD", "/a")["route"], "get-a");
  EXPECT_EQ(body_of("HEAD", "/b")["route"], "head-b");
}

TEST_F(RouterTest, MalformedEscapeOrControlCharacterIs400) {
  router_.add("GET", "/v1/kv/{key}", route_named("kv"));
  EXPECT_EQ(error_code_of(handle("GET", "/v1/kv/%zz")), "bad_request");
  EXPECT_EQ(error_code_of(handle("GET", "/v1/kv/%4")), "bad_request");
  EXPECT_EQ(error_code_of(handle("GET", "/v1/kv/a%0Ab")), "bad_request");
  EXPECT_EQ(error_code_of(handle("GET", "/v1/kv/a%00b")), "bad_request");
}

TEST_F(RouterTest, ThrowingHandlerIs500InternalWithoutItsMessage) {
  router_.add("POST", "/v1/tokens", [](const ServerRequest&, const PathParams&) -> asio::awaitable<ServerResponse> {
    co_await asio::this_coro::executor;  // a coroutine: it throws once awaited
    throw std::runtime_error("token sk-SECRET invalid");
  });
  router_.add("POST", "/v1/sync-throw", [](const ServerRequest&, const PathParams&) -> asio::awaitable<ServerResponse> {
    throw std::logic_error("thrown before any coroutine exists");
  });
  for (const char* target : {"/v1/tokens", "/v1/sync-throw"}) {
    const auto response = handle("POST", target);
    EXPECT_EQ(response.status, 500);
    EXPECT_EQ(error_code_of(response), "internal");
    EXPECT_EQ(response.body.find("SECRET"), std::string::npos);
    EXPECT_EQ(response.body.find("thrown"), std::string::npos);
  }
}

TEST_F(RouterTest, MalformedPatternsAndDuplicatesAreRefusedAtAdd) {
  EXPECT_THROW(router_.add("GET", "no-slash", route_named("x")), std::invalid_argument);
  EXPECT_THROW(router_.add("GET", "/a/{}", route_named("x")), std::invalid_argument);
  EXPECT_THROW(router_.add("GET", "/a/{id}/{id}", route_named("x")), std::invalid_argument);
  EXPECT_THROW(router_.add("GET", "/a/x{id}", route_named("x")), std::invalid_argument);
  EXPECT_THROW(router_.add("GET", "/a", RouteHandler{}), std::invalid_argument);
  router_.add("GET", "/a/{id}", route_named("x"));
  EXPECT_THROW(router_.add("GET", "/a/{other}", route_named("y")), std::invalid_argument);
  router_.add("POST", "/a/{id}", route_named("post"));  // another method on the same path is fine
}


struct RecordedRequest {
  std::string method;
  std::string route;
  int status = 0;
};

class RecordingObserver final : public RequestObserver {
 public:
  void on_request(std::string_view method, std::string_view route, int status, std::chrono::nanoseconds duration) override {
    EXPECT_GE(duration.count(), 0);
    seen.push_back(RecordedRequest{std::string(method), std::string(route), status});
  }
  std::vector<RecordedRequest> seen;
};

TEST_F(RouterTest, ObserverSeesTheRouteTemplateNeverTheRawPath) {
  router_.add("GET", "/v1/sessions/{id}", route_named("get"));
  RecordingObserver observer;
  const auto run = [&](std::string method, std::string target) {
    const ServerRequest request = make_request(std::move(method), std::move(target));
    return testing::run_bounded(ioc_, router_.handle(request, &observer));
  };
  EXPECT_EQ(run("GET", "/v1/sessions/s-secret-1").status, 200);
  EXPECT_EQ(run("GET", "/nowhere/s-2").status, 404);
  EXPECT_EQ(run("POST", "/v1/sessions/s-3").status, 405);
  EXPECT_EQ(run("GET", "/v1/sessions/%zz").status, 400);
  ASSERT_EQ(observer.seen.size(), 4U);
  EXPECT_EQ(observer.seen[0].route, "/v1/sessions/{id}");
  EXPECT_EQ(observer.seen[0].method, "GET");
  EXPECT_EQ(observer.seen[0].status, 200);
  EXPECT_EQ(observer.seen[1].route, kUnmatchedRoute);
  EXPECT_EQ(observer.seen[1].status, 404);
  EXPECT_EQ(observer.seen[2].route, kUnmatchedRoute);
  EXPECT_EQ(observer.seen[2].status, 405);
  EXPECT_EQ(observer.seen[3].route, kInvalidRoute);
}

}  // namespace
}  // namespace agentrt
