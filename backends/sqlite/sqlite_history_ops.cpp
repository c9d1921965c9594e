// History (events) and inbox SQL of the SessionStore port; see sqlite_session_ops.hpp.
#include <algorithm>

#include "backends/sqlite/sqlite_errors.hpp"
#include "backends/sqlite/sqlite_session_ops.hpp"

namespace agentrt::sqlite {
namespace {

// Each event must follow the previous one: the first one last_seq + 1, then +1 each.
Result<void> check_contiguous(const SessionId& id, EventSeq last_seq, const std::vector<EncodedEvent>& events) {
  EventSeq expected{last_seq.value + 1};
  for (const auto& event : events) {
    if (event.seq != expected) return seq_gap_error(id, expected, event.seq);
    ++expected.value;
  }
  return ok_result();
}

// Marks each consumed message with `seq`; one that is unknown or already consumed is a conflict.
Result<void> consume_messages(SqliteDb& db, const SessionId& id, const std::vector<MessageId>& messages, EventSeq seq) {
  const std::string what = "append session=" + id.str();
  auto stmt = db.prepare(
      "UPDATE inbox SET consumed_seq = ? WHERE session_id = ? AND message_id = ? AND consumed_seq IS NULL", what);
  if (!stmt) return stmt.error();
  for (const auto& message : messages) {
    if (auto r = stmt->bind(1, seq.value).bind(2, id.str()).bind(3, message.str()).run(); !r) return r;
    if (db.changes() != 1) {
      return Error{Errc::conflict, what + ": inbox message " + message.str() + " is unknown or already consumed"};
    }
  }
  return ok_result();
}

}  // namespace

Result<Event> event_from_row(const Statement& row, const SessionId& id, const std::filesystem::path& path) {
  Event event;
  event.seq = EventSeq{row.column_int(0)};
  const auto type_name = row.column_text(1);
  const auto type = parse_event_type(type_name);
  const std::string where =
      "database " + path.string() + ": session " + id.str() + " event " + std::to_string(event.seq.value);
  if (!type) return Error{Errc::fatal, where + " has unknown type '" + type_name + "'"};
  event.type = *type;
  event.time_ms = row.column_int(2);
  event.data = nlohmann::json::parse(row.column_text(3), nullptr, false);
  if (event.data.is_discarded()) return Error{Errc::fatal, where + " has data that is not valid JSON"};
  return event;
}

std::vector<EncodedEvent> encode_events(const std::vector<Event>& events) {
  std::vector<EncodedEvent> encoded;
  encoded.reserve(events.size());
  for (const auto& event : events) encoded.push_back(EncodedEvent{event.seq, event.type, event.time_ms, event.data.dump()});
  return encoded;
}

EncodedAppend encode_append(const AppendRequest& request) {
  EncodedAppend encoded{request.session,  request.epoch, encode_events(request.events), request.status,
                        request.wake_at_ms, request.consumed_messages, std::nullopt, std::string{}};
  if (request.checkpoint) {
    encoded.checkpoint_seq = request.checkpoint->seq;
    encoded.checkpoint_state = request.checkpoint->state.dump();
  }
  return encoded;
}

Result<void> insert_events(SqliteDb& db, const SessionId& id, const std::vector<EncodedEvent>& events,
                           std::string_view operation) {
  auto stmt = db.prepare("INSERT INTO events(session_id, seq, type, time_ms, data) VALUES (?, ?, ?, ?, ?)", operation);
  if (!stmt) return stmt.error();
  for (const auto& event : events) {
    stmt->bind(1, id.str()).bind(2, event.seq.value).bind(3, event_type_name(event.type));
    if (auto r = stmt->bind(4, event.time_ms).bind(5, event.data).run(); !r) return r;
  }
  return ok_result();
}

Result<void> insert_events(SqliteDb& db, const SessionId& id, const std::vector<Event>& events,
                           std::string_view operation) {
  return insert_events(db, id, encode_events(events), operation);
}

Result<void> append_events(SqliteDb& db, const EncodedAppend& request) {
  const auto& id = request.session;
  const std::string what = "append session=" + id.str();
  if (request.events.empty()) return Error{Errc::invalid, what + ": no events to append"};
  auto session = session_for_write(db, id, request.epoch, request.events.front().seq, "append");
  if (!session) return session.error();
  if (auto r = check_contiguous(id, session->last_seq, request.events); !r) return r;
  if (auto r = insert_events(db, id, request.events, what); !r) return r;
  const auto& last = request.events.back();
  if (auto r = consume_messages(db, id, request.consumed_messages, last.seq); !r) return r;
  auto update = db.prepare(
      "UPDATE sessions SET last_seq = ?, updated_ms = MAX(updated_ms, ?), status = ?, wake_at_ms = ? WHERE id = ?",
      what);
  if (!update) return update.error();
  const auto status = request.status.value_or(session->status);
  update->bind(1, last.seq.value).bind(2, last.time_ms).bind(3, session_status_name(status));
  if (auto r = update->bind(4, request.wake_at_ms).bind(5, id.str()).run(); !r) return r;
  if (!request.checkpoint_seq) return ok_result();
  if (*request.checkpoint_seq > last.seq || request.checkpoint_seq->value < 0) {
    return Error{Errc::invalid, what + ": checkpoint at seq " + std::to_string(request.checkpoint_seq->value) +
                                    " is past the appended events (last seq " + std::to_string(last.seq.value) + ")"};
  }
  return write_checkpoint_row(db, id, *request.checkpoint_seq, request.checkpoint_state, what);
}

Result<std::vector<Event>> select_events(SqliteDb& db, const SessionId& id, EventSeq after, std::size_t limit) {
  if (auto session = select_session(db, id, "read_events"); !session) return session.error();
  auto stmt =
      db.prepare("SELECT seq, type, time_ms, data FROM events WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                 "read_events session=" + id.str());
  if (!stmt) return stmt.error();
  stmt->bind(1, id.str()).bind(2, after.value).bind(3, sql_limit(limit));
  std::vector<Event> events;
  for (;;) {
    auto row = stmt->step();
    if (!row) return row.error();
    if (!*row) return events;
    auto event = event_from_row(*stmt, id, db.path());
    if (!event) return event.error();
    events.push_back(std::move(event).value());
  }
}

Result<bool> insert_inbox_message(SqliteDb& db, const SessionId& id, const InboxMessage& message) {
  const std::string what = "enqueue session=" + id.str();
  if (message.id.empty()) return Error{Errc::invalid, what + ": empty message id"};
  if (auto session = select_session(db, id, "enqueue"); !session) return session.error();
  auto stmt = db.prepare(
      "INSERT INTO inbox(session_id, message_id, text, enqueued_ms) VALUES (?, ?, ?, ?) "
      "ON CONFLICT(session_id, message_id) DO NOTHING",
      what);
  if (!stmt) return stmt.error();
  stmt->bind(1, id.str()).bind(2, message.id.str()).bind(3, message.text).bind(4, message.enqueued_ms);
  if (auto r = stmt->run(); !r) return r.error();
  return db.changes() == 1;
}

Result<std::vector<InboxMessage>> select_pending_messages(SqliteDb& db, const SessionId& id, std::size_t limit) {
  if (auto session = select_session(db, id, "pending_messages"); !session) return session.error();
  auto stmt = db.prepare(
      "SELECT message_id, text, enqueued_ms FROM inbox WHERE session_id = ? AND consumed_seq IS NULL "
      "ORDER BY enqueued_ms, rowid LIMIT ?",
      "pending_messages session=" + id.str());
  if (!stmt) return stmt.error();
  stmt->bind(1, id.str()).bind(2, sql_limit(limit));
  std::vector<InboxMessage> messages;
  for (;;) {
    auto row = stmt->step();
    if (!row) return row.error();
    if (!*row) return messages;
    messages.push_back(InboxMessage{MessageId{stmt->column_text(0)}, stmt->column_text(1), stmt->column_int(2)});
  }
}

}  // namespace agentrt::sqlite
