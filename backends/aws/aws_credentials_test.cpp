// The credential sources and the default chain, the remote ones against a local HTTP server
// that answers as STS, the container agent and IMDSv2 do.

#include "backends/aws/aws_credential_sources.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "backends/aws/aws_test_support.hpp"
#include "backends/http/testing/run_coroutine.hpp"
#include "backends/http/testing/test_http_server.hpp"

namespace agentrt {
namespace {

using namespace std::chrono_literals;
using testing::env_of;
using testing::RecordedRequest;
using testing::TestHttpServer;
using testing::TestReply;
using testing::write_file;

constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG/SECRETSECRET";
constexpr const char* kSessionToken = "FwoGZXIvYXdzEBESSIONTOKEN";
constexpr const char* kWebToken = "eyJhbGciOiJSUzI1NiJ9.WEBIDENTITYTOKEN";

std::string sts_answer(const std::string& expiration) {
  return "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
         "<AssumeRoleWithWebIdentityResult><Credentials>"
         "<SessionToken>" + std::string(kSessionToken) + "</SessionToken>"
         "<SecretAccessKey>" + kSecret + "</SecretAccessKey>"
         "<Expiration>" + expiration + "</Expiration>"
         "<AccessKeyId>ASIAWEBIDENTITY</AccessKeyId>"
         "</Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>";
}

std::string json_credentials(const std::string& key) {
  return std::string(R"({"Code":"Success","Type":"AWS-HMAC","AccessKeyId":")") + key + R"(","SecretAccessKey":")" +
         kSecret + R"(","Token":")" + kSessionToken + R"(","Expiration":"2099-01-01T00:00:00Z"})";
}

void expect_no_secret(const std::string& text) {
  for (const char* secret : {kSecret, kSessionToken, kWebToken}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << "a secret leaked into: " << text;
  }
}

struct Fixture : ::testing::Test {
  boost::asio::io_context ioc;
  CurlClient http{ioc.get_executor()};
  ScratchDir dir{"aws-credentials"};

  Result<AwsCredentials> get(AwsCredentialsProvider& provider) {
    return testing::run_coroutine(ioc, provider.credentials());
  }
  Result<std::unique_ptr<AwsCredentialsProvider>> chain(std::map<std::string, std::string> vars,
                                                        const AwsProfile& profile = {}) {
    return make_default_credentials_chain(http, env_of(std::move(vars)), profile, "eu-west-1");
  }
};

using AwsCredentialChain = Fixture;

