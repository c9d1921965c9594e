#include "backends/tools/http_tool_request.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace agentrt {
namespace {

using nlohmann::json;

ToolDefinition tool(std::string method, std::string url) {
  ToolDefinition t;
  t.name = "lookup";
  t.kind = ToolKind::http;
  t.http.method = std::move(method);
  t.http.url = std::move(url);
  return t;
}

TEST(HttpToolRequest, GetEncodesPlaceholdersAndPutsTheRestInTheQuery) {
  const auto request = build_http_tool_request(tool("GET", "http://h/users/{id}/items?fixed=1"),
                                               json{{"id", "a b/c"}, {"q", "x&y"}, {"n", 3}, {"tags", {"p", "q"}}});
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(request->method, "GET");
  EXPECT_EQ(request->url, "http://h/users/a%20b%2Fc/items?fixed=1&n=3&q=x%26y&tags=p&tags=q");
  EXPECT_EQ(request->body, "");
}

TEST(HttpToolRequest, PostSendsAllArgumentsAsJson) {
  const auto request = build_http_tool_request(tool("POST", "http://h/orders/{order}"), json{{"order", 42}, {"note", "hi"}});
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->url, "http://h/orders/42");
  EXPECT_EQ(json::parse(request->body), (json{{"order", 42}, {"note", "hi"}}));
  EXPECT_EQ(request->headers, (HttpHeaders{{"Content-Type", "application/json"}}));
}

TEST(HttpToolRequest, ToolContentTypeIsNotDuplicated) {
  auto t = tool("PUT", "http://h/x");
  t.http.headers = {{"content-type", "application/merge-patch+json"}};
  const auto request = build_http_tool_request(t, json{{"a", 1}});
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->headers, (HttpHeaders{{"content-type", "application/merge-patch+json"}}));
}

TEST(HttpToolRequest, MissingPlaceholderArgumentFails) {
  const auto request = build_http_tool_request(tool("GET", "http://h/{id}"), json::object());
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.error().code, Errc::invalid);
  EXPECT_EQ(request.error().message, "tool lookup: URL placeholder {id} has no argument");
}

TEST(HttpToolRequest, BracesThatAreNotPlaceholdersStay) {
  const auto request = build_http_tool_request(tool("GET", "http://h/{}/{a b}/{x"), json::object());
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->url, "http://h/{}/{a b}/{x");
}

TEST(HttpToolRequest, NonObjectArgumentsFail) {
  EXPECT_FALSE(build_http_tool_request(tool("POST", "http://h"), json::array()).ok());
  EXPECT_TRUE(build_http_tool_request(tool("POST", "http://h"), json()).ok());  // null: no arguments
}

TEST(HttpToolRequest, EnvReferencesAreResolvedAndMissingOnesNamed) {
  ::setenv("AGENTRT_TEST_TOKEN", "tok-123", 1);
  ::unsetenv("AGENTRT_TEST_UNSET");
  auto t = tool("GET", "http://h");
  t.http.headers = {{"Authorization", "Bearer ${env:AGENTRT_TEST_TOKEN}"}, {"X-Two", "${env:AGENTRT_TEST_TOKEN}/${env:AGENTRT_TEST_TOKEN}"}};
  const auto request = build_http_tool_request(t, json::object());
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->headers, (HttpHeaders{{"Authorization", "Bearer tok-123"}, {"X-Two", "tok-123/tok-123"}}));

  t.http.headers = {{"X-Key", "${env:AGENTRT_TEST_UNSET}"}};
  const auto missing = build_http_tool_request(t, json::object());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "tool lookup: header X-Key: environment variable AGENTRT_TEST_UNSET is not set");

  EXPECT_FALSE(expand_env_references("${env:NOPE").ok());
  EXPECT_FALSE(expand_env_references("${env:}").ok());
  EXPECT_EQ(*expand_env_references("no refs"), "no refs");
}

}  // namespace
}  // namespace agentrt
