// AwsJsonClient against real servers: Amazon DynamoDB Local and fauxqs (SQS), started by
// tests/aws/with_aws_peers.sh, which exports their endpoints. Without them every test FAILS
// (CI always runs this binary through the wrapper; a skip would hide a broken setup).
// A small proxy in the test injects throttling and outages in front of DynamoDB Local.

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "backends/aws/aws_credential_sources.hpp"
#include "backends/aws/aws_json_client.hpp"
#include "backends/http/testing/run_coroutine.hpp"
#include "backends/http/testing/test_http_server.hpp"
#include "tests/aws/unique_name.hpp"

namespace agentrt {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using testing::RecordedRequest;
using testing::TestHttpServer;
using testing::TestReply;

std::string required_env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

using testing::unique_name;

class AwsIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    dynamodb_ = required_env("AGENTRT_TEST_DYNAMODB_ENDPOINT");
    sqs_ = required_env("AGENTRT_TEST_SQS_ENDPOINT");
    if (dynamodb_.empty() || sqs_.empty()) {
      FAIL() << "AGENTRT_TEST_DYNAMODB_ENDPOINT and AGENTRT_TEST_SQS_ENDPOINT are not set: run this test through "
                "tests/aws/with_aws_peers.sh (ctest -L aws does), which starts DynamoDB Local and fauxqs";
    }
  }

  AwsJsonClientOptions options() {
    AwsJsonClientOptions out;
    out.retry.attempts = 4;
    out.retry.base_delay = 10ms;
    out.retry.max_delay = 50ms;
    out.request_timeout = 10s;
    out.call_timeout = 20s;
    return out;
  }

  AwsJsonClient client(const std::string& dynamodb_url, AwsJsonClientOptions opts) {
    AwsSettings settings;
    settings.region = "us-east-1";
    settings.service_endpoints = {{"dynamodb", dynamodb_url}, {"sqs", sqs_}};
    return AwsJsonClient(http_, *credentials_, settings, opts);
  }
  AwsJsonClient client() { return client(dynamodb_, options()); }

  AwsCallResult call(AwsJsonClient& c, const std::string& service, const std::string& target, json body) {
    return testing::run_coroutine(ioc_, c.call(service, target, std::move(body)));
  }
  AwsCallResult ddb(AwsJsonClient& c, const std::string& operation, json body) {
    return call(c, "dynamodb", "DynamoDB_20120810." + operation, std::move(body));
  }
  AwsCallResult sqs(AwsJsonClient& c, const std::string& operation, json body) {
    return call(c, "sqs", "AmazonSQS." + operation, std::move(body));
  }

  std::string create_table(AwsJsonClient& c) {
    const std::string table = unique_name("sessions");
    const auto created = ddb(c, "CreateTable",
                             {{"TableName", table},
                              {"AttributeDefinitions", json::array({{{"AttributeName", "pk"}, {"AttributeType", "S"}}})},
                              {"KeySchema", json::array({{{"AttributeName", "pk"}, {"KeyType", "HASH"}}})},
                              {"BillingMode", "PAY_PER_REQUEST"}});
    EXPECT_TRUE(created.ok()) << created.error().message;
    return table;
  }

  std::string dynamodb_;
  std::string sqs_;
  boost::asio::io_context ioc_;
  CurlClient http_{ioc_.get_executor()};
  std::unique_ptr<AwsCredentialsProvider> credentials_ =
      make_static_credentials(AwsCredentials{"AKIDLOCAL", "local-secret", "", std::nullopt, "test"});
};

TEST_F(AwsIntegration, CreateTableThenAConditionalPutThatFailsIsConflictWithTheOldItem) {
  auto c = client();
  const std::string table = create_table(c);
  const json item = {{"pk", {{"S", "lease#s-1"}}}, {"epoch", {{"N", "3"}}}};
  const auto first = ddb(c, "PutItem",
                         {{"TableName", table}, {"Item", item}, {"ConditionExpression", "attribute_not_exists(pk)"}});
  ASSERT_TRUE(first.ok()) << first.error().message;

  const json newer = {{"pk", {{"S", "lease#s-1"}}}, {"epoch", {{"N", "4"}}}};
  const auto second = ddb(c, "PutItem",
                          {{"TableName", table},
                           {"Item", newer},
                           {"ConditionExpression", "attribute_not_exists(pk)"},
                           {"ReturnValuesOnConditionCheckFailure", "ALL_OLD"}});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, Errc::conflict) << second.error().message;
  EXPECT_EQ(second.detail.type, "ConditionalCheckFailedException");
  ASSERT_TRUE(second.detail.item.has_value()) << "DynamoDB Local returns the old item with ALL_OLD";
  EXPECT_EQ((*second.detail.item)["epoch"]["N"], "3");
  EXPECT_EQ(second.attempts, 1);
}

