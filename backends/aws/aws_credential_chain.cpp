// The default chain: the first configured source wins (order in aws_credential_sources.hpp).

#include <utility>

#include "backends/aws/aws_credential_sources.hpp"
#include "backends/aws/aws_settings.hpp"

namespace agentrt {
namespace {

constexpr std::string_view kEcsHost = "169.254.170.2";

// Plain-HTTP container endpoints are only trusted on the link-local agents and loopback,
// as the SDKs do: a token must not travel in clear to anywhere else.
Result<void> check_container_url(const std::string& url) {
  auto endpoint = parse_aws_endpoint(url);
  if (!endpoint) return endpoint.error().with_context("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  if (url.starts_with("https://")) return ok_result();
  std::string host = endpoint->authority;
  if (host.starts_with("[")) {
    host = host.substr(0, host.find(']') + 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  if (host == "127.0.0.1" || host == "localhost" || host == "[::1]" || host == kEcsHost || host == "169.254.170.23") {
    return ok_result();
  }
  return Error{Errc::invalid, "AWS_CONTAINER_CREDENTIALS_FULL_URI: plain http is only allowed to loopback or the ECS/EKS agent"};
}

std::optional<AwsCredentials> environment_keys(const AwsEnvLookup& env) {
  auto key = env_value(env, "AWS_ACCESS_KEY_ID");
  auto secret = env_value(env, "AWS_SECRET_ACCESS_KEY");
  if (!key || !secret) return std::nullopt;
  return AwsCredentials{*key, *secret, env_value(env, "AWS_SESSION_TOKEN").value_or(""), std::nullopt, "environment"};
}

std::optional<AwsCredentials> profile_keys(const AwsProfile& profile) {
  auto key = profile.value("aws_access_key_id");
  auto secret = profile.value("aws_secret_access_key");
  if (!key || !secret) return std::nullopt;
  return AwsCredentials{*key, *secret, profile.value("aws_session_token").value_or(""), std::nullopt,
                        "profile " + profile.name};
}

Result<std::unique_ptr<AwsCredentialsProvider>> container_source(CurlClient& http, const AwsEnvLookup& env) {
  ContainerCredentialsConfig config;
  if (auto full = env_value(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
    if (auto checked = check_container_url(*full); !checked) return checked.error();
    config.url = *full;
  } else {
    config.url = "http://" + std::string(kEcsHost) + *env_value(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  }
  config.authorization_token = env_value(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN").value_or("");
  config.authorization_token_file = env_value(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE").value_or("");
  return make_container_credentials(http, std::move(config));
}

}  // namespace

Result<std::unique_ptr<AwsCredentialsProvider>> make_default_credentials_chain(CurlClient& http, const AwsEnvLookup& env,
                                                                               const AwsProfile& profile,
                                                                               const std::string& region,
                                                                               AwsWallClock clock) {
  if (auto keys = environment_keys(env)) return make_static_credentials(std::move(*keys));
  if (env_value(env, "AWS_ACCESS_KEY_ID") || env_value(env, "AWS_SECRET_ACCESS_KEY")) {
    return Error{Errc::invalid, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together"};
  }
  if (auto token_file = env_value(env, "AWS_WEB_IDENTITY_TOKEN_FILE")) {
    auto role = env_value(env, "AWS_ROLE_ARN");
    if (!role) return Error{Errc::invalid, "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not"};
    WebIdentityConfig config;
    config.token_file = *token_file;
    config.role_arn = *role;
    config.session_name = env_value(env, "AWS_ROLE_SESSION_NAME").value_or("agentrt");
    config.sts_endpoint = env_value(env, "AWS_ENDPOINT_URL_STS").value_or("https://sts." + region + ".amazonaws.com/");
    if (auto parsed = parse_aws_endpoint(config.sts_endpoint); !parsed) return parsed.error().with_context("STS endpoint");
    return make_caching_credentials(make_web_identity_credentials(http, std::move(config)), std::move(clock));
  }
  if (auto keys = profile_keys(profile)) return make_static_credentials(std::move(*keys));
  if (env_value(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI") || env_value(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
    auto container = container_source(http, env);
    if (!container) return container.error();
    return make_caching_credentials(std::move(container).value(), std::move(clock));
  }
  const auto disabled = env_value(env, "AWS_EC2_METADATA_DISABLED");
  if (disabled && (*disabled == "true" || *disabled == "TRUE" || *disabled == "1")) {
    return Error{Errc::invalid,
                 "no AWS credentials: none in the environment, no web identity, none in profile '" + profile.name +
                     "', no container endpoint, and AWS_EC2_METADATA_DISABLED is set"};
  }
  ImdsConfig imds;
  if (auto endpoint = env_value(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT")) {
    if (auto parsed = parse_aws_endpoint(*endpoint); !parsed) {
      return parsed.error().with_context("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    }
    imds.endpoint = *endpoint;
  }
  return make_caching_credentials(make_imds_credentials(http, std::move(imds)), std::move(clock));
}

}  // namespace agentrt
