#pragma once
// SessionStore: sessions, their history, checkpoints and inbox.
//
// Contract (every adapter; the conformance suite in core/ports/conformance checks it):
// - Methods may be called from any executor; each completes on the caller's executor.
//   Adapters never block the caller's thread (SQLite runs on its own writer thread).
// - append() is all-or-nothing: the events, the status change and the consumed inbox ids
//   commit together or not at all. It returns
//     Errc::not_found if the session does not exist,
//     Errc::fenced    if `epoch` differs from the session's current epoch (a newer owner),
//     Errc::conflict  if events[0].seq != last_seq + 1 or seqs are not contiguous.
//   A successful append is durable (survives a crash) when the awaitable completes.
// - enqueue() deduplicates by message id per session, forever (also after consumption):
//   it returns false for a duplicate and changes nothing.
// - claim() makes the caller the session's owner: the epoch grows by one and is returned.
//   Every later append by an older epoch is fenced.
// - claim() is LeaseStore::take_over with an anonymous owner: it also clears the lease owner.
// - reset() rewinds the history to `to_seq` in one all-or-nothing write, fenced like append:
//   events to_seq+1..last move to a new archived branch (numbered 1, 2, ... per session; never
//   deleted, readable with read_archived_branches()), the checkpoint is dropped if it is past
//   to_seq, and `reset_event` (a SessionReset, seq to_seq + 1) is appended with
//   data.archived_branch set by the store to the new branch's number, which is returned.
//   Errc::invalid if to_seq < 1, to_seq >= last_seq, or the event is not a SessionReset at
//   to_seq + 1; Errc::not_found / Errc::fenced as for append. Inbox messages consumed by
//   archived events stay consumed (dedup is forever).
// - Errors carry the session id and what was attempted; retryable/throttled for a busy
//   database, fatal for a corrupt or unreadable one. Committed events are never lost.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "core/model/error.hpp"
#include "core/model/event.hpp"
#include "core/model/session.hpp"

namespace agentrt {

struct AppendRequest {
  SessionId session;
  LeaseEpoch epoch;
  std::vector<Event> events;                  // contiguous seqs starting at last_seq + 1
  std::optional<SessionStatus> status;        // new status, if it changed
  std::optional<std::int64_t> wake_at_ms;     // set when sleeping; cleared (nullopt) otherwise
  std::vector<MessageId> consumed_messages;   // inbox messages these events received
  // A checkpoint at the last of these events, written in the same all-or-nothing write, so a
  // checkpoint costs no write (and no fsync) of its own on the session's critical path.
  std::optional<Checkpoint> checkpoint{};
};

struct ResetRequest {
  SessionId session;
  LeaseEpoch epoch;                           // the caller's lease epoch: fenced like append
  EventSeq to_seq;                            // keep events 1..to_seq
  Event reset_event;                          // SessionReset at to_seq + 1 (archived_branch set by the store)
  SessionStatus status = SessionStatus::idle; // the session's status after the reset
  std::optional<std::int64_t> wake_at_ms;     // set when the state after to_seq is sleeping
};

// Events moved out of the live history by one reset(), in seq order.
struct ArchivedBranch {
  std::int64_t branch = 0;
  std::vector<Event> events;
};

// How many sessions one (org, bot) has in one status (SessionStore::count_sessions).
struct SessionCount {
  OrgId org;
  BotId bot;
  SessionStatus status = SessionStatus::idle;
  std::int64_t count = 0;
};

struct SessionQuery {
  std::optional<OrgId> org;
  std::optional<BotId> bot;
  std::optional<SessionStatus> status;
  // Only sessions whose last event is older than this (updated_ms < updated_before_ms): "in
  // their status since before T", e.g. `agentrt inspect sessions --waiting-longer-than 10m`.
  std::optional<std::int64_t> updated_before_ms;
  std::size_t limit = 100;                    // newest first
};

class SessionStore {
 public:
  virtual ~SessionStore() = default;

  // Creates the session with its pinned definition (stored once per hash) and first events.
  // Errc::conflict if the id exists.
  virtual boost::asio::awaitable<Result<void>> create_session(SessionRecord record, nlohmann::json definition,
                                                              std::vector<Event> first_events) = 0;
  virtual boost::asio::awaitable<Result<SessionRecord>> get_session(SessionId id) = 0;
  virtual boost::asio::awaitable<Result<std::vector<SessionRecord>>> list_sessions(SessionQuery query) = 0;
  virtual boost::asio::awaitable<Result<nlohmann::json>> get_definition(std::string hash) = 0;
  // The number of sessions per (org, bot, status), for the sessions-by-status gauge of serve's
  // metrics: one scan of the session rows, so callers poll it seldom (every 15 s or so). An
  // adapter that cannot count cheaply keeps this default: Errc::invalid, "not supported".
  virtual boost::asio::awaitable<Result<std::vector<SessionCount>>> count_sessions() {
    co_return Error{Errc::invalid, "count_sessions: not supported by this store"};
  }

  virtual boost::asio::awaitable<Result<LeaseEpoch>> claim(SessionId id) = 0;
  virtual boost::asio::awaitable<Result<void>> append(AppendRequest request) = 0;
  // Events with seq > after, in order, at most `limit`.
  virtual boost::asio::awaitable<Result<std::vector<Event>>> read_events(SessionId id, EventSeq after,
                                                                         std::size_t limit) = 0;

  // Returns the new archived branch's number (see the contract above).
  virtual boost::asio::awaitable<Result<std::int64_t>> reset(ResetRequest request) = 0;
  // Every archived branch of the session, oldest first.
  virtual boost::asio::awaitable<Result<std::vector<ArchivedBranch>>> read_archived_branches(SessionId id) = 0;

  virtual boost::asio::awaitable<Result<void>> save_checkpoint(SessionId id, LeaseEpoch epoch, Checkpoint checkpoint) = 0;
  virtual boost::asio::awaitable<Result<std::optional<Checkpoint>>> load_checkpoint(SessionId id) = 0;

  // Returns false (and changes nothing) when the message id was seen before for this session.
  virtual boost::asio::awaitable<Result<bool>> enqueue(SessionId id, InboxMessage message) = 0;
  // Messages not yet consumed by an append, oldest first.
  virtual boost::asio::awaitable<Result<std::vector<InboxMessage>>> pending_messages(SessionId id,
                                                                                     std::size_t limit) = 0;
};

}  // namespace agentrt
