#pragma once
// The SessionStore and LeaseStore operations on one DynamoDB table. Every coroutine here runs
// on the connection's thread (DynamoDbSessionStore/DynamoDbLeaseStore move it there), so the
// class needs no locking. The table design and the consistency notes are in
// backends/aws/README.md, "DynamoDB table design". Split by topic:
//   dynamodb_session_ops.cpp  create, get, list, definitions, claim, transactions
//   dynamodb_append_ops.cpp   append, checkpoints, read_events
//   dynamodb_inbox_ops.cpp    enqueue, pending_messages
//   dynamodb_reset_ops.cpp    reset, archived branches
//   dynamodb_lease_ops.cpp    the LeaseStore port, find_runnable

#include <chrono>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "backends/dynamodb/dynamodb_codec.hpp"
#include "backends/dynamodb/dynamodb_connection.hpp"
#include "core/ports/lease_store.hpp"
#include "core/ports/session_store.hpp"

namespace agentrt::dynamodb {

template <class T>
using Task = boost::asio::awaitable<Result<T>>;

class DynamoDbOps {
 public:
  explicit DynamoDbOps(DynamoDbConnection& connection) : db_(connection) {}

  Task<void> create_session(SessionRecord record, nlohmann::json definition, std::vector<Event> first_events);
  Task<SessionRecord> get_session(SessionId id);
  Task<std::vector<SessionRecord>> list_sessions(SessionQuery query);
  Task<std::vector<SessionCount>> count_sessions();
  Task<nlohmann::json> get_definition(std::string hash);
  Task<LeaseEpoch> claim(SessionId id);

  Task<void> append(AppendRequest request);
  Task<std::vector<Event>> read_events(SessionId id, EventSeq after, std::size_t limit);
  Task<void> save_checkpoint(SessionId id, LeaseEpoch epoch, Checkpoint checkpoint);
  Task<std::optional<Checkpoint>> load_checkpoint(SessionId id);

  Task<bool> enqueue(SessionId id, InboxMessage message);
  Task<std::vector<InboxMessage>> pending_messages(SessionId id, std::size_t limit);

  Task<std::int64_t> reset(ResetRequest request);
  Task<std::vector<ArchivedBranch>> read_archived_branches(SessionId id);

  Task<Lease> acquire(SessionId id, std::string owner, std::chrono::milliseconds ttl, std::int64_t now_ms);
  Task<Lease> renew(SessionId id, std::string owner, LeaseEpoch epoch, std::chrono::milliseconds ttl,
                    std::int64_t now_ms);
  Task<void> release(SessionId id, std::string owner, LeaseEpoch epoch);
  Task<Lease> take_over(SessionId id, std::string owner, std::chrono::milliseconds ttl, std::int64_t now_ms);
  Task<Lease> get_lease(SessionId id);
  Task<std::vector<RunnableSession>> find_runnable(std::int64_t now_ms, std::size_t limit);

 private:
  // The session item read with ConsistentRead; nullopt when the session does not exist.
  Task<std::optional<Meta>> read_meta(const SessionId& id, const std::string& what);
  // The items of the session whose sk lies in [from, to], in order (ConsistentRead); stops
  // after the page that holds more than `owners_max` items that are not parts.
  Task<std::vector<Item>> query_range(const SessionId& id, std::string from, std::string to, const std::string& what,
                                      std::size_t owners_max = std::numeric_limits<std::size_t>::max());
  // The Put of a checkpoint's items and the Delete of a longer previous one's extra parts.
  std::vector<nlohmann::json> checkpoint_actions(const std::string& pk, const Checkpoint& checkpoint,
                                                 std::int64_t old_parts, std::int64_t& new_parts);
  // One TransactWriteItems; refuses (invalid) more than DynamoDB takes in one transaction.
  boost::asio::awaitable<AwsCallResult> transact(std::vector<nlohmann::json> actions, const std::string& what);
  // The session item, or Errc::not_found naming the session.
  Task<Meta> existing_meta(const SessionId& id, const std::string& what);
  // query_range, but an empty answer for a session that does not exist is Errc::not_found.
  Task<std::vector<Item>> session_items(const SessionId& id, std::string from, std::string to, const std::string& what,
                                        std::size_t owners_max = std::numeric_limits<std::size_t>::max());
  // The conditional Update of the session item that every history write carries: it checks
  // the version and epoch read before and writes the new record and runnable key.
  nlohmann::json meta_update(const Meta& before, const Meta& after);

  DynamoDbConnection& db_;
};

}  // namespace agentrt::dynamodb
