#include "backends/aws/aws_settings.hpp"

#include <cctype>

namespace agentrt {
namespace {

// Services whose endpoint has its own variable: AGENTRT_<NAME>_ENDPOINT.
constexpr std::string_view kServicesWithVariables[] = {"dynamodb", "sqs"};

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

Result<AwsEndpoint> parse_aws_endpoint(std::string_view url) {
  const auto bad = [&](std::string_view why) {
    return Error{Errc::invalid, "AWS endpoint '" + std::string(url.substr(0, 200)) + "': " + std::string(why)};
  };
  std::size_t rest = 0;
  if (url.starts_with("http://")) {
    rest = 7;
  } else if (url.starts_with("https://")) {
    rest = 8;
  } else {
    return bad("must start with http:// or https://");
  }
  const std::size_t slash = url.find('/', rest);
  AwsEndpoint endpoint;
  endpoint.authority = std::string(url.substr(rest, slash == std::string_view::npos ? url.npos : slash - rest));
  endpoint.path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  if (endpoint.authority.empty()) return bad("has no host");
  if (endpoint.authority.find('@') != std::string::npos) return bad("must not carry credentials");
  if (endpoint.path.find_first_of("?#") != std::string::npos) return bad("must not carry a query or fragment");
  for (const char c : endpoint.authority) {
    if (std::isspace(static_cast<unsigned char>(c)) != 0) return bad("has a space in its host");
  }
  endpoint.url = std::string(url.substr(0, rest)) + endpoint.authority + endpoint.path;
  return endpoint;
}

Result<AwsEndpoint> AwsSettings::endpoint_for(std::string_view service) const {
  if (const auto it = service_endpoints.find(std::string(service)); it != service_endpoints.end()) {
    return parse_aws_endpoint(it->second);
  }
  if (!endpoint_override.empty()) return parse_aws_endpoint(endpoint_override);
  return parse_aws_endpoint("https://" + std::string(service) + "." + region + ".amazonaws.com/");
}

Result<AwsSettings> resolve_aws_settings(const AwsEnvLookup& env, const AwsProfile& profile) {
  AwsSettings settings;
  if (auto region = env_value(env, "AWS_REGION")) {
    settings.region = *region;
  } else if (auto default_region = env_value(env, "AWS_DEFAULT_REGION")) {
    settings.region = *default_region;
  } else if (auto from_profile = profile.value("region")) {
    settings.region = *from_profile;
  } else {
    return Error{Errc::invalid, "no AWS region: set AWS_REGION or AWS_DEFAULT_REGION, or `region` in profile '" +
                                    profile.name + "'"};
  }
  if (auto all = env_value(env, "AGENTRT_AWS_ENDPOINT")) {
    if (auto parsed = parse_aws_endpoint(*all); !parsed) return parsed.error().with_context("AGENTRT_AWS_ENDPOINT");
    settings.endpoint_override = *all;
  }
  for (const std::string_view service : kServicesWithVariables) {
    const std::string variable = "AGENTRT_" + upper(service) + "_ENDPOINT";
    if (auto url = env_value(env, variable)) {
      if (auto parsed = parse_aws_endpoint(*url); !parsed) return parsed.error().with_context(variable);
      settings.service_endpoints[std::string(service)] = *url;
    }
  }
  return settings;
}

}  // namespace agentrt
