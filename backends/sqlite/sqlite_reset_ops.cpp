#include "backends/sqlite/sqlite_reset_ops.hpp"

#include <string>

#include "backends/sqlite/sqlite_errors.hpp"
#include "backends/sqlite/sqlite_session_ops.hpp"

namespace agentrt::sqlite {
namespace {

Result<void> check_request(const ResetRequest& request, EventSeq last_seq, const std::string& what) {
  const auto to = request.to_seq.value;
  if (to < 1 || to >= last_seq.value) {
    return Error{Errc::invalid, what + ": cannot reset to event " + std::to_string(to) + ": it must be between 1 and " +
                                    std::to_string(last_seq.value - 1) + " (the last event is " +
                                    std::to_string(last_seq.value) + ")"};
  }
  if (request.reset_event.type != EventType::SessionReset || request.reset_event.seq.value != to + 1) {
    return Error{Errc::invalid, what + ": the reset must append a SessionReset event at seq " + std::to_string(to + 1)};
  }
  return ok_result();
}

Result<std::int64_t> next_branch(SqliteDb& db, const SessionId& id, const std::string& what) {
  auto stmt = db.prepare("SELECT COALESCE(MAX(branch), 0) + 1 FROM archived_events WHERE session_id = ?", what);
  if (!stmt) return stmt.error();
  auto row = stmt->bind(1, id.str()).step();
  if (!row) return row.error();
  const auto branch = *row ? stmt->column_int(0) : 1;
  if (auto done = stmt->run(); !done) return done.error();
  return branch;
}

// Copies events after to_seq into the branch, then removes them (and a later checkpoint).
Result<void> archive_tail(SqliteDb& db, const ResetRequest& request, std::int64_t branch, const std::string& what) {
  const auto& id = request.session.str();
  auto copy = db.prepare(
      "INSERT INTO archived_events(session_id, branch, seq, type, time_ms, data) "
      "SELECT session_id, ?, seq, type, time_ms, data FROM events WHERE session_id = ? AND seq > ?",
      what);
  if (!copy) return copy.error();
  if (auto r = copy->bind(1, branch).bind(2, id).bind(3, request.to_seq.value).run(); !r) return r;
  auto remove = db.prepare("DELETE FROM events WHERE session_id = ? AND seq > ?", what);
  if (!remove) return remove.error();
  if (auto r = remove->bind(1, id).bind(2, request.to_seq.value).run(); !r) return r;
  auto checkpoint = db.prepare("DELETE FROM checkpoints WHERE session_id = ? AND seq > ?", what);
  if (!checkpoint) return checkpoint.error();
  return checkpoint->bind(1, id).bind(2, request.to_seq.value).run();
}

}  // namespace

Result<std::int64_t> reset_history(SqliteDb& db, const ResetRequest& request) {
  const auto& id = request.session;
  const std::string what = "reset session=" + id.str();
  auto session = session_for_write(db, id, request.epoch, request.reset_event.seq, "reset");
  if (!session) return session.error();
  if (auto valid = check_request(request, session->last_seq, what); !valid) return valid.error();
  auto branch = next_branch(db, id, what);
  if (!branch) return branch.error();
  if (auto archived = archive_tail(db, request, *branch, what); !archived) return archived.error();

  Event reset_event = request.reset_event;
  if (!reset_event.data.is_object()) reset_event.data = nlohmann::json::object();
  reset_event.data["archived_branch"] = *branch;
  if (auto r = insert_events(db, id, {reset_event}, what); !r) return r.error();
  auto update = db.prepare(
      "UPDATE sessions SET last_seq = ?, updated_ms = MAX(updated_ms, ?), status = ?, wake_at_ms = ? WHERE id = ?",
      what);
  if (!update) return update.error();
  update->bind(1, reset_event.seq.value).bind(2, reset_event.time_ms).bind(3, session_status_name(request.status));
  if (auto r = update->bind(4, request.wake_at_ms).bind(5, id.str()).run(); !r) return r.error();
  return *branch;
}

Result<std::vector<ArchivedBranch>> select_archived_branches(SqliteDb& db, const SessionId& id) {
  if (auto session = select_session(db, id, "read_archived_branches"); !session) return session.error();
  auto stmt = db.prepare(
      "SELECT seq, type, time_ms, data, branch FROM archived_events WHERE session_id = ? ORDER BY branch, seq",
      "read_archived_branches session=" + id.str());
  if (!stmt) return stmt.error();
  stmt->bind(1, id.str());
  std::vector<ArchivedBranch> branches;
  for (;;) {
    auto row = stmt->step();
    if (!row) return row.error();
    if (!*row) return branches;
    auto event = event_from_row(*stmt, id, db.path());
    if (!event) return event.error();
    const auto branch = stmt->column_int(4);
    if (branches.empty() || branches.back().branch != branch) branches.push_back(ArchivedBranch{branch, {}});
    branches.back().events.push_back(std::move(event).value());
  }
}

}  // namespace agentrt::sqlite
