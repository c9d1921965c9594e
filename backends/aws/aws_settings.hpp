#pragma once
// Where to send AWS requests: the region and each service's endpoint, from the environment
// (read through an injected lookup, like serve's EnvLookup) and the shared profile files.
//
// Region: AWS_REGION, then AWS_DEFAULT_REGION, then the profile's `region`.
// Endpoint of a service: AGENTRT_<SERVICE>_ENDPOINT (AGENTRT_DYNAMODB_ENDPOINT,
// AGENTRT_SQS_ENDPOINT), then AGENTRT_AWS_ENDPOINT (one URL for every service, for local
// servers), then https://<service>.<region>.amazonaws.com.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "backends/aws/aws_profile_files.hpp"
#include "core/model/error.hpp"

namespace agentrt {

// An endpoint URL taken apart: what the signer and the request need.
struct AwsEndpoint {
  std::string url;        // "http://127.0.0.1:8000/" (always ends with the path)
  std::string authority;  // "127.0.0.1:8000": the Host header, signed
  std::string path;       // "/"
};

// Accepts http:// and https:// URLs without credentials, query or fragment.
[[nodiscard]] Result<AwsEndpoint> parse_aws_endpoint(std::string_view url);

struct AwsSettings {
  std::string region;                                  // required
  std::string endpoint_override;                       // AGENTRT_AWS_ENDPOINT; empty: none
  std::map<std::string, std::string> service_endpoints;  // signing name ("dynamodb") -> URL

  [[nodiscard]] Result<AwsEndpoint> endpoint_for(std::string_view service) const;
};

// Reads the region and endpoint overrides. Errc::invalid without a region.
[[nodiscard]] Result<AwsSettings> resolve_aws_settings(const AwsEnvLookup& env, const AwsProfile& profile);

}  // namespace agentrt
