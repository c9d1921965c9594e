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
};

struct SessionQuery {
  std::optional<OrgId> org;
  std::optional<BotId> bot;
  std::optional<SessionStatus> status;
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

  virtual boost::asio::awaitable<Result<LeaseEpoch>> claim(SessionId id) = 0;
  virtual boost::asio::awaitable<Result<void>> append(AppendRequest request) = 0;
  // Events with seq > after, in order, at most `limit`.
  virtual boost::asio::awaitable<Result<std::vector<Event>>> read_events(SessionId id, EventSeq after,
                                                                         std::size_t limit) = 0;

  virtual boost::asio::awaitable<Result<void>> save_checkpoint(SessionId id, LeaseEpoch epoch, Checkpoint checkpoint) = 0;
  virtual boost::asio::awaitable<Result<std::optional<Checkpoint>>> load_checkpoint(SessionId id) = 0;

  // Returns false (and changes nothing) when the message id was seen before for this session.
  virtual boost::asio::awaitable<Result<bool>> enqueue(SessionId id, InboxMessage message) = 0;
  // Messages not yet consumed by an append, oldest first.
  virtual boost::asio::awaitable<Result<std::vector<InboxMessage>>> pending_messages(SessionId id,
                                                                                     std::size_t limit) = 0;
};

}  // namespace agentrt
