#pragma once
// The one place where AWS answers and transport failures become Errc (README has the table).
//
//   ConditionalCheckFailedException         -> conflict (the old Item kept in the detail)
//   TransactionCanceledException            -> conflict (CancellationReasons in the detail)
//   ThrottlingException, ProvisionedThroughputExceededException, RequestLimitExceeded,
//   TooManyRequestsException, HTTP 429      -> retried; then throttled
//   HTTP 503 (ServiceUnavailable)           -> retried; then retryable
//   other 5xx, connection failures          -> retried; then retryable (timeout: timeout)
//   ResourceNotFoundException, QueueDoesNotExist -> not_found
//   ExpiredToken(Exception)                 -> credentials fetched anew, retried; then invalid
//   ValidationException, other 4xx          -> invalid, with the server's message
// Messages name the service, the operation and the server's error type; never a header.

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/model/error.hpp"

namespace agentrt {

struct AwsErrorDetail {
  std::string type;      // "ConditionalCheckFailedException" (any "namespace#" prefix removed)
  std::string message;   // the server's `message` or `Message`
  long http_status = 0;  // 0: no answer (connection failure)
  std::optional<nlohmann::json> item;                  // ConditionalCheckFailed with ALL_OLD
  std::optional<nlohmann::json> cancellation_reasons;  // TransactionCanceled: one entry per action
};

enum class AwsRetryKind {
  none,       // final: not retried
  throttled,  // the service asked us to slow down
  transient,  // 5xx, timeout, connection failure
  expired_credentials,  // ExpiredToken(Exception): fetch credentials anew, then retry
};

struct AwsFailure {
  Error error;
  AwsRetryKind retry = AwsRetryKind::none;
  AwsErrorDetail detail;
};

// A non-2xx answer. `what` is "dynamodb DynamoDB_20120810.PutItem".
[[nodiscard]] AwsFailure classify_aws_answer(long http_status, std::string_view body, std::string_view what);
// CurlClient's Error (no complete answer).
[[nodiscard]] AwsFailure classify_aws_transport_error(const Error& error, std::string_view what);

}  // namespace agentrt
