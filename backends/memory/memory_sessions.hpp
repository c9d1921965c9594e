#pragma once
// The data and rules of the in-memory SessionStore, without locking or Asio: every method
// checks the SessionStore contract (core/ports/session_store.hpp) and either applies the
// whole change or returns an Error and changes nothing. MemorySessionStore wraps it with a
// mutex and completes each call on the caller's executor.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/model/error.hpp"
#include "core/model/event.hpp"
#include "core/model/session.hpp"
#include "core/ports/lease_store.hpp"
#include "core/ports/session_store.hpp"

namespace agentrt::memory {

class MemorySessions {
 public:
  Result<void> create_session(SessionRecord record, nlohmann::json definition, std::vector<Event> first_events);
  [[nodiscard]] Result<SessionRecord> get_session(const SessionId& id) const;
  [[nodiscard]] std::vector<SessionRecord> list_sessions(const SessionQuery& query) const;
  [[nodiscard]] std::vector<SessionCount> count_sessions() const;
  [[nodiscard]] Result<nlohmann::json> get_definition(const std::string& hash) const;

  Result<LeaseEpoch> claim(const SessionId& id);
  Result<void> append(AppendRequest request);
  [[nodiscard]] Result<std::vector<Event>> read_events(const SessionId& id, EventSeq after, std::size_t limit) const;

  Result<void> save_checkpoint(const SessionId& id, LeaseEpoch epoch, Checkpoint checkpoint);
  [[nodiscard]] Result<std::optional<Checkpoint>> load_checkpoint(const SessionId& id) const;

  Result<bool> enqueue(const SessionId& id, InboxMessage message);
  [[nodiscard]] Result<std::vector<InboxMessage>> pending_messages(const SessionId& id, std::size_t limit) const;

  // Reset and leases (memory_session_repair.cpp): the same contracts as SessionStore::reset
  // and the LeaseStore port (MemoryLeaseStore locks and calls these).
  Result<std::int64_t> reset(ResetRequest request);
  [[nodiscard]] Result<std::vector<ArchivedBranch>> archived_branches(const SessionId& id) const;
  Result<Lease> acquire_lease(const SessionId& id, const std::string& owner, std::chrono::milliseconds ttl,
                              std::int64_t now_ms);
  Result<Lease> renew_lease(const SessionId& id, const std::string& owner, LeaseEpoch epoch,
                            std::chrono::milliseconds ttl, std::int64_t now_ms);
  Result<void> release_lease(const SessionId& id, const std::string& owner, LeaseEpoch epoch);
  Result<Lease> take_over_lease(const SessionId& id, const std::string& owner, std::chrono::milliseconds ttl,
                                std::int64_t now_ms);
  [[nodiscard]] Result<Lease> get_lease(const SessionId& id) const;
  [[nodiscard]] std::vector<RunnableSession> find_runnable(std::int64_t now_ms, std::size_t limit) const;

 private:
  struct InboxEntry {
    InboxMessage message;
    std::optional<std::int64_t> consumed_seq;  // seq of the append that consumed it
  };
  struct SessionData {
    SessionRecord record;
    std::uint64_t created_order = 0;  // breaks created_ms ties: later insert lists first
    std::vector<Event> events;        // events[i].seq == i + 1
    std::optional<Checkpoint> checkpoint;
    std::vector<InboxEntry> inbox;    // in enqueue order; never erased (dedup is forever)
    // The lease holds only while lease_epoch == record.epoch: claim() (an anonymous take-over)
    // bumps the epoch and so ends it without touching these fields.
    std::string lease_owner;
    LeaseEpoch lease_epoch;
    std::int64_t lease_expires_ms = 0;
    std::vector<ArchivedBranch> archived;  // reset(): moved-out history tails, oldest first
  };
  [[nodiscard]] static Lease current_lease(const SessionData& session);

  [[nodiscard]] const SessionData* find(const SessionId& id) const;
  SessionData* find(const SessionId& id);
  static Result<void> check_consumable(const SessionData& session, const AppendRequest& request);

  std::map<SessionId, SessionData> sessions_;
  std::map<std::string, nlohmann::json> definitions_;  // by content hash, stored once
  std::uint64_t next_created_order_ = 0;
};

}  // namespace agentrt::memory
