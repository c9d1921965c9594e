#include "backends/aws/sqs_inbox_codec.hpp"

#include <gtest/gtest.h>

namespace agentrt {
namespace {

TEST(SqsInboxCodec, RoundTrips) {
  const auto body = encode_sqs_inbox_body(SessionId{"s-1"}, InboxMessage{MessageId{"m-1"}, "héllo \"x\"", 42});
  ASSERT_TRUE(body.ok()) << body.error().message;
  const auto decoded = decode_sqs_inbox_body(*body);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded->session.str(), "s-1");
  EXPECT_EQ(decoded->message.id.str(), "m-1");
  EXPECT_EQ(decoded->message.text, "héllo \"x\"");
  EXPECT_EQ(decoded->message.enqueued_ms, 42);
}

TEST(SqsInboxCodec, RefusesIdsSqsCannotCarryAndTooLargeBodies) {
  EXPECT_FALSE(encode_sqs_inbox_body(SessionId{"s-1"}, InboxMessage{MessageId{""}, "x", 0}).ok());
  EXPECT_FALSE(encode_sqs_inbox_body(SessionId{"s-1"}, InboxMessage{MessageId{"has space"}, "x", 0}).ok());
  EXPECT_FALSE(encode_sqs_inbox_body(SessionId{"s-1"}, InboxMessage{MessageId{std::string(129, 'a')}, "x", 0}).ok());
  const auto big = encode_sqs_inbox_body(SessionId{"s-1"}, InboxMessage{MessageId{"m"}, std::string(300'000, 'a'), 0});
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, Errc::invalid);
}

TEST(SqsInboxCodec, MalformedBodiesAreInvalidWithoutQuotingTheText) {
  EXPECT_FALSE(decode_sqs_inbox_body("not json").ok());
  EXPECT_FALSE(decode_sqs_inbox_body("[1]").ok());
  EXPECT_FALSE(decode_sqs_inbox_body(R"({"session":"s","message_id":"m"})").ok());
  EXPECT_FALSE(decode_sqs_inbox_body(R"({"session":"","message_id":"m","text":"x"})").ok());
  const auto secret = decode_sqs_inbox_body(R"({"session":"s","message_id":7,"text":"secret-text"})");
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.error().message.find("secret-text"), std::string::npos);
  EXPECT_FALSE(decode_sqs_inbox_body(std::string(kSqsInboxBodyBytesMax + 1, ' ')).ok());
}

}  // namespace
}  // namespace agentrt
