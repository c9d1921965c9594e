#include "backends/dynamodb/dynamodb_session_store.hpp"

#include <utility>

#include "backends/dynamodb/dynamodb_kv_store.hpp"
#include "backends/dynamodb/dynamodb_lease_store.hpp"
#include "backends/dynamodb/dynamodb_schema.hpp"

namespace agentrt {

namespace asio = boost::asio;
using json = nlohmann::json;

DynamoDbSessionStore::DynamoDbSessionStore(std::unique_ptr<DynamoDbConnection> connection)
    : db_(std::move(connection)), ops_(*db_) {}

// Each method moves the operation to the connection's thread (DynamoDbConnection::run).
asio::awaitable<Result<void>> DynamoDbSessionStore::create_session(SessionRecord record, json definition,
                                                                   std::vector<Event> first_events) {
  return db_->run<void>([this, record, definition, first_events] {
    return ops_.create_session(record, definition, first_events);
  });
}

asio::awaitable<Result<SessionRecord>> DynamoDbSessionStore::get_session(SessionId id) {
  return db_->run<SessionRecord>([this, id] { return ops_.get_session(id); });
}

asio::awaitable<Result<std::vector<SessionCount>>> DynamoDbSessionStore::count_sessions() {
  return db_->run<std::vector<SessionCount>>([this] { return ops_.count_sessions(); });
}

asio::awaitable<Result<std::vector<SessionRecord>>> DynamoDbSessionStore::list_sessions(SessionQuery query) {
  return db_->run<std::vector<SessionRecord>>([this, query] { return ops_.list_sessions(query); });
}

asio::awaitable<Result<json>> DynamoDbSessionStore::get_definition(std::string hash) {
  return db_->run<json>([this, hash] { return ops_.get_definition(hash); });
}

asio::awaitable<Result<LeaseEpoch>> DynamoDbSessionStore::claim(SessionId id) {
  return db_->run<LeaseEpoch>([this, id] { return ops_.claim(id); });
}

asio::awaitable<Result<void>> DynamoDbSessionStore::append(AppendRequest request) {
  return db_->run<void>([this, request] { return ops_.append(request); });
}

asio::awaitable<Result<std::vector<Event>>> DynamoDbSessionStore::read_events(SessionId id, EventSeq after,
                                                                              std::size_t limit) {
  return db_->run<std::vector<Event>>([this, id, after, limit] { return ops_.read_events(id, after, limit); });
}

asio::awaitable<Result<std::int64_t>> DynamoDbSessionStore::reset(ResetRequest request) {
  return db_->run<std::int64_t>([this, request] { return ops_.reset(request); });
}

asio::awaitable<Result<std::vector<ArchivedBranch>>> DynamoDbSessionStore::read_archived_branches(SessionId id) {
  return db_->run<std::vector<ArchivedBranch>>([this, id] { return ops_.read_archived_branches(id); });
}

asio::awaitable<Result<void>> DynamoDbSessionStore::save_checkpoint(SessionId id, LeaseEpoch epoch,
                                                                    Checkpoint checkpoint) {
  return db_->run<void>([this, id, epoch, checkpoint] { return ops_.save_checkpoint(id, epoch, checkpoint); });
}

asio::awaitable<Result<std::optional<Checkpoint>>> DynamoDbSessionStore::load_checkpoint(SessionId id) {
  return db_->run<std::optional<Checkpoint>>([this, id] { return ops_.load_checkpoint(id); });
}

asio::awaitable<Result<bool>> DynamoDbSessionStore::enqueue(SessionId id, InboxMessage message) {
  return db_->run<bool>([this, id, message] { return ops_.enqueue(id, message); });
}

asio::awaitable<Result<std::vector<InboxMessage>>> DynamoDbSessionStore::pending_messages(SessionId id,
                                                                                          std::size_t limit) {
  return db_->run<std::vector<InboxMessage>>([this, id, limit] { return ops_.pending_messages(id, limit); });
}

std::unique_ptr<LeaseStore> DynamoDbSessionStore::lease_store() { return std::make_unique<DynamoDbLeaseStore>(*db_); }

std::unique_ptr<KvStore> DynamoDbSessionStore::kv_store() { return std::make_unique<DynamoDbKvStore>(*db_); }

Result<std::unique_ptr<DynamoDbSessionStore>> open_dynamodb_session_store(DynamoDbOptions options,
                                                                          const AwsEnvLookup& env) {
  const bool check = options.check_schema;
  auto connection = DynamoDbConnection::open(std::move(options), env);
  if (!connection) return connection.error();
  if (check) {
    auto& db = **connection;
    auto checked = db.run_blocking<void>([&db] { return dynamodb::check_schema(db); });
    if (!checked) return checked.error();
  }
  return std::make_unique<DynamoDbSessionStore>(std::move(connection.value()));
}

}  // namespace agentrt
