#include "backends/dynamodb/dynamodb_errors.hpp"

namespace agentrt::dynamodb {
namespace {

std::string reason_code(const AwsCallResult& result, std::size_t index) {
  if (result.ok() || !result.detail.cancellation_reasons) return {};
  const auto& reasons = *result.detail.cancellation_reasons;
  if (!reasons.is_array() || index >= reasons.size()) return {};
  return reasons[index].value("Code", std::string{});
}

}  // namespace

bool cancelled_by_condition(const AwsCallResult& result, std::size_t index) {
  return reason_code(result, index) == "ConditionalCheckFailed";
}

std::optional<std::size_t> failed_condition(const AwsCallResult& result) {
  if (result.ok() || !result.detail.cancellation_reasons || !result.detail.cancellation_reasons->is_array()) {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < result.detail.cancellation_reasons->size(); ++i) {
    if (cancelled_by_condition(result, i)) return i;
  }
  return std::nullopt;
}

bool cancelled_by_contention(const AwsCallResult& result) {
  if (result.ok() || !result.detail.cancellation_reasons || !result.detail.cancellation_reasons->is_array()) {
    return false;
  }
  bool contention = false;
  for (std::size_t i = 0; i < result.detail.cancellation_reasons->size(); ++i) {
    const auto code = reason_code(result, i);
    if (code == "ConditionalCheckFailed") return false;
    if (code == "TransactionConflict") contention = true;
  }
  return contention;
}

Error no_such_session(const std::string& what) { return Error{Errc::not_found, what + ": no such session"}; }

Error fenced_epoch(const std::string& what, LeaseEpoch mine, LeaseEpoch current) {
  return Error{Errc::fenced, what + ": fenced (epoch " + std::to_string(mine.value) + ", current " +
                                 std::to_string(current.value) + ")"};
}

}  // namespace agentrt::dynamodb
