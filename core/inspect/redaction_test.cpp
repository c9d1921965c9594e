#include "core/inspect/redaction.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace agentrt {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(Redaction, SecretKeysAreRecognisedByTheirParts) {
  for (const char* key : {"Authorization", "authorization", "api_key", "apiKey", "X-Api-Key", "access_token",
                          "accessToken", "refresh-token", "password", "db.password", "client_secret", "secret",
                          "Cookie", "private_key", "credentials", "x-auth-token"}) {
    EXPECT_TRUE(is_secret_key(key)) << key;
  }
  for (const char* key : {"tokens_in", "tokens_out", "max_tokens", "name", "author", "keyboard", "monkey", "call_id",
                          "secretary_name", "text", "message_id"}) {
    EXPECT_FALSE(is_secret_key(key)) << key;
  }
}

TEST(Redaction, JsonValuesUnderSecretKeysAreReplacedAtAnyDepth) {
  const json in = json::parse(R"({
    "headers": {"Authorization": "Bearer abc", "Accept": "text/plain"},
    "tokens_in": 120,
    "password": 123456,
    "nested": [{"api_key": {"id": 1, "value": "v"}}, {"keep": "me"}],
    "enabled_token": true
  })");
  const json out = redact_json(in);
  EXPECT_EQ(out["headers"]["Authorization"], "[redacted]");
  EXPECT_EQ(out["headers"]["Accept"], "text/plain");
  EXPECT_EQ(out["tokens_in"], 120);
  EXPECT_EQ(out["password"], "[redacted]");  // a number can be a PIN
  EXPECT_EQ(out["nested"][0]["api_key"], "[redacted]");
  EXPECT_EQ(out["nested"][1]["keep"], "me");
  EXPECT_EQ(out["enabled_token"], true);
}

TEST(Redaction, BearerAndBasicCredentialsAreReplacedInText) {
  EXPECT_EQ(redact_text("sent with Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig today"),
            "sent with Bearer [redacted] today");
  EXPECT_EQ(redact_text("basic dXNlcjpwYXNzd29yZA=="), "basic [redacted]");
  EXPECT_EQ(redact_text("a bearer of bad news"), "a bearer of bad news");  // too short to be a token
}

TEST(Redaction, OpenAiStyleKeysAreReplacedWherever) {
  EXPECT_EQ(redact_text("key sk-proj-abcdefghijklmnop1234 leaked"), "key sk-[redacted] leaked");
  EXPECT_EQ(redact_text("\"sk-ant-api03-ABCDEFGHIJKLMNOPQRST\""), "\"sk-[redacted]\"");
  EXPECT_EQ(redact_text("task-manager and sk-short"), "task-manager and sk-short");
}

TEST(Redaction, KeyValuePairsInTextAreReplaced) {
  EXPECT_EQ(redact_text("GET /v1/items?access_token=abc123&page=2"), "GET /v1/items?access_token=[redacted]&page=2");
  EXPECT_EQ(redact_text("Authorization: Bearer abcdefghijkl"), "Authorization: [redacted]");
  EXPECT_EQ(redact_text(R"(login failed: {"user": "bob", "password": "hunter2"})"),
            R"(login failed: {"user": "bob", "password": "[redacted]"})");
  EXPECT_EQ(redact_text("password = hunter2, user = bob"), "password = [redacted], user = bob");
  EXPECT_EQ(redact_text("tokens: 42"), "tokens: 42");
}

TEST(Redaction, JsonTextIsRedactedStructurally) {
  EXPECT_EQ(redact_json_text(R"({"q":"vpn","api_key":"abc"})"), R"({"api_key":"[redacted]","q":"vpn"})");
  EXPECT_EQ(redact_json_text("not json: token=abc"), "not json: token=[redacted]");
  EXPECT_EQ(redact_json_text("{broken json, secret: xyz"), "{broken json, secret: [redacted]");
}

TEST(Redaction, RedactingTwiceChangesNothingMore) {
  const std::string text = "Authorization: Bearer abcdefghijkl; sk-abcdefghijklmnopqrstu; password=x";
  const auto once = redact_text(text);
  EXPECT_EQ(redact_text(once), once);
  EXPECT_THAT(once, Not(HasSubstr("abcdefghijkl")));
  EXPECT_THAT(once, Not(HasSubstr("password=x")));
}

}  // namespace
}  // namespace agentrt
