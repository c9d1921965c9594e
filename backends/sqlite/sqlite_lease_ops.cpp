#include "backends/sqlite/sqlite_lease_ops.hpp"

#include <algorithm>
#include <optional>
#include <string_view>

#include "backends/sqlite/sqlite_errors.hpp"
#include "backends/sqlite/sqlite_session_ops.hpp"

namespace agentrt::sqlite {
namespace {

std::string on(std::string_view operation, const LeaseChange& change) {
  return std::string(operation) + " lease session=" + change.session.str() + " owner=" + change.owner;
}

Result<void> check_change(std::string_view operation, const LeaseChange& change, bool needs_ttl) {
  if (change.owner.empty()) return Error{Errc::invalid, on(operation, change) + ": empty owner"};
  if (needs_ttl && change.ttl.count() <= 0) {
    return Error{Errc::invalid, on(operation, change) + ": ttl must be positive, got " +
                                    std::to_string(change.ttl.count()) + " ms"};
  }
  return ok_result();
}

// "held by w-1 (epoch 3) until 12345 ms" / "not held (epoch 3)": why a change was refused.
std::string describe(const Lease& lease, std::int64_t now_ms) {
  const std::string epoch = "epoch " + std::to_string(lease.epoch.value);
  if (lease.owner.empty()) return "not held (" + epoch + ")";
  const bool expired = lease.expires_ms <= now_ms;
  return (expired ? "expired lease of " : "held by ") + lease.owner + " (" + epoch + ") " +
         (expired ? "since " : "until ") + std::to_string(lease.expires_ms) + " ms";
}

// Steps an UPDATE ... RETURNING epoch, lease_expires_ms: the new lease, or nullopt if no row matched.
Result<std::optional<Lease>> run_returning(Statement& stmt, const LeaseChange& change) {
  auto row = stmt.step();
  if (!row) return row.error();
  if (!*row) return std::optional<Lease>{};
  Lease lease{change.session, change.owner, LeaseEpoch{stmt.column_int(0)}, stmt.column_int(1)};
  if (auto done = stmt.run(); !done) return done.error();  // finishes the UPDATE
  return std::optional<Lease>{std::move(lease)};
}

}  // namespace

Result<Lease> select_lease(SqliteDb& db, const SessionId& id) {
  auto stmt = db.prepare("SELECT COALESCE(lease_owner, ''), epoch, lease_expires_ms FROM sessions WHERE id = ?",
                         "get lease session=" + id.str());
  if (!stmt) return stmt.error();
  auto row = stmt->bind(1, id.str()).step();
  if (!row) return row.error();
  if (!*row) return session_not_found_error("get lease", id);
  Lease lease{id, stmt->column_text(0), LeaseEpoch{stmt->column_int(1)}, stmt->column_int(2)};
  if (auto done = stmt->run(); !done) return done.error();
  return lease;
}

Result<Lease> acquire_lease(SqliteDb& db, const LeaseChange& change) {
  if (auto valid = check_change("acquire", change, true); !valid) return valid.error();
  // Free (no owner), expired, or already ours. A new owner gets epoch + 1; the same one keeps it.
  auto stmt = db.prepare(
      "UPDATE sessions SET "
      "epoch = CASE WHEN lease_owner IS ?1 THEN epoch ELSE epoch + 1 END, "
      "lease_owner = ?1, lease_expires_ms = ?2 + ?3 "
      "WHERE id = ?4 AND (lease_owner IS NULL OR lease_owner = '' OR lease_owner = ?1 OR lease_expires_ms <= ?2) "
      "RETURNING epoch, lease_expires_ms",
      on("acquire", change));
  if (!stmt) return stmt.error();
  stmt->bind(1, change.owner).bind(2, change.now_ms).bind(3, static_cast<std::int64_t>(change.ttl.count()));
  auto acquired = run_returning(stmt->bind(4, change.session.str()), change);
  if (!acquired) return acquired.error();
  if (*acquired) return std::move(**acquired);
  auto current = select_lease(db, change.session);
  if (!current) return current.error().code == Errc::not_found ? session_not_found_error("acquire lease", change.session)
                                                               : current.error();
  return Error{Errc::conflict, on("acquire", change) + ": " + describe(*current, change.now_ms)};
}

Result<Lease> renew_lease(SqliteDb& db, const LeaseChange& change) {
  if (auto valid = check_change("renew", change, true); !valid) return valid.error();
  auto stmt = db.prepare(
      "UPDATE sessions SET lease_expires_ms = ?1 + ?2 "
      "WHERE id = ?3 AND lease_owner = ?4 AND epoch = ?5 AND lease_expires_ms > ?1 "
      "RETURNING epoch, lease_expires_ms",
      on("renew", change));
  if (!stmt) return stmt.error();
  stmt->bind(1, change.now_ms).bind(2, static_cast<std::int64_t>(change.ttl.count()));
  stmt->bind(3, change.session.str()).bind(4, change.owner).bind(5, change.epoch.value);
  auto renewed = run_returning(*stmt, change);
  if (!renewed) return renewed.error();
  if (*renewed) return std::move(**renewed);
  auto current = select_lease(db, change.session);
  if (!current) return current.error().code == Errc::not_found ? session_not_found_error("renew lease", change.session)
                                                               : current.error();
  return Error{Errc::fenced, on("renew", change) + " epoch=" + std::to_string(change.epoch.value) +
                                 ": fenced, the lease is " + describe(*current, change.now_ms)};
}

Result<void> release_lease(SqliteDb& db, const LeaseChange& change) {
  if (auto valid = check_change("release", change, false); !valid) return valid.error();
  auto stmt = db.prepare(
      "UPDATE sessions SET lease_owner = NULL, lease_expires_ms = 0 WHERE id = ? AND lease_owner = ? AND epoch = ?",
      on("release", change));
  if (!stmt) return stmt.error();
  if (auto r = stmt->bind(1, change.session.str()).bind(2, change.owner).bind(3, change.epoch.value).run(); !r) return r;
  if (db.changes() == 1) return ok_result();
  auto current = select_lease(db, change.session);
  if (!current) return current.error().code == Errc::not_found ? session_not_found_error("release lease", change.session)
                                                               : current.error();
  return Error{Errc::fenced, on("release", change) + " epoch=" + std::to_string(change.epoch.value) +
                                 ": fenced, the lease is " + describe(*current, change.now_ms)};
}

Result<Lease> take_over_lease(SqliteDb& db, const LeaseChange& change) {
  if (auto valid = check_change("take over", change, true); !valid) return valid.error();
  auto stmt = db.prepare(
      "UPDATE sessions SET epoch = epoch + 1, lease_owner = ?1, lease_expires_ms = ?2 + ?3 WHERE id = ?4 "
      "RETURNING epoch, lease_expires_ms",
      on("take over", change));
  if (!stmt) return stmt.error();
  stmt->bind(1, change.owner).bind(2, change.now_ms).bind(3, static_cast<std::int64_t>(change.ttl.count()));
  auto taken = run_returning(stmt->bind(4, change.session.str()), change);
  if (!taken) return taken.error();
  if (!*taken) return session_not_found_error("take over lease", change.session);
  return std::move(**taken);
}

// How many sessions with pending messages select_runnable weighs at most (see there).
constexpr std::size_t kRunnableInboxCandidates = 256;

Result<std::vector<RunnableSession>> select_runnable(SqliteDb& db, std::int64_t now_ms, std::size_t limit) {
  // Driven by the three small sets a session can be runnable through, each read from its own
  // index (running: sessions_by_status; due timers: sessions_by_wake_at; pending messages: the
  // partial index inbox_pending_by_time), never by a scan of the idle and waiting sessions,
  // which are most rows and would make every dispatch cost O(sessions) on the store's thread
  // (serve_bench: 1 ms at 1,000 idle sessions, 90 ms at 100,000). The unary `+` keeps the
  // planner from driving the outer query (or the timer branch) by sessions_by_status instead.
  // Of the sessions with pending messages, the candidates are the kRunnableInboxCandidates (or
  // `limit`, if more) claimable ones whose messages waited longest, read in message order from
  // that index (the CROSS JOIN keeps it as the outer loop, so the scan stops there); then all
  // candidates go oldest updated_ms first as the port says. Reading and sorting the whole
  // backlog instead cost 15 ms per dispatch at 20,000 waiting sessions (0.3 ms this way), on
  // every free slot. (DynamoDB bounds its read likewise: kRunnableReadMax.)
  auto stmt = db.prepare(
      "SELECT id, org, bot, status, updated_ms FROM sessions "
      "WHERE rowid IN (SELECT rowid FROM sessions WHERE status = 'running' "
      "                UNION SELECT rowid FROM sessions WHERE wake_at_ms <= ?1 AND +status = 'sleeping' "
      "                UNION SELECT rowid FROM ("
      "                  SELECT DISTINCT s.rowid AS rowid FROM inbox i CROSS JOIN sessions s ON s.id = i.session_id "
      "                  WHERE i.consumed_seq IS NULL "
      "                    AND +s.status IN ('running', 'sleeping', 'idle', 'waiting_for_input') "
      "                    AND (s.lease_owner IS NULL OR s.lease_owner = '' OR s.lease_expires_ms <= ?1) "
      "                  ORDER BY i.enqueued_ms LIMIT ?3)) "
      "AND +status IN ('running', 'sleeping', 'idle', 'waiting_for_input') "
      "AND (lease_owner IS NULL OR lease_owner = '' OR lease_expires_ms <= ?1) "
      "ORDER BY updated_ms ASC, rowid ASC LIMIT ?2",
      "find runnable sessions");
  if (!stmt) return stmt.error();
  stmt->bind(1, now_ms).bind(2, sql_limit(limit)).bind(3, sql_limit(std::max(limit, kRunnableInboxCandidates)));
  std::vector<RunnableSession> runnable;
  for (;;) {
    auto row = stmt->step();
    if (!row) return row.error();
    if (!*row) return runnable;
    RunnableSession r{SessionId{stmt->column_text(0)}, OrgId{stmt->column_text(1)}, BotId{stmt->column_text(2)},
                      RunnableReason::inbox, stmt->column_int(4)};
    const auto status = stmt->column_text(3);
    if (status == "running") r.reason = RunnableReason::interrupted;
    if (status == "sleeping") r.reason = RunnableReason::timer_due;
    runnable.push_back(std::move(r));
  }
}

}  // namespace agentrt::sqlite
