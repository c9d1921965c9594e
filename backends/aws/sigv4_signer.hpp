#pragma once
// AWS Signature Version 4 for HTTP headers (Authorization), written from the public
// specification and checked against the official test suite (testdata/aws-sigv4/).
//
// The signer is pure: the time comes in, nothing is read from the environment or the clock.
// Every intermediate (canonical request, string to sign) is returned so tests can compare
// them byte for byte.

#include <chrono>
#include <string>
#include <string_view>

#include "backends/aws/aws_credentials.hpp"
#include "backends/http/http_types.hpp"

namespace agentrt {

struct SigV4Request {
  std::string method;   // "GET", "POST"
  std::string path;     // as sent on the wire ("/", "/a/b"), without the query
  std::string query;    // without '?': "a=1&b=2" (may be empty)
  HttpHeaders headers;  // must include Host
  std::string body;
};

struct SigV4Params {
  std::string region;
  std::string service;                              // signing name: "dynamodb", "sqs", "sts"
  std::chrono::system_clock::time_point time;       // X-Amz-Date
  bool normalize_path = true;                       // remove "." / ".." segments (every service but S3)
  bool add_content_sha256_header = false;           // send and sign x-amz-content-sha256
};

struct SigV4Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;        // lowercase hex
  std::string authorization;    // the Authorization header's value
  HttpHeaders headers_to_add;   // X-Amz-Date, X-Amz-Security-Token, x-amz-content-sha256, Authorization
};

// Signs `request` (whose headers must not yet carry the added ones).
[[nodiscard]] SigV4Signature sigv4_sign(const SigV4Request& request, const AwsCredentials& credentials,
                                        const SigV4Params& params);

// "20150830T123600Z" for a time point (UTC).
[[nodiscard]] std::string amz_date(std::chrono::system_clock::time_point time);

}  // namespace agentrt
