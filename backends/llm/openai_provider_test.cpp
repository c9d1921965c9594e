#include "backends/llm/openai_provider.hpp"

#include <gtest/gtest.h>

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

std::string sse_data(const json& payload) { return "data: " + payload.dump() + "\n\n"; }

json content_chunk(const std::string& text) {
  return {{"object", "chat.completion.chunk"}, {"choices", {{{"index", 0}, {"delta", {{"content", text}}}}}}};
}

json finish_chunk(const std::string& reason) {
  return {{"choices", {{{"index", 0}, {"delta", json::object()}, {"finish_reason", reason}}}}};
}

json usage_chunk(int in, int out) {
  return {{"choices", json::array()}, {"usage", {{"prompt_tokens", in}, {"completion_tokens", out}}}};
}

// "Hello world" in three deltas, finish, usage, [DONE]: written in parts cut mid-line.
TestReply hello_stream() {
  const std::string stream = ": keep-alive\n\n" + sse_data(content_chunk("Hel")) + sse_data(content_chunk("lo")) +
                             sse_data(content_chunk(" world")) + sse_data(finish_chunk("stop")) +
                             sse_data(usage_chunk(11, 3)) + "data: [DONE]\n\n";
  std::vector<std::string> parts;
  for (std::size_t at = 0; at < stream.size(); at += 37) parts.push_back(stream.substr(at, 37));
  return TestReply::sse(parts, milliseconds(1));
}

class OpenAiProviderTest : public ::testing::Test {
 protected:
  OpenAiProviderTest() {
    model_.provider = "openai";
    model_.name = "test-model";
    model_.timeout = milliseconds(5000);
    model_.retry = RetryPolicy{3, milliseconds(10), milliseconds(2000), 2.0};
  }

  LlmRequest request(const TestHttpServer& server) {
    model_.base_url = server.url("/v1/");
    LlmRequest r;
    r.model = &model_;
    r.api_key = "sk-test-SECRET";
    r.messages = json::array({{{"role", "user"}, {"content", "hi"}}});
    r.idempotency_key = "s-1:4";
    r.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    return r;
  }

  Result<LlmReply> complete(LlmRequest r) {
    return testing::run_coroutine(ioc_, provider_->complete(std::move(r), [this](std::string_view t) { tokens_.emplace_back(t); }));
  }

  asio::io_context ioc_;
  CurlClient http_{ioc_.get_executor()};
  std::unique_ptr<LlmProvider> provider_ = make_openai_provider(http_, 7);
  ModelConfig model_;
  std::vector<std::string> tokens_;
};

TEST_F(OpenAiProviderTest, StreamsTokensAndReturnsTheWholeReply) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) { return hello_stream(); });
  const auto reply = complete(request(server));
  ASSERT_TRUE(reply.ok()) << reply.error().to_string();
  EXPECT_EQ(reply->content, "Hello world");
  EXPECT_EQ(reply->finish_reason, "stop");
  EXPECT_EQ(reply->tokens_in, 11);
  EXPECT_EQ(reply->tokens_out, 3);
  EXPECT_TRUE(reply->tool_calls.empty());
  EXPECT_EQ(tokens_, (std::vector<std::string>{"Hel", "lo", " world"}));
}

TEST_F(OpenAiProviderTest, SendsTheDocumentedRequest) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) { return hello_stream(); });
  model_.temperature = 0.25;
  model_.max_tokens = 64;
  auto r = request(server);
  r.tools = json::array({{{"type", "function"}, {"function", {{"name", "lookup"}, {"parameters", json::object()}}}}});
  ASSERT_TRUE(complete(r).ok());
  ASSERT_EQ(server.request_count(), 1U);
  const RecordedRequest seen = server.requests()[0];
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.target, "/v1/chat/completions");
  EXPECT_EQ(seen.header("Authorization"), "Bearer sk-test-SECRET");
  EXPECT_EQ(seen.header("Content-Type"), "application/json");
  EXPECT_EQ(seen.header("Idempotency-Key"), "s-1:4");
  EXPECT_EQ(seen.header("traceparent"), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  const json body = json::parse(seen.body);
  EXPECT_EQ(body["model"], "test-model");
  EXPECT_EQ(body["messages"], r.messages);
  EXPECT_EQ(body["tools"], r.tools);
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["stream_options"]["include_usage"], true);
  EXPECT_DOUBLE_EQ(body["temperature"].get<double>(), 0.25);
  EXPECT_EQ(body["max_tokens"], 64);
}

