#pragma once
// The credential sources and the default chain. Every remote source speaks HTTP through the
// project's CurlClient (asynchronous, cancellable); it must outlive the providers.
//
// Default chain (make_default_credentials_chain): the first *configured* source is used, in
// this order, so a worker never guesses between two identities:
//   1. environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY [+ AWS_SESSION_TOKEN];
//   2. web identity (EKS IRSA): AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN
//      [+ AWS_ROLE_SESSION_NAME] -> STS AssumeRoleWithWebIdentity (endpoint
//      AWS_ENDPOINT_URL_STS, else https://sts.<region>.amazonaws.com/);
//   3. the profile's aws_access_key_id / aws_secret_access_key [/ aws_session_token];
//   4. container endpoint (ECS, EKS Pod Identity): AWS_CONTAINER_CREDENTIALS_FULL_URI, or
//      http://169.254.170.2 + AWS_CONTAINER_CREDENTIALS_RELATIVE_URI; Authorization from
//      AWS_CONTAINER_AUTHORIZATION_TOKEN or the file AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE;
//   5. instance metadata (IMDSv2: PUT a token, GET the role, GET its credentials), endpoint
//      AWS_EC2_METADATA_SERVICE_ENDPOINT (default http://169.254.169.254), unless
//      AWS_EC2_METADATA_DISABLED=true.
// Temporary credentials (2, 4, 5) are cached and refreshed `refresh_before` ahead of expiry.

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "backends/aws/aws_credentials.hpp"
#include "backends/aws/aws_env.hpp"
#include "backends/aws/aws_profile_files.hpp"
#include "backends/http/curl_client.hpp"

namespace agentrt {

using AwsWallClock = std::function<std::chrono::system_clock::time_point()>;

struct WebIdentityConfig {
  std::string token_file;    // re-read at every refresh: the platform rotates it
  std::string role_arn;
  std::string session_name = "agentrt";
  std::string sts_endpoint;  // full URL, e.g. https://sts.eu-west-1.amazonaws.com/
  std::chrono::milliseconds timeout{5'000};
};

struct ContainerCredentialsConfig {
  std::string url;
  std::string authorization_token;       // sent as Authorization when set
  std::string authorization_token_file;  // read at every fetch when set (wins over the token)
  std::chrono::milliseconds timeout{2'000};
};

struct ImdsConfig {
  std::string endpoint = "http://169.254.169.254";
  std::chrono::milliseconds timeout{1'000};  // short: off EC2 nothing answers
};

[[nodiscard]] std::unique_ptr<AwsCredentialsProvider> make_static_credentials(AwsCredentials credentials);
[[nodiscard]] std::unique_ptr<AwsCredentialsProvider> make_web_identity_credentials(CurlClient& http,
                                                                                    WebIdentityConfig config);
[[nodiscard]] std::unique_ptr<AwsCredentialsProvider> make_container_credentials(CurlClient& http,
                                                                                 ContainerCredentialsConfig config);
[[nodiscard]] std::unique_ptr<AwsCredentialsProvider> make_imds_credentials(CurlClient& http, ImdsConfig config);

// Serves the inner provider's credentials until `refresh_before` ahead of their expiry. When
// a refresh fails while the cached ones are still valid, those are served (and the refresh is
// tried again on the next call).
[[nodiscard]] std::unique_ptr<AwsCredentialsProvider> make_caching_credentials(
    std::unique_ptr<AwsCredentialsProvider> inner, AwsWallClock clock,
    std::chrono::seconds refresh_before = std::chrono::minutes(5));

[[nodiscard]] Result<std::unique_ptr<AwsCredentialsProvider>> make_default_credentials_chain(
    CurlClient& http, const AwsEnvLookup& env, const AwsProfile& profile, const std::string& region,
    AwsWallClock clock = [] { return std::chrono::system_clock::now(); });

}  // namespace agentrt
