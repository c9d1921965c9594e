#pragma once
// The SQL of the SessionStore port, as plain functions on one connection. They run on the
// writer thread, inside the transaction (and savepoint) the writer opened for them, and
// check every rule of the port contract themselves: they never rely on a constraint error
// to detect a conflict, so each failure gets a precise message.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backends/sqlite/sqlite_db.hpp"
#include "core/model/error.hpp"
#include "core/model/event.hpp"
#include "core/model/session.hpp"
#include "core/ports/session_store.hpp"

namespace agentrt::sqlite {

// Sessions and definitions (sqlite_session_ops.cpp).
Result<void> insert_session(SqliteDb& db, const SessionRecord& record, const std::string& definition_body,
                            const std::vector<Event>& first_events);
Result<SessionRecord> select_session(SqliteDb& db, const SessionId& id, std::string_view operation);
Result<std::vector<SessionRecord>> select_sessions(SqliteDb& db, const SessionQuery& query);
Result<std::vector<SessionCount>> count_sessions(SqliteDb& db);
Result<nlohmann::json> select_definition(SqliteDb& db, const std::string& hash);
Result<LeaseEpoch> increment_epoch(SqliteDb& db, const SessionId& id);
Result<void> upsert_checkpoint(SqliteDb& db, const SessionId& id, LeaseEpoch epoch, const Checkpoint& checkpoint);
// The checkpoint row itself, unchecked (the caller checked the epoch and the seq).
Result<void> write_checkpoint_row(SqliteDb& db, const SessionId& id, const Checkpoint& checkpoint, const std::string& what);
Result<void> write_checkpoint_row(SqliteDb& db, const SessionId& id, EventSeq seq, const std::string& state,
                                  const std::string& what);
Result<std::optional<Checkpoint>> select_checkpoint(SqliteDb& db, const SessionId& id);

// History and inbox (sqlite_history_ops.cpp).

// An event or an append with its JSON already written as text. SqliteSessionStore::append
// encodes on the caller's thread, so the writer thread, the store's serial bottleneck under
// load, only binds and steps; the request's JSON trees are also freed where they were built.
struct EncodedEvent {
  EventSeq seq;
  EventType type = EventType::SessionStarted;
  std::int64_t time_ms = 0;
  std::string data;  // the event's data, dumped
};
struct EncodedAppend {
  SessionId session;
  LeaseEpoch epoch;
  std::vector<EncodedEvent> events;
  std::optional<SessionStatus> status;
  std::optional<std::int64_t> wake_at_ms;
  std::vector<MessageId> consumed_messages;
  std::optional<EventSeq> checkpoint_seq;  // with checkpoint_state: the checkpoint, dumped
  std::string checkpoint_state;
};
[[nodiscard]] std::vector<EncodedEvent> encode_events(const std::vector<Event>& events);
[[nodiscard]] EncodedAppend encode_append(const AppendRequest& request);
Result<void> append_events(SqliteDb& db, const EncodedAppend& request);
Result<std::vector<Event>> select_events(SqliteDb& db, const SessionId& id, EventSeq after, std::size_t limit);
Result<bool> insert_inbox_message(SqliteDb& db, const SessionId& id, const InboxMessage& message);
Result<std::vector<InboxMessage>> select_pending_messages(SqliteDb& db, const SessionId& id, std::size_t limit);

// Shared by both files: writes `events` (already validated) for `id`.
Result<void> insert_events(SqliteDb& db, const SessionId& id, const std::vector<EncodedEvent>& events,
                           std::string_view operation);
Result<void> insert_events(SqliteDb& db, const SessionId& id, const std::vector<Event>& events,
                           std::string_view operation);
// The session, if `epoch` is its current epoch (the fencing rule of append and
// save_checkpoint); else Errc::fenced naming `seq`, or Errc::not_found.
Result<SessionRecord> session_for_write(SqliteDb& db, const SessionId& id, LeaseEpoch epoch, EventSeq seq,
                                        std::string_view operation);
// An event from a row of (seq, type, time_ms, data); Errc::fatal naming `id` if unreadable.
Result<Event> event_from_row(const Statement& row, const SessionId& id, const std::filesystem::path& path);
// SQLite's LIMIT is a signed 64-bit number.
std::int64_t sql_limit(std::size_t limit);

}  // namespace agentrt::sqlite
