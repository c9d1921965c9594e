#include "backends/dynamodb/dynamodb_lease_store.hpp"

namespace agentrt {

namespace asio = boost::asio;

// Each method moves the operation to the connection's thread (DynamoDbConnection::run).
asio::awaitable<Result<Lease>> DynamoDbLeaseStore::acquire(SessionId session, std::string owner,
                                                           std::chrono::milliseconds ttl, std::int64_t now_ms) {
  return db_.run<Lease>([this, session, owner, ttl, now_ms] { return ops_.acquire(session, owner, ttl, now_ms); });
}

asio::awaitable<Result<Lease>> DynamoDbLeaseStore::renew(SessionId session, std::string owner, LeaseEpoch epoch,
                                                         std::chrono::milliseconds ttl, std::int64_t now_ms) {
  return db_.run<Lease>(
      [this, session, owner, epoch, ttl, now_ms] { return ops_.renew(session, owner, epoch, ttl, now_ms); });
}

asio::awaitable<Result<void>> DynamoDbLeaseStore::release(SessionId session, std::string owner, LeaseEpoch epoch) {
  return db_.run<void>([this, session, owner, epoch] { return ops_.release(session, owner, epoch); });
}

asio::awaitable<Result<Lease>> DynamoDbLeaseStore::take_over(SessionId session, std::string owner,
                                                             std::chrono::milliseconds ttl, std::int64_t now_ms) {
  return db_.run<Lease>([this, session, owner, ttl, now_ms] { return ops_.take_over(session, owner, ttl, now_ms); });
}

asio::awaitable<Result<Lease>> DynamoDbLeaseStore::get(SessionId session) {
  return db_.run<Lease>([this, session] { return ops_.get_lease(session); });
}

asio::awaitable<Result<std::vector<RunnableSession>>> DynamoDbLeaseStore::find_runnable(std::int64_t now_ms,
                                                                                        std::size_t limit) {
  return db_.run<std::vector<RunnableSession>>([this, now_ms, limit] { return ops_.find_runnable(now_ms, limit); });
}

}  // namespace agentrt