TEST_F(AwsCredentialChain, EnvironmentKeysComeFirst) {
  AwsProfile profile;
  profile.values = {{"aws_access_key_id", "AKIDPROFILE"}, {"aws_secret_access_key", "x"}};
  auto provider = chain({{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", kSecret},
                         {"AWS_SESSION_TOKEN", kSessionToken}}, profile);
  ASSERT_TRUE(provider.ok());
  const auto credentials = get(**provider);
  ASSERT_TRUE(credentials.ok());
  EXPECT_EQ(credentials->access_key_id, "AKIDENV");
  EXPECT_EQ(credentials->secret_access_key, kSecret);
  EXPECT_EQ(credentials->session_token, kSessionToken);
  EXPECT_EQ(credentials->source, "environment");
}

TEST_F(AwsCredentialChain, AHalfSetEnvironmentIsAnErrorWithoutTheSecret) {
  const auto provider = chain({{"AWS_SECRET_ACCESS_KEY", kSecret}});
  ASSERT_FALSE(provider.ok());
  EXPECT_EQ(provider.error().code, Errc::invalid);
  expect_no_secret(provider.error().message);
}

TEST_F(AwsCredentialChain, ProfileKeysAreUsedWhenTheEnvironmentHasNone) {
  AwsProfile profile;
  profile.name = "work";
  profile.values = {{"aws_access_key_id", "AKIDPROFILE"}, {"aws_secret_access_key", kSecret}};
  auto provider = chain({}, profile);
  ASSERT_TRUE(provider.ok());
  const auto credentials = get(**provider);
  ASSERT_TRUE(credentials.ok());
  EXPECT_EQ(credentials->access_key_id, "AKIDPROFILE");
  EXPECT_EQ(credentials->source, "profile work");
}

TEST_F(AwsCredentialChain, WebIdentityAssumesTheRoleWithStsAndTheTokenFromTheFile) {
  TestHttpServer sts([](const RecordedRequest&, std::size_t) {
    return TestReply::text(200, sts_answer("2099-01-01T00:00:00Z"), "text/xml");
  });
  const auto token_file = write_file(dir, "token", std::string(kWebToken) + "\n");
  auto provider = chain({{"AWS_WEB_IDENTITY_TOKEN_FILE", token_file},
                         {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/agentrt"},
                         {"AWS_ROLE_SESSION_NAME", "worker-1"},
                         {"AWS_ENDPOINT_URL_STS", sts.url("/")}});
  ASSERT_TRUE(provider.ok()) << provider.error().message;
  const auto credentials = get(**provider);
  ASSERT_TRUE(credentials.ok()) << credentials.error().message;
  EXPECT_EQ(credentials->access_key_id, "ASIAWEBIDENTITY");
  EXPECT_EQ(credentials->secret_access_key, kSecret);
  EXPECT_EQ(credentials->session_token, kSessionToken);
  ASSERT_TRUE(credentials->expiration.has_value());
  const auto requests = sts.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].method, "POST");
  const std::string& body = requests[0].body;
  EXPECT_NE(body.find("Action=AssumeRoleWithWebIdentity"), std::string::npos);
  EXPECT_NE(body.find("RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fagentrt"), std::string::npos);
  EXPECT_NE(body.find("RoleSessionName=worker-1"), std::string::npos);
  EXPECT_NE(body.find(std::string("WebIdentityToken=") + kWebToken), std::string::npos);
  // Cached: a second call does not go back to STS.
  ASSERT_TRUE(get(**provider).ok());
  EXPECT_EQ(sts.request_count(), 1U);
}

TEST_F(AwsCredentialChain, WebIdentityWithoutARoleIsAnError) {
  const auto provider = chain({{"AWS_WEB_IDENTITY_TOKEN_FILE", "/x"}});
  ASSERT_FALSE(provider.ok());
  EXPECT_NE(provider.error().message.find("AWS_ROLE_ARN"), std::string::npos);
}

TEST_F(AwsCredentialChain, StsRefusalsNameTheCodeButNeverTheToken) {
  TestHttpServer sts([](const RecordedRequest&, std::size_t) {
    return TestReply::text(400,
                           "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code>"
                           "<Message>Token " + std::string(kWebToken) + " is expired</Message></Error></ErrorResponse>",
                           "text/xml");
  });
  const auto token_file = write_file(dir, "token", kWebToken);
  auto provider = chain({{"AWS_WEB_IDENTITY_TOKEN_FILE", token_file}, {"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"},
                         {"AWS_ENDPOINT_URL_STS", sts.url("/")}});
  ASSERT_TRUE(provider.ok());
  const auto credentials = get(**provider);
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.error().code, Errc::invalid);
  EXPECT_NE(credentials.error().message.find("HTTP 400"), std::string::npos);
  EXPECT_NE(credentials.error().message.find("InvalidIdentityToken"), std::string::npos);
  expect_no_secret(credentials.error().message);
}

TEST_F(AwsCredentialChain, AMalformedStsAnswerIsAnErrorWithoutItsContent) {
  TestHttpServer sts([](const RecordedRequest&, std::size_t) {
    return TestReply::text(200, "<Credentials><SecretAccessKey>" + std::string(kSecret) + "</SecretAccessKey></Credentials>",
                           "text/xml");
  });
  const auto token_file = write_file(dir, "token", kWebToken);
  auto provider = chain({{"AWS_WEB_IDENTITY_TOKEN_FILE", token_file}, {"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"},
                         {"AWS_ENDPOINT_URL_STS", sts.url("/")}});
  const auto credentials = get(**provider);
  ASSERT_FALSE(credentials.ok());
  expect_no_secret(credentials.error().message);
}

