#pragma once
// The one place where DynamoDB outcomes become the ports' errors (beyond what aws_errors.cpp
// already classifies): which action of a cancelled transaction failed, and the messages for
// not_found / fenced / conflict. A cancelled TransactWriteItems only says which condition
// failed; the callers re-read the session item to tell fenced (epoch) from conflict (seq).

#include <cstddef>
#include <optional>
#include <string>

#include "backends/aws/aws_json_client.hpp"
#include "core/model/error.hpp"
#include "core/model/ids.hpp"

namespace agentrt::dynamodb {

// True when action `index` of a cancelled transaction failed its ConditionExpression.
[[nodiscard]] bool cancelled_by_condition(const AwsCallResult& result, std::size_t index);
// The first action whose condition failed, if the transaction was cancelled by conditions.
[[nodiscard]] std::optional<std::size_t> failed_condition(const AwsCallResult& result);
// A cancellation for contention only (TransactionConflict: another transaction on an item).
[[nodiscard]] bool cancelled_by_contention(const AwsCallResult& result);

[[nodiscard]] Error no_such_session(const std::string& what);
[[nodiscard]] Error fenced_epoch(const std::string& what, LeaseEpoch mine, LeaseEpoch current);

}  // namespace agentrt::dynamodb
