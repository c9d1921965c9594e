// AwsJsonClient against a local HTTP server: the request's shape and signature, error
// translation, retries with backoff, budgets, cancellation and bounded answers.

#include "backends/aws/aws_json_client.hpp"

#include <atomic>
#include <sstream>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "backends/aws/sigv4_signer.hpp"
#include "backends/http/testing/run_coroutine.hpp"
#include "backends/http/testing/test_http_server.hpp"

namespace agentrt {
namespace {

using namespace std::chrono_literals;
using testing::RecordedRequest;
using testing::TestHttpServer;
using testing::TestReply;

constexpr const char* kSecret = "SECRETwJalrXUtnFEMI/K7MDENG";
const auto kNow = std::chrono::system_clock::from_time_t(1'800'000'000);

struct AwsJsonClientTest : ::testing::Test {
  boost::asio::io_context ioc;
  CurlClient http{ioc.get_executor()};
  std::unique_ptr<AwsCredentialsProvider> credentials =
      make_static_credentials(AwsCredentials{"AKIDTEST", kSecret, "", std::nullopt, "test"});

  AwsJsonClientOptions fast_options() {
    AwsJsonClientOptions options;
    options.retry.attempts = 4;
    options.retry.base_delay = 5ms;
    options.retry.max_delay = 20ms;
    options.request_timeout = 2s;
    options.call_timeout = 5s;
    options.jitter_seed = 7;
    return options;
  }

  AwsJsonClient client(const std::string& url, AwsJsonClientOptions options) {
    AwsSettings settings;
    settings.region = "eu-west-1";
    settings.endpoint_override = url;
    return AwsJsonClient(http, *credentials, settings, options, [] { return kNow; });
  }

  AwsCallResult call(AwsJsonClient& c, const std::string& target, nlohmann::json body = nlohmann::json::object()) {
    return testing::run_coroutine(ioc, c.call("dynamodb", target, std::move(body)));
  }
};

TEST_F(AwsJsonClientTest, PostsSignedJsonWithTheTargetAndParsesTheAnswer) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) {
    return TestReply::text(200, R"({"TableNames":["a"]})", "application/x-amz-json-1.0");
  });
  auto c = client(server.url(), fast_options());
  const auto result = call(c, "DynamoDB_20120810.ListTables", {{"Limit", 5}});
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result.value()["TableNames"][0], "a");
  EXPECT_EQ(result.attempts, 1);

  const auto request = server.requests().at(0);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/");
  EXPECT_EQ(request.header("Content-Type"), "application/x-amz-json-1.0");
  EXPECT_EQ(request.header("X-Amz-Target"), "DynamoDB_20120810.ListTables");
  EXPECT_EQ(request.header("X-Amz-Date"), "20270115T080000Z");
  EXPECT_EQ(nlohmann::json::parse(request.body)["Limit"], 5);
  // The server can check the signature: recompute it from what arrived.
  SigV4Request received{"POST", "/", "", {}, request.body};
  for (const char* name : {"Host", "Content-Type", "X-Amz-Target"}) received.headers.emplace_back(name, *request.header(name));
  const auto expected = sigv4_sign(received, AwsCredentials{"AKIDTEST", kSecret, "", std::nullopt, ""},
                                   SigV4Params{"eu-west-1", "dynamodb", kNow, true, false});
  EXPECT_EQ(request.header("Authorization"), expected.authorization);
  EXPECT_NE(request.header("Authorization")->find("Credential=AKIDTEST/20270115/eu-west-1/dynamodb/aws4_request"),
            std::string::npos);
  EXPECT_EQ(request.header("Authorization")->find(kSecret), std::string::npos);
}

TEST_F(AwsJsonClientTest, ConditionalCheckFailureIsConflictWithTheOldItemAndIsNotRetried) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) {
    return TestReply::json(400, R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","Message":"The conditional request failed","Item":{"pk":{"S":"s-1"},"epoch":{"N":"4"}}})");
  });
  auto c = client(server.url(), fast_options());
  const auto result = call(c, "DynamoDB_20120810.PutItem");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, Errc::conflict);
  ASSERT_TRUE(result.detail.item.has_value());
  EXPECT_EQ((*result.detail.item)["epoch"]["N"], "4");
  EXPECT_EQ(server.request_count(), 1U);
}

TEST_F(AwsJsonClientTest, ThrottlingIsRetriedUntilItPasses) {
  TestHttpServer server([](const RecordedRequest&, std::size_t index) {
    if (index < 2) return TestReply::json(400, R"({"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate exceeded"})");
    if (index == 2) return TestReply::text(503, "Service Unavailable");
    return TestReply::json(200, R"({"ok":true})");
  });
  auto c = client(server.url(), fast_options());
  const auto result = call(c, "DynamoDB_20120810.GetItem");
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result.attempts, 4);
  EXPECT_EQ(server.request_count(), 4U);
  // Every attempt is signed afresh (the same body, the same target).
  for (const auto& request : server.requests()) EXPECT_EQ(request.header("X-Amz-Target"), "DynamoDB_20120810.GetItem");
}