TEST_F(AwsCredentialChain, ContainerEndpointSendsTheAuthorizationTokenFromItsFile) {
  TestHttpServer agent([](const RecordedRequest& request, std::size_t) {
    if (request.header("Authorization") != "Bearer pod-token") return TestReply::text(401, "no");
    return TestReply::json(200, json_credentials("ASIACONTAINER"));
  });
  const auto token_file = write_file(dir, "auth", "Bearer pod-token\n");
  auto provider = chain({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.url("/v1/credentials")},
                         {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored-when-a-file-is-set"},
                         {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file}});
  ASSERT_TRUE(provider.ok()) << provider.error().message;
  const auto credentials = get(**provider);
  ASSERT_TRUE(credentials.ok()) << credentials.error().message;
  EXPECT_EQ(credentials->access_key_id, "ASIACONTAINER");
  EXPECT_EQ(agent.requests().at(0).target, "/v1/credentials");
}

TEST_F(AwsCredentialChain, ContainerRefusalIsAnErrorWithoutTheToken) {
  TestHttpServer agent([](const RecordedRequest&, std::size_t) { return TestReply::text(403, "forbidden"); });
  auto provider = chain({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.url("/creds")},
                         {"AWS_CONTAINER_AUTHORIZATION_TOKEN", kSessionToken}});
  ASSERT_TRUE(provider.ok());
  const auto credentials = get(**provider);
  ASSERT_FALSE(credentials.ok());
  EXPECT_NE(credentials.error().message.find("HTTP 403"), std::string::npos);
  expect_no_secret(credentials.error().message);
}

TEST_F(AwsCredentialChain, PlainHttpContainerEndpointsOutsideLoopbackAreRefused) {
  const auto provider = chain({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/creds"}});
  ASSERT_FALSE(provider.ok());
  EXPECT_EQ(provider.error().code, Errc::invalid);
}

TEST_F(AwsCredentialChain, ImdsV2GetsATokenThenTheRoleThenItsCredentials) {
  TestHttpServer imds([](const RecordedRequest& request, std::size_t) {
    if (request.method == "PUT" && request.target == "/latest/api/token") {
      if (!request.header("X-aws-ec2-metadata-token-ttl-seconds")) return TestReply::text(400, "ttl");
      return TestReply::text(200, "imds-session");
    }
    if (request.header("X-aws-ec2-metadata-token") != "imds-session") return TestReply::text(401, "token");
    if (request.target == "/latest/meta-data/iam/security-credentials/") return TestReply::text(200, "agentrt-role");
    if (request.target == "/latest/meta-data/iam/security-credentials/agentrt-role") {
      return TestReply::json(200, json_credentials("ASIAIMDS"));
    }
    return TestReply::text(404, "");
  });
  auto provider = chain({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url()}});
  ASSERT_TRUE(provider.ok()) << provider.error().message;
  const auto credentials = get(**provider);
  ASSERT_TRUE(credentials.ok()) << credentials.error().message;
  EXPECT_EQ(credentials->access_key_id, "ASIAIMDS");
  EXPECT_EQ(credentials->source, "IMDS role agentrt-role");
  EXPECT_EQ(imds.request_count(), 3U);
}

TEST_F(AwsCredentialChain, ImdsDisabledAndNothingElseIsAClearError) {
  const auto provider = chain({{"AWS_EC2_METADATA_DISABLED", "true"}});
  ASSERT_FALSE(provider.ok());
  EXPECT_NE(provider.error().message.find("no AWS credentials"), std::string::npos);
}

TEST_F(AwsCredentialChain, ImdsUnreachableFailsQuicklyAsRetryable) {
  ImdsConfig config;
  config.endpoint = "http://127.0.0.1:" + std::to_string(TestHttpServer::unused_port());
  auto provider = make_imds_credentials(http, config);
  const auto credentials = get(*provider);
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.error().code, Errc::retryable);
}

