#include "backends/aws/aws_errors.hpp"

#include <array>

#include "backends/http/text_excerpt.hpp"

namespace agentrt {
namespace {

constexpr std::array<std::string_view, 7> kThrottlingTypes = {
    "ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
    "TooManyRequestsException", "Throttling", "ThrottledException", "RequestThrottled"};
constexpr std::array<std::string_view, 3> kNotFoundTypes = {"ResourceNotFoundException", "QueueDoesNotExist",
                                                            "AWS.SimpleQueueService.NonExistentQueue"};

bool one_of(std::string_view type, const auto& list) {
  for (const auto candidate : list) {
    if (type == candidate) return true;
  }
  return false;
}

// "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException" -> the part after '#'.
std::string short_type(std::string type) {
  const std::size_t hash = type.rfind('#');
  if (hash != std::string::npos) type.erase(0, hash + 1);
  const std::size_t colon = type.find(':');  // x-amzn-ErrorType may carry ":http://..."
  if (colon != std::string::npos) type.erase(colon);
  return type;
}

AwsErrorDetail parse_detail(long http_status, std::string_view body) {
  AwsErrorDetail detail;
  detail.http_status = http_status;
  const auto doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    detail.message = text_excerpt(body, 200);  // a proxy's HTML page, an empty 503
    return detail;
  }
  if (doc.contains("__type") && doc["__type"].is_string()) detail.type = short_type(doc["__type"].get<std::string>());
  for (const char* key : {"message", "Message"}) {
    if (doc.contains(key) && doc[key].is_string()) {
      detail.message = text_excerpt(doc[key].get<std::string>(), 500);
      break;
    }
  }
  if (doc.contains("Item") && doc["Item"].is_object()) detail.item = doc["Item"];
  if (doc.contains("CancellationReasons") && doc["CancellationReasons"].is_array()) {
    detail.cancellation_reasons = doc["CancellationReasons"];
  }
  return detail;
}

}  // namespace

AwsFailure classify_aws_answer(long http_status, std::string_view body, std::string_view what) {
  AwsFailure failure;
  failure.detail = parse_detail(http_status, body);
  const std::string& type = failure.detail.type;
  std::string message = std::string(what) + ": " + (type.empty() ? "HTTP " + std::to_string(http_status) : type);
  if (!failure.detail.message.empty()) message += ": " + failure.detail.message;
  if (!type.empty()) message += " (HTTP " + std::to_string(http_status) + ")";

  Errc code = Errc::invalid;
  if (type == "ConditionalCheckFailedException" || type == "TransactionCanceledException") {
    code = Errc::conflict;
  } else if (one_of(type, kThrottlingTypes) || http_status == 429 || http_status == 503) {
    // 503 without a throttling type is an outage rather than a request to slow down.
    code = one_of(type, kThrottlingTypes) || http_status == 429 ? Errc::throttled : Errc::retryable;
    failure.retry = AwsRetryKind::throttled;
  } else if (http_status >= 500) {
    code = Errc::retryable;
    failure.retry = AwsRetryKind::transient;
  } else if (one_of(type, kNotFoundTypes)) {
    code = Errc::not_found;
  } else if (type == "ExpiredTokenException" || type == "ExpiredToken") {
    failure.retry = AwsRetryKind::expired_credentials;
  }
  failure.error = Error{code, std::move(message)};
  return failure;
}

AwsFailure classify_aws_transport_error(const Error& error, std::string_view what) {
  AwsFailure failure;
  failure.error = error.with_context(what);
  if (error.code == Errc::retryable || error.code == Errc::timeout) failure.retry = AwsRetryKind::transient;
  return failure;
}

}  // namespace agentrt
