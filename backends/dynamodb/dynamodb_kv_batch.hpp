#pragma once
// BatchGetItem and BatchWriteItem for any number of items: split into DynamoDB's chunks (100
// keys per BatchGetItem, 25 writes per BatchWriteItem), and whatever DynamoDB leaves in
// UnprocessedKeys / UnprocessedItems (throttling, the 16 MB answer cap) sent again with
// exponential backoff and jitter until it is done or `unprocessed_deadline` has passed
// (then Errc::throttled, retryable). A failed call (the JSON client's own retries spent) ends
// the batch with its error: a write batch may then be partly applied (KvStore's contract).
//
// The DynamoDB call comes in as a function, so tests answer with fake UnprocessedKeys.
// Runs on the executor of its caller (the connection's thread for the KV store).

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "backends/aws/aws_json_client.hpp"
#include "core/model/error.hpp"

namespace agentrt::dynamodb {

inline constexpr std::size_t kBatchGetKeysMax = 100;   // DynamoDB's limit per BatchGetItem
inline constexpr std::size_t kBatchWriteItemsMax = 25;  // DynamoDB's limit per BatchWriteItem

struct KvBatchOptions {
  std::chrono::milliseconds retry_delay_base{25};      // before the first resend; doubles after each
  std::chrono::milliseconds retry_delay_max{1'000};    // cap of one wait
  std::chrono::milliseconds unprocessed_deadline{10'000};  // resending stops after this; default 10 s
};

// operation ("BatchGetItem") and JSON body -> the answer (DynamoDbConnection::call in production).
using DynamoCall = std::function<boost::asio::awaitable<AwsCallResult>(std::string operation, nlohmann::json body)>;

// The items found for `keys` (no duplicates among them) in `table`, read with ConsistentRead,
// in no particular order. `what` prefixes the errors.
boost::asio::awaitable<Result<std::vector<nlohmann::json>>> batch_get_items(const DynamoCall& call, std::string table,
                                                                            std::vector<nlohmann::json> keys,
                                                                            KvBatchOptions options, std::string what);

// Applies `requests` ({"PutRequest": {...}} or {"DeleteRequest": {...}}, at most one per key).
boost::asio::awaitable<Result<void>> batch_write_items(const DynamoCall& call, std::string table,
                                                       std::vector<nlohmann::json> requests, KvBatchOptions options,
                                                       std::string what);

}  // namespace agentrt::dynamodb