// A provider that counts its calls and hands out credentials expiring `lifetime` after "now".
class CountingProvider final : public AwsCredentialsProvider {
 public:
  CountingProvider(int* calls, std::chrono::system_clock::time_point* now, bool* fail)
      : calls_(calls), now_(now), fail_(fail) {}
  boost::asio::awaitable<Result<AwsCredentials>> credentials() override {
    ++*calls_;
    if (*fail_) co_return Error{Errc::retryable, "source down"};
    AwsCredentials out{"ASIA" + std::to_string(*calls_), "s", "t", *now_ + std::chrono::hours(1), "counting"};
    co_return out;
  }
  [[nodiscard]] std::string name() const override { return "counting"; }

 private:
  int* calls_;
  std::chrono::system_clock::time_point* now_;
  bool* fail_;
};

TEST_F(Fixture, CachedCredentialsAreRefreshedBeforeTheyExpire) {
  int calls = 0;
  bool fail = false;
  auto now = std::chrono::system_clock::time_point{} + std::chrono::hours(1000);
  auto provider = make_caching_credentials(std::make_unique<CountingProvider>(&calls, &now, &fail), [&] { return now; },
                                           std::chrono::minutes(5));
  EXPECT_EQ(get(*provider)->access_key_id, "ASIA1");
  now += std::chrono::minutes(50);  // 10 min left: still served from the cache
  EXPECT_EQ(get(*provider)->access_key_id, "ASIA1");
  now += std::chrono::minutes(6);  // 4 min left: inside the refresh window
  EXPECT_EQ(get(*provider)->access_key_id, "ASIA2");
  EXPECT_EQ(calls, 2);
  provider->invalidate();  // the service said they expired early: fetch anew
  EXPECT_EQ(get(*provider)->access_key_id, "ASIA3");
  EXPECT_EQ(get(*provider)->access_key_id, "ASIA3");
  // A failed refresh keeps serving credentials that are still valid, then fails once they expired.
  fail = true;
  now += std::chrono::minutes(57);
  EXPECT_EQ(get(*provider)->access_key_id, "ASIA3");
  now += std::chrono::minutes(5);
  const auto expired = get(*provider);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code, Errc::retryable);
}

// Takes 50 ms to answer, like a real STS round trip.
class SlowProvider final : public AwsCredentialsProvider {
 public:
  SlowProvider(int* calls, std::chrono::system_clock::time_point* now) : calls_(calls), now_(now) {}
  boost::asio::awaitable<Result<AwsCredentials>> credentials() override {
    const int call = ++*calls_;
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, 50ms);
    co_await timer.async_wait(boost::asio::use_awaitable);
    AwsCredentials out{"ASIA" + std::to_string(call), "s", "t", *now_ + std::chrono::hours(1), "slow"};
    co_return out;
  }
  [[nodiscard]] std::string name() const override { return "slow"; }

 private:
  int* calls_;
  std::chrono::system_clock::time_point* now_;
};

TEST_F(Fixture, WhileOneRefreshRunsOtherCallersKeepTheValidCredentials) {
  int calls = 0;
  auto now = std::chrono::system_clock::time_point{} + std::chrono::hours(1000);
  auto provider = make_caching_credentials(std::make_unique<SlowProvider>(&calls, &now), [&] { return now; },
                                           std::chrono::minutes(5));
  EXPECT_EQ(get(*provider)->access_key_id, "ASIA1");
  now += std::chrono::minutes(57);  // inside the refresh window, still valid
  auto first = boost::asio::co_spawn(ioc, testing::as_optional(provider->credentials()), boost::asio::use_future);
  auto second = boost::asio::co_spawn(ioc, testing::as_optional(provider->credentials()), boost::asio::use_future);
  const auto a = testing::wait_for_future(ioc, first);
  const auto b = testing::wait_for_future(ioc, second);
  EXPECT_EQ(calls, 2) << "one refresh for both callers";
  EXPECT_EQ((*a)->access_key_id, "ASIA2");
  EXPECT_EQ((*b)->access_key_id, "ASIA1");
  EXPECT_EQ(get(*provider)->access_key_id, "ASIA2");
}

}  // namespace
}  // namespace agentrt
