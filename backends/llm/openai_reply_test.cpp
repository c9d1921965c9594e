#include "backends/llm/openai_reply.hpp"

#include <gtest/gtest.h>

namespace agentrt {
namespace {

TEST(OpenAiChunkAccumulator, AccumulatesContentToolCallsFinishAndUsage) {
  OpenAiChunkAccumulator acc;
  EXPECT_EQ(*acc.apply(R"({"choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"}}]})"), "Hi");
  EXPECT_EQ(*acc.apply(R"({"choices":[{"delta":{"tool_calls":[{"index":0,"id":"c1","type":"function","function":{"name":"get","arguments":"{\"a\""}}]}}]})"), "");
  EXPECT_EQ(*acc.apply(R"({"choices":[{"delta":{"tool_calls":[{"index":1,"id":"c2","function":{"name":"put","arguments":""}}]}}]})"), "");
  EXPECT_EQ(*acc.apply(R"({"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":":1}"}}]}}]})"), "");
  EXPECT_EQ(*acc.apply(R"({"choices":[{"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{}"}}]}}]})"), "");
  EXPECT_FALSE(acc.finished());
  EXPECT_EQ(*acc.apply(R"({"choices":[{"delta":{},"finish_reason":"tool_calls"}]})"), "");
  EXPECT_TRUE(acc.finished());
  EXPECT_EQ(*acc.apply(R"({"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17}})"), "");
  const LlmReply reply = acc.take();
  EXPECT_EQ(reply.content, "Hi");
  EXPECT_EQ(reply.finish_reason, "tool_calls");
  EXPECT_EQ(reply.tokens_in, 12);
  EXPECT_EQ(reply.tokens_out, 5);
  ASSERT_EQ(reply.tool_calls.size(), 2U);
  EXPECT_EQ(reply.tool_calls[0].id, "c1");
  EXPECT_EQ(reply.tool_calls[0].name, "get");
  EXPECT_EQ(reply.tool_calls[0].arguments, R"({"a":1})");
  EXPECT_EQ(reply.tool_calls[1].id, "c2");
  EXPECT_EQ(reply.tool_calls[1].name, "put");
  EXPECT_EQ(reply.tool_calls[1].arguments, "{}");
}

TEST(OpenAiChunkAccumulator, NullContentAndMissingIdsAreTolerated) {
  OpenAiChunkAccumulator acc;
  EXPECT_EQ(*acc.apply(R"({"choices":[{"delta":{"content":null,"tool_calls":[{"index":3,"function":{"name":"f","arguments":{"x":1}}}]},"finish_reason":null}]})"), "");
  const LlmReply reply = acc.take();
  ASSERT_EQ(reply.tool_calls.size(), 1U);
  EXPECT_EQ(reply.tool_calls[0].id, "call_3");
  EXPECT_EQ(reply.tool_calls[0].arguments, R"({"x":1})");
}

TEST(OpenAiChunkAccumulator, NonJsonChunkIsInvalid) {
  OpenAiChunkAccumulator acc;
  const auto result = acc.apply("not json");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, Errc::invalid);
  EXPECT_NE(result.error().message.find("not a JSON object"), std::string::npos);
}

TEST(OpenAiChunkAccumulator, ErrorChunkIsInvalidWithTheServerMessage) {
  OpenAiChunkAccumulator acc;
  const auto result = acc.apply(R"({"error":{"message":"context too long","type":"invalid_request_error"}})");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("context too long"), std::string::npos);
}

TEST(OpenAiStreamReader, DetectsPlainJsonAndStreamsItsContentOnce) {
  std::vector<std::string> tokens;
  OpenAiStreamReader reader([&](std::string_view t) { tokens.emplace_back(t); });
  reader.feed("  \n");
  reader.feed(R"({"choices":[{"message":{"role":"assistant","content":"All done",)");
  reader.feed(R"("tool_calls":[{"id":"t1","type":"function","function":{"name":"n","arguments":"{}"}}]},)");
  reader.feed(R"("finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2}})");
  const auto reply = reader.finish();
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(reply->content, "All done");
  EXPECT_EQ(reply->finish_reason, "stop");
  EXPECT_EQ(reply->tokens_in, 3);
  ASSERT_EQ(reply->tool_calls.size(), 1U);
  EXPECT_EQ(reply->tool_calls[0].name, "n");
  EXPECT_EQ(tokens, std::vector<std::string>{"All done"});
}

TEST(OpenAiStreamReader, StreamCutBeforeDoneIsRetryable) {
  OpenAiStreamReader reader({});
  reader.feed("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n");
  const auto reply = reader.finish();
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, Errc::retryable);
  EXPECT_TRUE(reader.streamed_tokens());
}

TEST(OpenAiStreamReader, FinishReasonWithoutDoneIsAccepted) {
  OpenAiStreamReader reader({});
  reader.feed("data: {\"choices\":[{\"delta\":{\"content\":\"a\"},\"finish_reason\":\"stop\"}]}\n\n");
  const auto reply = reader.finish();
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->content, "a");
}

TEST(OpenAiStreamReader, TextThatIsNeitherFormIsInvalid) {
  OpenAiStreamReader reader({});
  reader.feed("<html>gateway</html>");
  const auto reply = reader.finish();
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, Errc::invalid);
  OpenAiStreamReader empty({});
  EXPECT_EQ(empty.finish().error().code, Errc::invalid);
  OpenAiStreamReader broken_json({});
  broken_json.feed("{\"choices\": [");
  EXPECT_EQ(broken_json.finish().error().code, Errc::invalid);
}

TEST(OpenAiErrorMessage, ExtractsCommonShapesAndTruncates) {
  EXPECT_EQ(openai_error_message(R"({"error":{"message":"bad model","code":"x"}})"), "bad model");
  EXPECT_EQ(openai_error_message(R"({"error":"plain"})"), "plain");
  EXPECT_EQ(openai_error_message(R"({"detail":"fastapi style"})"), "fastapi style");
  EXPECT_EQ(openai_error_message("not json"), "not json");
  const std::string long_body(2000, 'x');
  EXPECT_EQ(openai_error_message(long_body).size(), 503U);  // 500 bytes and "..."
}

TEST(OpenAiErrorMessage, InvalidUtf8InABodyIsReplaced) {
  EXPECT_EQ(openai_error_message("bad \xFF byte"), "bad \xEF\xBF\xBD byte");
}

}  // namespace
}  // namespace agentrt
