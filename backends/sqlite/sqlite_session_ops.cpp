#include "backends/sqlite/sqlite_session_ops.hpp"

#include <limits>

#include "backends/sqlite/sqlite_errors.hpp"

namespace agentrt::sqlite {
namespace {

constexpr std::string_view kSessionColumns =
    "id, org, bot, definition_hash, status, last_seq, epoch, created_ms, updated_ms, wake_at_ms";

Result<SessionRecord> session_from_row(const Statement& row, const std::filesystem::path& path) {
  SessionRecord r;
  r.id = SessionId{row.column_text(0)};
  r.org = OrgId{row.column_text(1)};
  r.bot = BotId{row.column_text(2)};
  r.definition_hash = row.column_text(3);
  const auto status_name = row.column_text(4);
  const auto status = parse_session_status(status_name);
  if (!status) {
    return Error{Errc::fatal,
                 "database " + path.string() + ": session " + r.id.str() + " has unknown status '" + status_name + "'"};
  }
  r.status = *status;
  r.last_seq = EventSeq{row.column_int(5)};
  r.epoch = LeaseEpoch{row.column_int(6)};
  r.created_ms = row.column_int(7);
  r.updated_ms = row.column_int(8);
  r.wake_at_ms = row.column_optional_int(9);
  return r;
}

Result<void> validate_first_events(const SessionId& id, const std::vector<Event>& events) {
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto expected = static_cast<std::int64_t>(i) + 1;
    if (events[i].seq.value != expected) {
      return Error{Errc::invalid, "create session=" + id.str() +
                                      ": first events must be numbered from 1; expected seq " +
                                      std::to_string(expected) + ", got " + std::to_string(events[i].seq.value)};
    }
  }
  return ok_result();
}

}  // namespace

Result<SessionRecord> session_for_write(SqliteDb& db, const SessionId& id, LeaseEpoch epoch, EventSeq seq,
                                        std::string_view operation) {
  auto session = select_session(db, id, operation);
  if (!session) return session.error();
  if (session->epoch != epoch) return fenced_error(operation, id, seq, epoch, session->epoch);
  return session;
}

std::int64_t sql_limit(std::size_t limit) {
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  return static_cast<std::int64_t>(limit > kMax ? kMax : limit);
}