TEST_F(OpenAiProviderTest, OmitsToolsTemperatureMaxTokensAndKeyWhenUnset) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) { return hello_stream(); });
  auto r = request(server);
  r.api_key.clear();
  ASSERT_TRUE(complete(r).ok());
  const RecordedRequest seen = server.requests().at(0);
  EXPECT_FALSE(seen.header("Authorization"));
  const json body = json::parse(seen.body);
  EXPECT_FALSE(body.contains("tools"));
  EXPECT_FALSE(body.contains("temperature"));
  EXPECT_FALSE(body.contains("max_tokens"));
}

TEST_F(OpenAiProviderTest, AccumulatesToolCallFragmentsByIndex) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) {
    auto call = [](int index, json fields) {
      fields["index"] = index;
      json choice = {{"index", 0}, {"delta", {{"tool_calls", json::array({fields})}}}};
      return json{{"choices", json::array({choice})}};
    };
    const std::string stream =
        sse_data(call(0, {{"id", "call_a"}, {"type", "function"}, {"function", {{"name", "weather"}, {"arguments", ""}}}})) +
        sse_data(call(0, {{"function", {{"arguments", "{\"ci"}}}})) +
        sse_data(call(1, {{"id", "call_b"}, {"type", "function"}, {"function", {{"name", "time"}, {"arguments", "{\"tz\""}}}})) +
        sse_data(call(0, {{"function", {{"arguments", "ty\":\"Oslo\"}"}}}})) +
        sse_data(call(1, {{"function", {{"arguments", ":\"CET\"}"}}}})) + sse_data(finish_chunk("tool_calls")) +
        "data: [DONE]\n\n";
    std::vector<std::string> parts;
    for (std::size_t at = 0; at < stream.size(); at += 13) parts.push_back(stream.substr(at, 13));
    return TestReply::sse(parts, milliseconds(0));
  });
  const auto reply = complete(request(server));
  ASSERT_TRUE(reply.ok()) << reply.error().to_string();
  EXPECT_EQ(reply->finish_reason, "tool_calls");
  ASSERT_EQ(reply->tool_calls.size(), 2U);
  EXPECT_EQ(reply->tool_calls[0].id, "call_a");
  EXPECT_EQ(reply->tool_calls[0].name, "weather");
  EXPECT_EQ(reply->tool_calls[0].arguments, R"({"city":"Oslo"})");
  EXPECT_EQ(reply->tool_calls[1].id, "call_b");
  EXPECT_EQ(reply->tool_calls[1].name, "time");
  EXPECT_EQ(reply->tool_calls[1].arguments, R"({"tz":"CET"})");
  EXPECT_TRUE(tokens_.empty());
}

TEST_F(OpenAiProviderTest, AcceptsAPlainJsonReply) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) {
    return TestReply::json(200, json{{"object", "chat.completion"},
                                     {"choices", {{{"index", 0},
                                                   {"message", {{"role", "assistant"}, {"content", "plain"}}},
                                                   {"finish_reason", "stop"}}}},
                                     {"usage", {{"prompt_tokens", 4}, {"completion_tokens", 1}}}}
                                    .dump());
  });
  const auto reply = complete(request(server));
  ASSERT_TRUE(reply.ok()) << reply.error().to_string();
  EXPECT_EQ(reply->content, "plain");
  EXPECT_EQ(reply->tokens_in, 4);
  EXPECT_EQ(tokens_, std::vector<std::string>{"plain"});
}