TEST_F(AwsJsonClientTest, ThrottlingBeyondTheBudgetIsThrottledWithTheAttemptCount) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) {
    return TestReply::json(400, R"({"__type":"ProvisionedThroughputExceededException","message":"slow down"})");
  });
  auto c = client(server.url(), fast_options());
  const auto result = call(c, "DynamoDB_20120810.GetItem");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, Errc::throttled);
  EXPECT_NE(result.error().message.find("gave up after 4 attempts"), std::string::npos) << result.error().message;
  EXPECT_EQ(server.request_count(), 4U);
}

TEST_F(AwsJsonClientTest, ServerErrorsAreRetriedThenRetryable) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) {
    return TestReply::json(500, R"({"__type":"InternalServerError","message":"boom"})");
  });
  auto c = client(server.url(), fast_options());
  const auto result = call(c, "DynamoDB_20120810.GetItem");
  EXPECT_EQ(result.error().code, Errc::retryable);
  EXPECT_EQ(server.request_count(), 4U);
}

TEST_F(AwsJsonClientTest, ValidationErrorsAreInvalidAtOnceWithTheServersMessage) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) {
    return TestReply::json(400, R"({"__type":"com.amazon.coral.validate#ValidationException","message":"1 validation error detected"})");
  });
  auto c = client(server.url(), fast_options());
  const auto result = call(c, "DynamoDB_20120810.PutItem");
  EXPECT_EQ(result.error().code, Errc::invalid);
  EXPECT_NE(result.error().message.find("1 validation error detected"), std::string::npos);
  EXPECT_EQ(result.detail.type, "ValidationException");
  EXPECT_EQ(server.request_count(), 1U);
}

TEST_F(AwsJsonClientTest, ConnectionRefusedIsRetryableAfterTheBudgetAndWithinTheTimeout) {
  auto c = client("http://127.0.0.1:" + std::to_string(TestHttpServer::unused_port()), fast_options());
  const auto started = std::chrono::steady_clock::now();
  const auto result = call(c, "DynamoDB_20120810.GetItem");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, Errc::retryable);
  EXPECT_EQ(result.attempts, 4);
}

TEST_F(AwsJsonClientTest, ASlowServerTimesOutWithinTheCallTimeout) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) {
    TestReply reply = TestReply::json(200, "{}");
    reply.delay_before = 3s;
    return reply;
  });
  auto options = fast_options();
  options.request_timeout = 200ms;
  options.call_timeout = 700ms;
  auto c = client(server.url(), options);
  const auto started = std::chrono::steady_clock::now();
  const auto result = call(c, "DynamoDB_20120810.GetItem");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1500ms);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, Errc::timeout);
}

// Readiness hears every attempt: no answer (5xx, refused) is unreachable at once, an answer
// (even a refusal) is reachable again; throttling counts only once the call gives up on it.
TEST_F(AwsJsonClientTest, HealthIsToldWhetherEachAttemptGotAnAnswer) {
  DependencyHealth health("store (test)");
  std::vector<bool> reachable_at_request;
  TestHttpServer server([&](const RecordedRequest&, std::size_t index) {
    reachable_at_request.push_back(!health.problem().has_value());
    if (index == 0) return TestReply::text(503, "Service Unavailable");
    if (index == 1) return TestReply::json(400, R"({"__type":"ThrottlingException","message":"Rate exceeded"})");
    if (index == 2) return TestReply::json(200, R"({"ok":true})");
    if (index == 3) return TestReply::json(400, R"({"__type":"ValidationException","message":"bad"})");
    return TestReply::json(400, R"({"__type":"ThrottlingException","message":"Rate exceeded"})");
  });
  auto options = fast_options();
  options.health = &health;
  auto c = client(server.url(), options);
  ASSERT_TRUE(call(c, "DynamoDB_20120810.GetItem").ok());  // 503, throttled, 200
  EXPECT_EQ(reachable_at_request, (std::vector<bool>{true, false, false}));
  EXPECT_EQ(health.problem(), std::nullopt);
  EXPECT_EQ(health.outages(), 1U);
  EXPECT_EQ(call(c, "DynamoDB_20120810.PutItem").error().code, Errc::invalid);  // a refusal is an answer
  EXPECT_EQ(health.problem(), std::nullopt);
  EXPECT_EQ(call(c, "DynamoDB_20120810.GetItem").error().code, Errc::throttled);  // 4 throttled attempts
  ASSERT_TRUE(health.problem().has_value());
  EXPECT_NE(health.problem()->find("store (test) unreachable: throttled"), std::string::npos) << *health.problem();

  DependencyHealth refused("queue (test)");
  auto refused_options = fast_options();
  refused_options.health = &refused;
  auto nowhere = client("http://127.0.0.1:" + std::to_string(TestHttpServer::unused_port()), refused_options);
  EXPECT_FALSE(call(nowhere, "DynamoDB_20120810.GetItem").ok());
  EXPECT_TRUE(refused.problem().has_value());
}

