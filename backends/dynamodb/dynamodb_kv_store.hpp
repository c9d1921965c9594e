#pragma once
// The DynamoDB KvStore on the agentrt table: one item per (org, bot, key), read with
// BatchGetItem (ConsistentRead) and written with BatchWriteItem, in DynamoDB's chunks (item
// layout: backends/aws/README.md, "KV items"). A put or erase of more than 25 entries is
// several BatchWriteItems, so a failure may leave it partly applied (KvStore's contract);
// puts are idempotent, so the caller retries the whole call. Made by
// DynamoDbSessionStore::kv_store(); it must be destroyed before that store.

#include "backends/dynamodb/dynamodb_connection.hpp"
#include "backends/dynamodb/dynamodb_kv_batch.hpp"
#include "core/ports/kv_store.hpp"

namespace agentrt {

class DynamoDbKvStore final : public KvStore {
 public:
  explicit DynamoDbKvStore(DynamoDbConnection& connection, dynamodb::KvBatchOptions options = {})
      : db_(connection), options_(options) {}

  boost::asio::awaitable<Result<KvEntries>> get_many(KvScope scope, std::vector<std::string> keys) override;
  boost::asio::awaitable<Result<void>> put_many(KvScope scope, KvEntries entries) override;
  boost::asio::awaitable<Result<void>> erase_many(KvScope scope, std::vector<std::string> keys) override;

 private:
  // On the connection's thread.
  boost::asio::awaitable<Result<KvEntries>> read(KvScope scope, std::vector<std::string> keys, std::string what);
  boost::asio::awaitable<Result<void>> write(std::vector<nlohmann::json> requests, std::string what);

  DynamoDbConnection& db_;
  dynamodb::KvBatchOptions options_;
};

namespace dynamodb {
// "V#<org bytes>#<org>#<bot bytes>#<bot>#<key>": the lengths make every (org, bot, key) one
// partition key, whatever characters the names contain.
std::string kv_pk(const KvScope& scope, const std::string& key);
inline constexpr const char* kKvSk = "V";
}  // namespace dynamodb

}  // namespace agentrt
