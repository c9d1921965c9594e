#pragma once
// The DynamoDB SessionStore (and, through lease_store(), its LeaseStore) on one table.
// Contracts: core/ports/session_store.hpp and lease_store.hpp; the table design and the
// consistency notes: backends/aws/README.md, "DynamoDB table design".
//
//   DynamoDbOptions options;  options.table = "agentrt";
//   auto store = open_dynamodb_session_store(options, serve::process_env());  // blocks: startup only
//   co_await (*store)->append(request);   // any executor; completes on the caller's
//   auto leases = (*store)->lease_store();  // destroy before the store

#include <memory>

#include "backends/dynamodb/dynamodb_connection.hpp"
#include "backends/dynamodb/dynamodb_ops.hpp"
#include "core/ports/kv_store.hpp"
#include "core/ports/lease_store.hpp"
#include "core/ports/session_store.hpp"

namespace agentrt {

class DynamoDbSessionStore final : public SessionStore {
 public:
  explicit DynamoDbSessionStore(std::unique_ptr<DynamoDbConnection> connection);

  boost::asio::awaitable<Result<void>> create_session(SessionRecord record, nlohmann::json definition,
                                                      std::vector<Event> first_events) override;
  boost::asio::awaitable<Result<SessionRecord>> get_session(SessionId id) override;
  boost::asio::awaitable<Result<std::vector<SessionRecord>>> list_sessions(SessionQuery query) override;
  boost::asio::awaitable<Result<std::vector<SessionCount>>> count_sessions() override;
  boost::asio::awaitable<Result<nlohmann::json>> get_definition(std::string hash) override;
  boost::asio::awaitable<Result<LeaseEpoch>> claim(SessionId id) override;
  boost::asio::awaitable<Result<void>> append(AppendRequest request) override;
  boost::asio::awaitable<Result<std::vector<Event>>> read_events(SessionId id, EventSeq after,
                                                                 std::size_t limit) override;
  boost::asio::awaitable<Result<std::int64_t>> reset(ResetRequest request) override;
  boost::asio::awaitable<Result<std::vector<ArchivedBranch>>> read_archived_branches(SessionId id) override;
  boost::asio::awaitable<Result<void>> save_checkpoint(SessionId id, LeaseEpoch epoch, Checkpoint checkpoint) override;
  boost::asio::awaitable<Result<std::optional<Checkpoint>>> load_checkpoint(SessionId id) override;
  boost::asio::awaitable<Result<bool>> enqueue(SessionId id, InboxMessage message) override;
  boost::asio::awaitable<Result<std::vector<InboxMessage>>> pending_messages(SessionId id, std::size_t limit) override;

  // The LeaseStore on the same table and connection; it must be destroyed before this store.
  std::unique_ptr<LeaseStore> lease_store();
  // The KvStore on the same table and connection (backends/dynamodb/dynamodb_kv_store.hpp); it
  // must be destroyed before this store.
  std::unique_ptr<KvStore> kv_store();
  [[nodiscard]] DynamoDbConnection& connection() { return *db_; }

 private:
  std::unique_ptr<DynamoDbConnection> db_;
  dynamodb::DynamoDbOps ops_;
};

// Opens the connection and checks the table's schema version (unless options.check_schema is
// false). Blocks for one request: call it at startup, not on an event loop thread.
Result<std::unique_ptr<DynamoDbSessionStore>> open_dynamodb_session_store(DynamoDbOptions options,
                                                                          const AwsEnvLookup& env);

}  // namespace agentrt
