#include "backends/http_server/http_wire.hpp"

#include <gtest/gtest.h>

#include "backends/http_server/percent_decoding.hpp"

namespace agentrt {
namespace {

namespace http = boost::beast::http;

TEST(PercentDecoding, DecodesEscapesAndRefusesMalformedOnes) {
  EXPECT_EQ(percent_decode("a%20b%2Fc"), "a b/c");
  EXPECT_EQ(percent_decode("a+b"), "a+b");
  EXPECT_EQ(percent_decode("a+b", true), "a b");
  EXPECT_EQ(percent_decode("%e2%82%AC"), "\xe2\x82\xac");
  EXPECT_FALSE(percent_decode("%"));
  EXPECT_FALSE(percent_decode("%4"));
  EXPECT_FALSE(percent_decode("ab%4"));
  EXPECT_FALSE(percent_decode("%g1"));
}

TEST(PercentDecoding, ParsesQueryStringsFirstKeyWins) {
  const auto query = parse_query("a=1&b=x%20y&flag&&a=2&c=");
  ASSERT_TRUE(query);
  EXPECT_EQ(query->size(), 4U);
  EXPECT_EQ(query->at("a"), "1");
  EXPECT_EQ(query->at("b"), "x y");
  EXPECT_EQ(query->at("flag"), "");
  EXPECT_EQ(query->at("c"), "");
  EXPECT_FALSE(parse_query("a=%zz"));
}

TEST(HttpWire, RequestHasUpperCaseMethodLowerCaseHeadersAndJoinedRepeats) {
  WireRequest wire{http::verb::post, "/v1/x%20y?k=v", 11};
  wire.insert("X-Trace", "a");
  wire.insert("x-trace", "b");
  wire.insert("Content-Type", "application/json");
  wire.body() = "{}";
  const auto request = to_server_request(wire, "127.0.0.1:5");
  ASSERT_TRUE(request.ok()) << request.error().to_string();
  EXPECT_EQ(request->method, "POST");
  EXPECT_EQ(request->target, "/v1/x%20y?k=v");
  EXPECT_EQ(request->path, "/v1/x y");
  EXPECT_EQ(request->query.at("k"), "v");
  EXPECT_EQ(request->header("x-trace"), "a, b");
  EXPECT_EQ(request->header("content-type"), "application/json");
  EXPECT_FALSE(request->header("Content-Type"));  // names are looked up lower-case
  EXPECT_EQ(request->body, "{}");
  EXPECT_EQ(request->remote, "127.0.0.1:5");
}

TEST(HttpWire, NonAbsolutePathTargetIsInvalid) {
  WireRequest absolute_form{http::verb::get, "http://example.com/x", 11};
  const auto request = to_server_request(absolute_form, "r");
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.error().code, Errc::invalid);
}

TEST(HttpWire, ResponseCarriesServerOwnedHeadersOverTheHandlers) {
  ServerResponse response = json_response(201, {{"ok", true}});
  response.headers = {{"Location", "/v1/sessions/s-1"}, {"Content-Length", "999"}, {"Connection", "keep-alive"}};
  const WireResponse wire = to_wire_response(response, 11, false);
  EXPECT_EQ(wire.result_int(), 201);
  EXPECT_EQ(wire[http::field::location], "/v1/sessions/s-1");
  EXPECT_EQ(wire[http::field::content_length], std::to_string(wire.body().size()));
  EXPECT_EQ(wire[http::field::connection], "close");
  EXPECT_EQ(wire[http::field::server], "agentrt");
  EXPECT_EQ(wire[http::field::content_type], "application/json");
  EXPECT_EQ(wire.body(), R"({"ok":true})");
}

TEST(HttpWire, HandlerBugsBecome500) {
  ServerResponse bad_status;
  bad_status.status = 42;
  EXPECT_EQ(to_wire_response(bad_status, 11, true).result_int(), 500);
  ServerResponse bad_header;
  bad_header.headers = {{"X-A", "line\r\nX-Injected: 1"}};
  const auto wire = to_wire_response(bad_header, 11, true);
  EXPECT_EQ(wire.result_int(), 500);
  EXPECT_EQ(wire.count("X-Injected"), 0U);
}

TEST(HttpWire, DateIsImfFixdate) {
  EXPECT_EQ(http_date(std::chrono::system_clock::time_point(std::chrono::seconds(784111777))), "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST(JsonError, HasTheStableShape) {
  const auto response = json_error(409, "conflict", "session s-1 \"exists\"");
  EXPECT_EQ(response.status, 409);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(nlohmann::json::parse(response.body),
            (nlohmann::json{{"error", {{"code", "conflict"}, {"message", "session s-1 \"exists\""}}}}));
}

}  // namespace
}  // namespace agentrt
