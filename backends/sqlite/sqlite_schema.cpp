#include "backends/sqlite/sqlite_schema.hpp"

#include <array>
#include <string>
#include <string_view>

#include "backends/sqlite/sqlite_errors.hpp"

namespace agentrt::sqlite {
namespace {

struct Migration {
  std::int64_t version;
  std::string_view sql;
};

// Ordered; each one is applied at most once. Never edit one that has shipped: add another.
constexpr std::array kMigrations{
    Migration{1, R"sql(
CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  org TEXT NOT NULL,
  bot TEXT NOT NULL,
  definition_hash TEXT NOT NULL,
  status TEXT NOT NULL,
  last_seq INTEGER NOT NULL DEFAULT 0,
  epoch INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  wake_at_ms INTEGER NULL
);
CREATE INDEX sessions_by_created ON sessions(created_ms DESC);
CREATE INDEX sessions_by_org_bot ON sessions(org, bot, created_ms DESC);
CREATE INDEX sessions_by_status ON sessions(status, created_ms DESC);
CREATE INDEX sessions_by_wake_at ON sessions(wake_at_ms) WHERE wake_at_ms IS NOT NULL;

CREATE TABLE definitions (
  hash TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);

CREATE TABLE events (
  session_id TEXT NOT NULL REFERENCES sessions(id),
  seq INTEGER NOT NULL,
  type TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (session_id, seq)
);

CREATE TABLE checkpoints (
  session_id TEXT PRIMARY KEY REFERENCES sessions(id),
  seq INTEGER NOT NULL,
  state TEXT NOT NULL
);

CREATE TABLE inbox (
  session_id TEXT NOT NULL REFERENCES sessions(id),
  message_id TEXT NOT NULL,
  text TEXT NOT NULL,
  enqueued_ms INTEGER NOT NULL,
  consumed_seq INTEGER NULL,
  PRIMARY KEY (session_id, message_id)
);
CREATE INDEX inbox_pending ON inbox(session_id, enqueued_ms) WHERE consumed_seq IS NULL;
)sql"},
    // Leases live on the session row (one conditional UPDATE each); reset() moves history
    // tails to archived branches instead of deleting them.
    Migration{2, R"sql(
ALTER TABLE sessions ADD COLUMN lease_owner TEXT NULL;
ALTER TABLE sessions ADD COLUMN lease_expires_ms INTEGER NOT NULL DEFAULT 0;

CREATE TABLE archived_events (
  session_id TEXT NOT NULL REFERENCES sessions(id),
  branch INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  type TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (session_id, branch, seq)
);
)sql"},
    // The KvStore port: one row per (org, bot, key); the value is compact JSON text.
    Migration{3, R"sql(
CREATE TABLE kv (
  org TEXT NOT NULL,
  bot TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (org, bot, key)
) WITHOUT ROWID;
)sql"},
    // The dispatcher takes sessions with pending messages oldest message first and stops after
    // a few (select_runnable), instead of reading and sorting the whole backlog each time.
    Migration{4, R"sql(
CREATE INDEX inbox_pending_by_time ON inbox(enqueued_ms) WHERE consumed_seq IS NULL;
)sql"},
};

constexpr std::string_view kCreateVersionTable =
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_ms INTEGER NOT NULL)";

// 0 for a database without the version table (new, or not ours yet).
Result<std::int64_t> current_version(SqliteDb& db) {
  auto exists =
      db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'", "read schema version");
  if (!exists) return exists.error();
  auto found = exists->step();
  if (!found) return found.error();
  if (!*found) return std::int64_t{0};
  auto max = db.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version", "read schema version");
  if (!max) return max.error();
  auto row = max->step();
  if (!row) return row.error();
  return max->column_int(0);
}

Result<void> apply_missing(SqliteDb& db) {
  if (auto created = db.exec(kCreateVersionTable, "create schema_version table"); !created) return created;
  auto version = current_version(db);
  if (!version) return version.error();
  if (*version > supported_schema_version()) {
    return schema_too_new_error(db.path(), *version, supported_schema_version());
  }
  for (const auto& migration : kMigrations) {
    if (migration.version <= *version) continue;
    const std::string what = "apply schema migration " + std::to_string(migration.version);
    if (auto applied = db.exec(migration.sql, what); !applied) return applied;
    auto record = db.prepare(
        "INSERT INTO schema_version(version, applied_ms) "
        "VALUES (?, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))",
        what);
    if (!record) return record.error();
    if (auto done = record->bind(1, migration.version).run(); !done) return done;
  }
  return ok_result();
}

}  // namespace

std::int64_t supported_schema_version() noexcept { return kMigrations.back().version; }

Result<void> configure_connection(SqliteDb& db, bool synchronous_full) {
  // Reading the journal mode is the first access to the file: it detects garbage early.
  if (auto r = db.exec("PRAGMA foreign_keys = ON", "configure"); !r) return r;
  if (!db.options().read_only) {
    if (auto r = db.exec("PRAGMA journal_mode = WAL", "enable WAL"); !r) return r;
    const auto sync = synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL";
    if (auto r = db.exec(sync, "configure"); !r) return r;
  }
  // Forces a read of the header and schema even when nothing above touched the file.
  return db.exec("SELECT count(*) FROM sqlite_master", "read schema");
}

Result<void> migrate(SqliteDb& db) {
  // IMMEDIATE takes the write lock first, so two processes migrating at once serialise and
  // the second one sees the first one's version.
  if (auto begun = db.exec("BEGIN IMMEDIATE", "migrate schema"); !begun) return begun;
  auto applied = apply_missing(db);
  if (!applied) {
    (void)db.exec("ROLLBACK", "migrate schema");
    return applied;
  }
  if (auto committed = db.exec("COMMIT", "migrate schema"); !committed) {
    (void)db.exec("ROLLBACK", "migrate schema");
    return committed;
  }
  return ok_result();
}

Result<void> check_schema(SqliteDb& db) {
  auto version = current_version(db);
  if (!version) return version.error();
  if (*version > supported_schema_version()) {
    return schema_too_new_error(db.path(), *version, supported_schema_version());
  }
  if (*version < supported_schema_version()) {
    return Error{Errc::fatal, "database " + db.path().string() + " has schema version " + std::to_string(*version) +
                                  ", older than this build (" + std::to_string(supported_schema_version()) +
                                  "); open it once read-write (agentrt run or serve) to migrate it"};
  }
  return ok_result();
}

}  // namespace agentrt::sqlite
