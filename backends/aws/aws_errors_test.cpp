#include "backends/aws/aws_errors.hpp"

#include <gtest/gtest.h>

namespace agentrt {
namespace {

constexpr std::string_view kWhat = "dynamodb DynamoDB_20120810.PutItem";

TEST(AwsErrors, ConditionalCheckFailedIsConflictAndKeepsTheOldItem) {
  const auto failure = classify_aws_answer(
      400,
      R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","Message":"The conditional request failed","Item":{"pk":{"S":"a"}}})",
      kWhat);
  EXPECT_EQ(failure.error.code, Errc::conflict);
  EXPECT_EQ(failure.retry, AwsRetryKind::none);
  EXPECT_EQ(failure.detail.type, "ConditionalCheckFailedException");
  ASSERT_TRUE(failure.detail.item.has_value());
  EXPECT_EQ((*failure.detail.item)["pk"]["S"], "a");
  EXPECT_NE(failure.error.message.find("The conditional request failed"), std::string::npos);
  EXPECT_NE(failure.error.message.find("PutItem"), std::string::npos);
}

TEST(AwsErrors, TransactionCanceledIsConflictWithTheReasons) {
  const auto failure = classify_aws_answer(
      400,
      R"({"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","CancellationReasons":[{"Code":"ConditionalCheckFailed","Message":"The conditional request failed."},{"Code":"None"}],"Message":"Transaction cancelled"})",
      kWhat);
  EXPECT_EQ(failure.error.code, Errc::conflict);
  ASSERT_TRUE(failure.detail.cancellation_reasons.has_value());
  ASSERT_EQ(failure.detail.cancellation_reasons->size(), 2U);
  EXPECT_EQ((*failure.detail.cancellation_reasons)[0]["Code"], "ConditionalCheckFailed");
}

TEST(AwsErrors, ThrottlingTypesAndStatusesAreRetriedAsThrottled) {
  for (const char* type : {"ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
                           "TooManyRequestsException"}) {
    const auto failure =
        classify_aws_answer(400, std::string(R"({"__type":"com.amazonaws.dynamodb.v20120810#)") + type + R"("})", kWhat);
    EXPECT_EQ(failure.error.code, Errc::throttled) << type;
    EXPECT_EQ(failure.retry, AwsRetryKind::throttled) << type;
  }
  EXPECT_EQ(classify_aws_answer(429, "", kWhat).error.code, Errc::throttled);
  const auto unavailable = classify_aws_answer(503, "<html>down</html>", kWhat);
  EXPECT_EQ(unavailable.retry, AwsRetryKind::throttled);
  EXPECT_EQ(unavailable.error.code, Errc::retryable);
  EXPECT_NE(unavailable.error.message.find("HTTP 503"), std::string::npos);
}

TEST(AwsErrors, OtherServerErrorsAreTransient) {
  const auto failure = classify_aws_answer(500, R"({"__type":"InternalServerError","message":"oops"})", kWhat);
  EXPECT_EQ(failure.error.code, Errc::retryable);
  EXPECT_EQ(failure.retry, AwsRetryKind::transient);
}

TEST(AwsErrors, ValidationIsInvalidWithTheServersMessageInEitherCase) {
  const auto lower = classify_aws_answer(
      400, R"({"__type":"com.amazon.coral.validate#ValidationException","message":"One or more parameter values were invalid"})",
      kWhat);
  EXPECT_EQ(lower.error.code, Errc::invalid);
  EXPECT_EQ(lower.retry, AwsRetryKind::none);
  EXPECT_NE(lower.error.message.find("One or more parameter values were invalid"), std::string::npos);
  const auto upper = classify_aws_answer(400, R"({"__type":"ValidationException","Message":"Bad key"})", kWhat);
  EXPECT_NE(upper.error.message.find("Bad key"), std::string::npos);
  EXPECT_EQ(upper.detail.message, "Bad key");
}

TEST(AwsErrors, MissingTablesAndQueuesAreNotFound) {
  EXPECT_EQ(classify_aws_answer(400, R"({"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","Message":"Cannot do operations on a non-existent table"})", kWhat).error.code,
            Errc::not_found);
  EXPECT_EQ(classify_aws_answer(400, R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."})", "sqs AmazonSQS.SendMessage").error.code,
            Errc::not_found);
}

TEST(AwsErrors, ExpiredTokensAskForFreshCredentials) {
  const auto failure = classify_aws_answer(400, R"({"__type":"com.amazon.coral.service#ExpiredTokenException","message":"The security token included in the request is expired"})", kWhat);
  EXPECT_EQ(failure.retry, AwsRetryKind::expired_credentials);
  EXPECT_EQ(failure.error.code, Errc::invalid);
}

TEST(AwsErrors, ABodyThatIsNotJsonStillGivesAnError) {
  const auto failure = classify_aws_answer(403, "Forbidden", kWhat);
  EXPECT_EQ(failure.error.code, Errc::invalid);
  EXPECT_NE(failure.error.message.find("HTTP 403"), std::string::npos);
}

TEST(AwsErrors, TransportFailuresAreTransientExceptBadRequests) {
  EXPECT_EQ(classify_aws_transport_error(Error{Errc::retryable, "connection refused"}, kWhat).retry, AwsRetryKind::transient);
  EXPECT_EQ(classify_aws_transport_error(Error{Errc::timeout, "timed out"}, kWhat).retry, AwsRetryKind::transient);
  const auto too_big = classify_aws_transport_error(Error{Errc::invalid, "response exceeds 10 bytes"}, kWhat);
  EXPECT_EQ(too_big.retry, AwsRetryKind::none);
  EXPECT_EQ(too_big.error.code, Errc::invalid);
}

}  // namespace
}  // namespace agentrt
