#pragma once
// The DynamoDB LeaseStore: conditional UpdateItems on the session item (see
// backends/aws/README.md, "DynamoDB table design"). Made by DynamoDbSessionStore::lease_store().

#include "backends/dynamodb/dynamodb_connection.hpp"
#include "backends/dynamodb/dynamodb_ops.hpp"
#include "core/ports/lease_store.hpp"

namespace agentrt {

class DynamoDbLeaseStore final : public LeaseStore {
 public:
  explicit DynamoDbLeaseStore(DynamoDbConnection& connection) : db_(connection), ops_(connection) {}

  boost::asio::awaitable<Result<Lease>> acquire(SessionId session, std::string owner, std::chrono::milliseconds ttl,
                                                std::int64_t now_ms) override;
  boost::asio::awaitable<Result<Lease>> renew(SessionId session, std::string owner, LeaseEpoch epoch,
                                              std::chrono::milliseconds ttl, std::int64_t now_ms) override;
  boost::asio::awaitable<Result<void>> release(SessionId session, std::string owner, LeaseEpoch epoch) override;
  boost::asio::awaitable<Result<Lease>> take_over(SessionId session, std::string owner, std::chrono::milliseconds ttl,
                                                  std::int64_t now_ms) override;
  boost::asio::awaitable<Result<Lease>> get(SessionId session) override;
  boost::asio::awaitable<Result<std::vector<RunnableSession>>> find_runnable(std::int64_t now_ms,
                                                                             std::size_t limit) override;

 private:
  DynamoDbConnection& db_;
  dynamodb::DynamoDbOps ops_;
};

}  // namespace agentrt