Result<void> insert_session(SqliteDb& db, const SessionRecord& record, const std::string& definition_body,
                            const std::vector<Event>& first_events) {
  const std::string what = "create session=" + record.id.str();
  if (record.id.empty()) return Error{Errc::invalid, "create session: empty session id"};
  if (auto valid = validate_first_events(record.id, first_events); !valid) return valid;
  if (auto existing = select_session(db, record.id, what); existing) {
    return Error{Errc::conflict, what + ": already exists"};
  } else if (existing.error().code != Errc::not_found) {
    return existing.error();
  }
  auto definition = db.prepare("INSERT OR IGNORE INTO definitions(hash, body, created_ms) VALUES (?, ?, ?)", what);
  if (!definition) return definition.error();
  if (auto r = definition->bind(1, record.definition_hash).bind(2, definition_body).bind(3, record.created_ms).run();
      !r) {
    return r;
  }
  auto session = db.prepare(
      "INSERT INTO sessions(id, org, bot, definition_hash, status, last_seq, epoch, created_ms, updated_ms, "
      "wake_at_ms) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      what);
  if (!session) return session.error();
  session->bind(1, record.id.str()).bind(2, record.org.str()).bind(3, record.bot.str());
  session->bind(4, record.definition_hash).bind(5, session_status_name(record.status));
  session->bind(6, static_cast<std::int64_t>(first_events.size())).bind(7, record.epoch.value);
  session->bind(8, record.created_ms).bind(9, record.updated_ms).bind(10, record.wake_at_ms);
  if (auto r = session->run(); !r) return r;
  return insert_events(db, record.id, first_events, what);
}

Result<SessionRecord> select_session(SqliteDb& db, const SessionId& id, std::string_view operation) {
  auto stmt = db.prepare("SELECT " + std::string(kSessionColumns) + " FROM sessions WHERE id = ?", operation);
  if (!stmt) return stmt.error();
  auto row = stmt->bind(1, id.str()).step();
  if (!row) return row.error();
  if (!*row) return session_not_found_error(operation, id);
  return session_from_row(*stmt, db.path());
}

Result<std::vector<SessionRecord>> select_sessions(SqliteDb& db, const SessionQuery& query) {
  // One SQL text per combination of filters, so each one is prepared once and uses its index.
  std::string sql = "SELECT " + std::string(kSessionColumns) + " FROM sessions WHERE 1";
  if (query.org) sql += " AND org = :org";
  if (query.bot) sql += " AND bot = :bot";
  if (query.status) sql += " AND status = :status";
  if (query.updated_before_ms) sql += " AND updated_ms < :updated_before";
  sql += " ORDER BY created_ms DESC, rowid DESC LIMIT :limit";
  auto stmt = db.prepare(sql, "list sessions");
  if (!stmt) return stmt.error();
  int index = 1;
  if (query.org) stmt->bind(index++, query.org->str());
  if (query.bot) stmt->bind(index++, query.bot->str());
  if (query.status) stmt->bind(index++, session_status_name(*query.status));
  if (query.updated_before_ms) stmt->bind(index++, *query.updated_before_ms);
  stmt->bind(index, sql_limit(query.limit));
  std::vector<SessionRecord> sessions;
  for (;;) {
    auto row = stmt->step();
    if (!row) return row.error();
    if (!*row) return sessions;
    auto record = session_from_row(*stmt, db.path());
    if (!record) return record.error();
    sessions.push_back(std::move(record).value());
  }
}

Result<std::vector<SessionCount>> count_sessions(SqliteDb& db) {
  auto stmt = db.prepare("SELECT org, bot, status, COUNT(*) FROM sessions GROUP BY org, bot, status", "count sessions");
  if (!stmt) return stmt.error();
  std::vector<SessionCount> counts;
  for (;;) {
    auto row = stmt->step();
    if (!row) return row.error();
    if (!*row) return counts;
    const auto status = parse_session_status(stmt->column_text(2));
    if (!status) continue;  // an unknown status is reported by the reads that need the session
    counts.push_back(SessionCount{OrgId{stmt->column_text(0)}, BotId{stmt->column_text(1)}, *status, stmt->column_int(3)});
  }
}

Result<nlohmann::json> select_definition(SqliteDb& db, const std::string& hash) {
  const std::string what = "get definition " + hash;
  auto stmt = db.prepare("SELECT body FROM definitions WHERE hash = ?", what);
  if (!stmt) return stmt.error();
  auto row = stmt->bind(1, hash).step();
  if (!row) return row.error();
  if (!*row) return Error{Errc::not_found, what + ": no such definition"};
  auto body = nlohmann::json::parse(stmt->column_text(0), nullptr, false);
  if (body.is_discarded()) {
    return Error{Errc::fatal, "database " + db.path().string() + ": definition " + hash + " is not valid JSON"};
  }
  return body;
}

Result<LeaseEpoch> increment_epoch(SqliteDb& db, const SessionId& id) {
  const std::string what = "claim session=" + id.str();
  // claim() is a take-over by an anonymous owner: whoever held the lease is fenced.
  auto stmt = db.prepare(
      "UPDATE sessions SET epoch = epoch + 1, lease_owner = NULL, lease_expires_ms = 0 WHERE id = ? RETURNING epoch",
      what);
  if (!stmt) return stmt.error();
  auto row = stmt->bind(1, id.str()).step();
  if (!row) return row.error();
  if (!*row) return session_not_found_error("claim", id);
  const LeaseEpoch epoch{stmt->column_int(0)};
  if (auto done = stmt->run(); !done) return done.error();  // finishes the UPDATE
  return epoch;
}

Result<void> upsert_checkpoint(SqliteDb& db, const SessionId& id, LeaseEpoch epoch, const Checkpoint& checkpoint) {
  constexpr std::string_view kOperation = "save_checkpoint";
  auto session = session_for_write(db, id, epoch, checkpoint.seq, kOperation);
  if (!session) return session.error();
  if (checkpoint.seq > session->last_seq || checkpoint.seq.value < 0) {
    return Error{Errc::invalid, "save_checkpoint session=" + id.str() + ": seq " +
                                    std::to_string(checkpoint.seq.value) + " is not in the history (last seq " +
                                    std::to_string(session->last_seq.value) + ")"};
  }
  return write_checkpoint_row(db, id, checkpoint, "save_checkpoint session=" + id.str());
}

Result<void> write_checkpoint_row(SqliteDb& db, const SessionId& id, const Checkpoint& checkpoint, const std::string& what) {
  return write_checkpoint_row(db, id, checkpoint.seq, checkpoint.state.dump(), what);
}

Result<void> write_checkpoint_row(SqliteDb& db, const SessionId& id, EventSeq seq, const std::string& state,
                                  const std::string& what) {
  auto stmt = db.prepare(
      "INSERT INTO checkpoints(session_id, seq, state) VALUES (?, ?, ?) "
      "ON CONFLICT(session_id) DO UPDATE SET seq = excluded.seq, state = excluded.state",
      what);
  if (!stmt) return stmt.error();
  return stmt->bind(1, id.str()).bind(2, seq.value).bind(3, state).run();
}

Result<std::optional<Checkpoint>> select_checkpoint(SqliteDb& db, const SessionId& id) {
  const std::string what = "load_checkpoint session=" + id.str();
  if (auto session = select_session(db, id, "load_checkpoint"); !session) return session.error();
  auto stmt = db.prepare("SELECT seq, state FROM checkpoints WHERE session_id = ?", what);
  if (!stmt) return stmt.error();
  auto row = stmt->bind(1, id.str()).step();
  if (!row) return row.error();
  if (!*row) return std::optional<Checkpoint>{};
  Checkpoint checkpoint;
  checkpoint.seq = EventSeq{stmt->column_int(0)};
  checkpoint.state = nlohmann::json::parse(stmt->column_text(1), nullptr, false);
  if (checkpoint.state.is_discarded()) {
    return Error{Errc::fatal,
                 "database " + db.path().string() + ": checkpoint of session " + id.str() + " is not valid JSON"};
  }
  return std::optional<Checkpoint>{std::move(checkpoint)};
}

}  // namespace agentrt::sqlite