TEST_F(AwsIntegration, ABadRequestIsInvalidWithTheServersMessage) {
  auto c = client();
  const std::string table = create_table(c);
  const auto result = ddb(c, "PutItem", {{"TableName", table}, {"Item", {{"other", {{"S", "x"}}}}}});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, Errc::invalid);
  EXPECT_EQ(result.detail.type, "ValidationException");
  EXPECT_FALSE(result.detail.message.empty());
  EXPECT_NE(result.error().message.find(result.detail.message), std::string::npos);
  EXPECT_NE(result.error().message.find("PutItem"), std::string::npos);
}

TEST_F(AwsIntegration, AMissingTableIsNotFound) {
  auto c = client();
  const auto result = ddb(c, "GetItem", {{"TableName", unique_name("missing")}, {"Key", {{"pk", {{"S", "x"}}}}}});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, Errc::not_found) << result.error().message;
}

TEST_F(AwsIntegration, TransactWriteWithAFailingConditionCheckReturnsTheReasons) {
  auto c = client();
  const std::string table = create_table(c);
  ASSERT_TRUE(ddb(c, "PutItem", {{"TableName", table}, {"Item", {{"pk", {{"S", "lease#s-2"}}}, {"epoch", {{"N", "5"}}}}}}).ok());
  const json actions = json::array(
      {{{"ConditionCheck",
         {{"TableName", table},
          {"Key", {{"pk", {{"S", "lease#s-2"}}}}},
          {"ConditionExpression", "epoch = :mine"},
          {"ExpressionAttributeValues", {{":mine", {{"N", "4"}}}}}}}},
       {{"Put", {{"TableName", table}, {"Item", {{"pk", {{"S", "history#s-2#1"}}}, {"body", {{"S", "event"}}}}}}}}});
  const auto result = ddb(c, "TransactWriteItems", {{"TransactItems", actions}});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, Errc::conflict) << result.error().message;
  ASSERT_TRUE(result.detail.cancellation_reasons.has_value());
  ASSERT_EQ(result.detail.cancellation_reasons->size(), 2U);
  EXPECT_EQ((*result.detail.cancellation_reasons)[0]["Code"], "ConditionalCheckFailed");
  EXPECT_EQ((*result.detail.cancellation_reasons)[1]["Code"], "None");
  // Nothing of the transaction was written.
  const auto history = ddb(c, "GetItem", {{"TableName", table}, {"Key", {{"pk", {{"S", "history#s-2#1"}}}}}});
  ASSERT_TRUE(history.ok());
  EXPECT_FALSE(history.value().contains("Item"));
}

TEST_F(AwsIntegration, FifoQueueDeduplicatesAndLongPollingDelivers) {
  auto c = client();
  const std::string name = unique_name("inbox") + ".fifo";
  const auto created = sqs(c, "CreateQueue", {{"QueueName", name}, {"Attributes", {{"FifoQueue", "true"}}}});
  ASSERT_TRUE(created.ok()) << created.error().message;
  const std::string url = created.value()["QueueUrl"];

  const json message = {{"QueueUrl", url},
                        {"MessageBody", "hello"},
                        {"MessageGroupId", "s-1"},
                        {"MessageDeduplicationId", "m-1"}};
  const auto sent = sqs(c, "SendMessage", message);
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  const auto duplicate = sqs(c, "SendMessage", message);
  ASSERT_TRUE(duplicate.ok()) << duplicate.error().message;
  EXPECT_EQ(duplicate.value()["MessageId"], sent.value()["MessageId"]) << "a duplicate returns the original id";

  const json receive = {{"QueueUrl", url}, {"MaxNumberOfMessages", 10}, {"WaitTimeSeconds", 1}};
  const auto received = sqs(c, "ReceiveMessage", receive);
  ASSERT_TRUE(received.ok()) << received.error().message;
  ASSERT_EQ(received.value()["Messages"].size(), 1U) << received.value().dump();
  EXPECT_EQ(received.value()["Messages"][0]["Body"], "hello");
  const std::string handle = received.value()["Messages"][0]["ReceiptHandle"];
  ASSERT_TRUE(sqs(c, "DeleteMessage", {{"QueueUrl", url}, {"ReceiptHandle", handle}}).ok());

  // Empty queue: the long poll waits for WaitTimeSeconds, then answers with no message.
  const auto started = std::chrono::steady_clock::now();
  const auto empty = sqs(c, "ReceiveMessage", receive);
  ASSERT_TRUE(empty.ok()) << empty.error().message;
  EXPECT_GE(std::chrono::steady_clock::now() - started, 800ms);
  EXPECT_TRUE(!empty.value().contains("Messages") || empty.value()["Messages"].empty());
}