TEST_F(AwsJsonClientTest, AnAnswerLargerThanTheBoundIsAnError) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) {
    return TestReply::json(200, R"({"x":")" + std::string(5000, 'a') + R"("})");
  });
  auto options = fast_options();
  options.response_bytes_max = 1024;
  auto c = client(server.url(), options);
  const auto result = call(c, "DynamoDB_20120810.GetItem");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, Errc::invalid);
  EXPECT_EQ(server.request_count(), 1U);
}

TEST_F(AwsJsonClientTest, CancellationDuringTheBackoffStopsAtOnce) {
  TestHttpServer server([](const RecordedRequest&, std::size_t) {
    return TestReply::json(400, R"({"__type":"ThrottlingException","message":"Rate exceeded"})");
  });
  auto options = fast_options();
  options.retry.attempts = 10;
  options.retry.base_delay = 2s;
  options.retry.max_delay = 2s;
  options.jitter_seed = 1;
  auto c = client(server.url(), options);
  boost::asio::cancellation_signal signal;
  auto done = boost::asio::co_spawn(ioc, testing::as_optional(c.call("dynamodb", "DynamoDB_20120810.GetItem", {})),
                                    boost::asio::bind_cancellation_slot(signal.slot(), boost::asio::use_future));
  boost::asio::steady_timer timer(ioc, 300ms);
  timer.async_wait([&](boost::system::error_code) { signal.emit(boost::asio::cancellation_type::terminal); });
  const auto started = std::chrono::steady_clock::now();
  const auto result = testing::wait_for_future(ioc, done);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1500ms);
  ASSERT_TRUE(result.has_value());
  ASSERT_FALSE(result->ok());
  EXPECT_EQ(result->error().code, Errc::cancelled);
  EXPECT_EQ(server.request_count(), 1U);
}

TEST_F(AwsJsonClientTest, SecretsAppearNeitherInErrorsNorInLogs) {
  const std::string token = "SESSIONTOKENIQoJb3JpZ2luX2VjEJr";
  credentials = make_static_credentials(AwsCredentials{"ASIATEST", kSecret, token, std::nullopt, "test"});
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  auto capture = std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
  capture->set_level(spdlog::level::trace);
  spdlog::set_default_logger(capture);
  TestHttpServer server([](const RecordedRequest&, std::size_t index) {
    if (index == 0) return TestReply::json(400, R"({"__type":"ThrottlingException","message":"Rate exceeded"})");
    return TestReply::json(400, R"({"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."})");
  });
  auto c = client(server.url(), fast_options());
  const auto result = call(c, "DynamoDB_20120810.GetItem");
  spdlog::set_default_logger(previous);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, Errc::invalid);
  EXPECT_NE(log.str().find("retrying"), std::string::npos) << "the retry was logged";
  EXPECT_EQ(server.requests().at(0).header("X-Amz-Security-Token"), token);
  for (const std::string& text : {result.error().message, log.str()}) {
    EXPECT_EQ(text.find(kSecret), std::string::npos) << text;
    EXPECT_EQ(text.find(token), std::string::npos) << text;
  }
}

// Hands out key ASIA<n> where n counts fetches; counts invalidations.
class RotatingCredentials final : public AwsCredentialsProvider {
 public:
  boost::asio::awaitable<Result<AwsCredentials>> credentials() override {
    if (!current_) current_ = AwsCredentials{"ASIA" + std::to_string(++fetches_), kSecret, "token", std::nullopt, "rotating"};
    co_return *current_;
  }
  [[nodiscard]] std::string name() const override { return "rotating"; }
  void invalidate() override {
    ++invalidations_;
    current_.reset();
  }
  int invalidations_ = 0;

 private:
  std::optional<AwsCredentials> current_;
  int fetches_ = 0;
};

TEST_F(AwsJsonClientTest, AnExpiredTokenIsReplacedAndTheCallRetried) {
  auto rotating = std::make_unique<RotatingCredentials>();
  RotatingCredentials& source = *rotating;
  credentials = std::move(rotating);
  TestHttpServer server([](const RecordedRequest&, std::size_t index) {
    if (index == 0) return TestReply::json(400, R"({"__type":"com.amazon.coral.service#ExpiredTokenException","message":"The security token included in the request is expired"})");
    return TestReply::json(200, R"({"Item":{}})");
  });
  auto c = client(server.url(), fast_options());
  const auto result = call(c, "DynamoDB_20120810.GetItem");
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(source.invalidations_, 1);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_NE(requests[0].header("Authorization")->find("Credential=ASIA1/"), std::string::npos);
  EXPECT_NE(requests[1].header("Authorization")->find("Credential=ASIA2/"), std::string::npos);
}

TEST_F(AwsJsonClientTest, FullJitterStaysUnderTheExponentialCeiling) {
  AwsRetryPolicy policy;
  policy.base_delay = 100ms;
  policy.max_delay = 1s;
  EXPECT_EQ(aws_retry_delay(policy, 1, 0.0), 0ms);
  EXPECT_EQ(aws_retry_delay(policy, 1, 0.5), 50ms);
  EXPECT_EQ(aws_retry_delay(policy, 3, 0.5), 200ms);
  EXPECT_EQ(aws_retry_delay(policy, 10, 0.999), 999ms);
}

}  // namespace
}  // namespace agentrt