TEST_F(OpenAiProviderTest, HonoursRetryAfterOn429ThenSucceeds) {
  TestHttpServer server([](const RecordedRequest&, std::size_t index) {
    if (index > 0) return hello_stream();
    auto reply = TestReply::json(429, R"({"error":{"message":"slow down"}})");
    reply.headers.emplace_back("Retry-After", "1");
    return reply;
  });
  const auto start = std::chrono::steady_clock::now();
  const auto reply = complete(request(server));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(reply.ok()) << reply.error().to_string();
  EXPECT_EQ(reply->content, "Hello world");
  EXPECT_EQ(server.request_count(), 2U);
  EXPECT_GE(elapsed, milliseconds(950));  // backoff alone would be ~10 ms
}

TEST_F(OpenAiProviderTest, RetryAfterIsCappedByMaxBackoff) {
  TestHttpServer server([](const RecordedRequest&, std::size_t index) {
    if (index > 0) return hello_stream();
    auto reply = TestReply::json(503, R"({"error":{"message":"overloaded"}})");
    reply.headers.emplace_back("Retry-After", "3600");
    return reply;
  });
  model_.retry.max_backoff = milliseconds(100);
  const auto start = std::chrono::steady_clock::now();
  const auto reply = complete(request(server));
  ASSERT_TRUE(reply.ok()) << reply.error().to_string();
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000));
}

TEST_F(OpenAiProviderTest, ServerErrorsAreRetriedThenReported) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) { return TestReply::json(500, R"({"error":{"message":"boom"}})"); });
  const auto reply = complete(request(server));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, Errc::retryable);
  EXPECT_EQ(server.request_count(), 3U);
  EXPECT_NE(reply.error().message.find("HTTP 500 from POST " + server.url("/v1/chat/completions") + ": boom"),
            std::string::npos)
      << reply.error().message;
  EXPECT_NE(reply.error().message.find("after 3 tries"), std::string::npos);
}

TEST_F(OpenAiProviderTest, ServerErrorsThenSuccess) {
  TestHttpServer server([](const RecordedRequest&, std::size_t index) {
    return index < 2 ? TestReply::text(502, "bad gateway") : hello_stream();
  });
  const auto reply = complete(request(server));
  ASSERT_TRUE(reply.ok()) << reply.error().to_string();
  EXPECT_EQ(server.request_count(), 3U);
  EXPECT_EQ(tokens_.size(), 3U);  // only the successful try streamed
}

TEST_F(OpenAiProviderTest, ClientErrorIsInvalidAtOnceAndNeverShowsTheKey) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) {
    return TestReply::json(401, R"({"error":{"message":"Incorrect API key provided: sk-test-SECRET"}})");
  });
  const auto reply = complete(request(server));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, Errc::invalid);
  EXPECT_EQ(server.request_count(), 1U);
  EXPECT_NE(reply.error().message.find("HTTP 401"), std::string::npos);
  EXPECT_NE(reply.error().message.find("Incorrect API key provided"), std::string::npos);
  EXPECT_EQ(reply.error().message.find("SECRET"), std::string::npos) << reply.error().message;
}

TEST_F(OpenAiProviderTest, LongErrorBodyIsTruncated) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) { return TestReply::text(400, std::string(5000, 'e')); });
  const auto reply = complete(request(server));
  ASSERT_FALSE(reply.ok());
  EXPECT_LT(reply.error().message.size(), 700U);
}

TEST_F(OpenAiProviderTest, MalformedBodyIsInvalidAndNotRetried) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) { return TestReply::text(200, "<html>oops</html>"); });
  const auto reply = complete(request(server));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, Errc::invalid);
  EXPECT_EQ(reply.error().message.rfind("malformed reply from " + server.url("/v1/chat/completions") + ": ", 0), 0U)
      << reply.error().message;
  EXPECT_EQ(server.request_count(), 1U);
}

