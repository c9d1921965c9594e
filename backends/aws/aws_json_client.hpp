#pragma once
// AwsJsonClient: the AWS JSON 1.0 protocol (DynamoDB, SQS) over the shared CurlClient.
//
// call(service, target, body) POSTs `body` as application/x-amz-json-1.0 with X-Amz-Target
// to the service's endpoint (AwsSettings), signed with SigV4 by fresh credentials at every
// attempt. Contract:
// - Runs on the CurlClient's executor; never blocks. The client, the CurlClient and the
//   credentials provider must outlive every call.
// - Errors are translated in aws_errors.cpp only. Throttling, 5xx and connection failures
//   are retried with full-jitter backoff within AwsJsonClientOptions::retry and within
//   call_timeout; the last failure is returned with the number of attempts.
// - Cancellation of the awaiting coroutine (its cancellation slot) aborts the HTTP transfer
//   or the backoff wait at once: Errc::cancelled.
// - Responses larger than response_bytes_max are an error (invalid), never truncated.
// - options.health (optional) hears every attempt: an answer (2xx, or a final error from the
//   service), no answer (transport failure, 5xx), and a call given up while throttled.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "backends/aws/aws_credential_sources.hpp"
#include "backends/aws/aws_errors.hpp"
#include "backends/aws/aws_retry.hpp"
#include "backends/aws/aws_settings.hpp"
#include "backends/http/curl_client.hpp"
#include "backends/http/retry_timing.hpp"
#include "core/runtime/dependency_health.hpp"

namespace agentrt {

struct AwsJsonClientOptions {
  std::chrono::milliseconds request_timeout{10'000};  // one attempt, connect to last byte
  std::chrono::milliseconds call_timeout{30'000};     // every attempt and backoff together
  std::size_t response_bytes_max = 16 * 1024 * 1024;  // DynamoDB's largest answers are 16 MB
  AwsRetryPolicy retry{};
  std::optional<std::uint32_t> jitter_seed;  // tests: reproducible delays
  // Optional (must outlive the client): told whether each attempt got an answer, for readiness.
  DependencyHealth* health = nullptr;
};

// The outcome of one call: the parsed answer, or an Error with what the server said.
struct AwsCallResult {
  Result<nlohmann::json> result = Error{Errc::fatal, "no call made"};
  AwsErrorDetail detail;  // on failure: the server's error type, message, Item, CancellationReasons
  int attempts = 0;

  [[nodiscard]] bool ok() const { return result.ok(); }
  [[nodiscard]] const Error& error() const { return result.error(); }
  [[nodiscard]] const nlohmann::json& value() const { return result.value(); }
};

class AwsJsonClient {
 public:
  AwsJsonClient(CurlClient& http, AwsCredentialsProvider& credentials, AwsSettings settings,
                AwsJsonClientOptions options = {}, AwsWallClock clock = [] { return std::chrono::system_clock::now(); });

  // service: signing name and endpoint key ("dynamodb", "sqs"); target: the X-Amz-Target
  // ("DynamoDB_20120810.PutItem", "AmazonSQS.SendMessage").
  boost::asio::awaitable<AwsCallResult> call(std::string service, std::string target, nlohmann::json body);

  [[nodiscard]] const AwsSettings& settings() const { return settings_; }

 private:
  HttpRequest signed_request(const AwsEndpoint& endpoint, const std::string& service, const std::string& target,
                                     const std::string& payload, const AwsCredentials& credentials,
                                     std::chrono::milliseconds timeout) const;
  void report_health(const AwsFailure& failure, bool may_retry) const;

  CurlClient& http_;
  AwsCredentialsProvider& credentials_;
  AwsSettings settings_;
  AwsJsonClientOptions options_;
  AwsWallClock clock_;
  RetryJitter jitter_;
};

}  // namespace agentrt