TEST_F(AwsIntegration, AMissingQueueIsNotFound) {
  auto c = client();
  const auto result = sqs(c, "SendMessage", {{"QueueUrl", sqs_ + "/000000000000/" + unique_name("nope")},
                                             {"MessageBody", "x"}});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, Errc::not_found) << result.error().message;
}

// Answers `failure` to the first `failures` requests, then forwards to `upstream` (on the
// server's own thread, with its own client: blocking there is fine, it is not the client's loop).
class FaultyProxy {
 public:
  FaultyProxy(std::string upstream, std::size_t failures, TestReply failure)
      : upstream_(std::move(upstream)),
        server_([this, failures, failure](const RecordedRequest& request, std::size_t index) {
          if (index < failures) return failure;
          return forward(request);
        }) {}

  [[nodiscard]] std::string url() const { return server_.url(); }
  [[nodiscard]] std::size_t requests() const { return server_.request_count(); }

 private:
  TestReply forward(const RecordedRequest& request) {
    HttpRequest out;
    out.method = request.method;
    out.url = upstream_ + request.target;
    for (const auto& [name, value] : request.headers) {
      if (!header_name_equals(name, "Content-Length")) out.headers.emplace_back(name, value);
    }
    out.body = request.body;
    const auto response = testing::run_coroutine(ioc_, http_.request(out));
    if (!response.ok()) return TestReply::text(502, response.error().message);
    return TestReply::text(static_cast<int>(response->status), response->body,
                           response->header("Content-Type").value_or("application/x-amz-json-1.0"));
  }

  std::string upstream_;
  boost::asio::io_context ioc_;
  CurlClient http_{ioc_.get_executor()};
  TestHttpServer server_;
};

TEST_F(AwsIntegration, ThrottlingThroughAProxyIsRetriedUntilTheServerAnswers) {
  FaultyProxy proxy(dynamodb_, 3,
                    TestReply::json(400, R"({"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."})"));
  auto c = client(proxy.url(), options());
  const auto result = ddb(c, "ListTables", json::object());
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_TRUE(result.value().contains("TableNames"));
  EXPECT_EQ(result.attempts, 4);
  EXPECT_EQ(proxy.requests(), 4U);
}

TEST_F(AwsIntegration, AnOutageLongerThanTheBudgetFailsWithAClearError) {
  FaultyProxy proxy(dynamodb_, 100, TestReply::text(503, "Service Unavailable"));
  auto c = client(proxy.url(), options());
  const auto result = ddb(c, "ListTables", json::object());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, Errc::retryable);
  EXPECT_NE(result.error().message.find("HTTP 503"), std::string::npos) << result.error().message;
  EXPECT_NE(result.error().message.find("gave up after 4 attempts"), std::string::npos) << result.error().message;
  EXPECT_EQ(proxy.requests(), 4U);
}

TEST_F(AwsIntegration, AServerThatIsDownIsRetryableAfterTheBudgetWithinTheTimeout) {
  auto opts = options();
  opts.call_timeout = 3s;
  auto c = client("http://127.0.0.1:" + std::to_string(TestHttpServer::unused_port()), opts);
  const auto started = std::chrono::steady_clock::now();
  const auto result = ddb(c, "ListTables", json::object());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, Errc::retryable) << result.error().message;
  EXPECT_EQ(result.attempts, 4);
}

}  // namespace
}  // namespace agentrt