TEST_F(OpenAiProviderTest, MalformedStreamChunkIsInvalid) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) {
    return TestReply::sse({"data: {\"choices\": [\n\n", "data: [DONE]\n\n"});
  });
  const auto reply = complete(request(server));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, Errc::invalid);
  EXPECT_NE(reply.error().message.find("malformed reply"), std::string::npos);
}

TEST_F(OpenAiProviderTest, StreamCutAfterTokensIsNotRetried) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) {
    return TestReply::sse({sse_data(content_chunk("partial"))});  // ends without finish or [DONE]
  });
  const auto reply = complete(request(server));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, Errc::retryable);
  EXPECT_EQ(server.request_count(), 1U);
  EXPECT_EQ(tokens_, std::vector<std::string>{"partial"});
  EXPECT_NE(reply.error().message.find("not retried"), std::string::npos);
}

TEST_F(OpenAiProviderTest, StreamCutBeforeAnyTokenIsRetried) {
  TestHttpServer server([](const RecordedRequest&, std::size_t index) {
    if (index > 0) return hello_stream();
    return TestReply::sse({sse_data({{"choices", {{{"index", 0}, {"delta", {{"role", "assistant"}}}}}}})});
  });
  const auto reply = complete(request(server));
  ASSERT_TRUE(reply.ok()) << reply.error().to_string();
  EXPECT_EQ(server.request_count(), 2U);
}

TEST_F(OpenAiProviderTest, SlowReplyTimesOutEachTry) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) {
    auto reply = hello_stream();
    reply.delay_before = milliseconds(3000);
    return reply;
  });
  model_.timeout = milliseconds(150);
  model_.retry.attempts = 2;
  const auto start = std::chrono::steady_clock::now();
  const auto reply = complete(request(server));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, Errc::timeout);
  EXPECT_EQ(server.request_count(), 2U);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2500));
}

TEST_F(OpenAiProviderTest, ConnectionRefusedIsRetryableAfterRetries) {
  model_.base_url = "http://127.0.0.1:" + std::to_string(TestHttpServer::unused_port()) + "/v1";
  LlmRequest r;
  r.model = &model_;
  r.api_key = "sk-test-SECRET";
  r.messages = json::array();
  const auto reply = complete(r);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, Errc::retryable);
  EXPECT_NE(reply.error().message.find("after 3 tries"), std::string::npos);
  EXPECT_EQ(reply.error().message.find("SECRET"), std::string::npos);
}

TEST_F(OpenAiProviderTest, BadRequestValuesAreInvalid) {
  LlmRequest no_model;
  EXPECT_EQ(complete(no_model).error().code, Errc::invalid);
  LlmRequest no_url;
  no_url.model = &model_;
  EXPECT_EQ(complete(no_url).error().code, Errc::invalid);
}

TEST_F(OpenAiProviderTest, CancellationDuringBackoffReturnsCancelled) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) { return TestReply::text(503, "busy"); });
  model_.retry = RetryPolicy{5, milliseconds(5000), milliseconds(5000), 2.0};
  asio::cancellation_signal signal;
  auto done = asio::co_spawn(ioc_, testing::as_optional(provider_->complete(request(server), {})),
                             asio::bind_cancellation_slot(signal.slot(), asio::use_future));
  asio::steady_timer trigger(ioc_, milliseconds(300));
  trigger.async_wait([&](auto) { signal.emit(asio::cancellation_type::terminal); });
  const auto start = std::chrono::steady_clock::now();
  const auto reply = *testing::wait_for_future(ioc_, done);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, Errc::cancelled);
  EXPECT_EQ(server.request_count(), 1U);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2500));
}

}  // namespace
}  // namespace agentrt
