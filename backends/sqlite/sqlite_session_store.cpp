#include "backends/sqlite/sqlite_session_store.hpp"

#include <system_error>
#include <utility>

#include "backends/sqlite/sqlite_errors.hpp"
#include "backends/sqlite/sqlite_job.hpp"
#include "backends/sqlite/sqlite_kv_store.hpp"
#include "backends/sqlite/sqlite_lease_store.hpp"
#include "backends/sqlite/sqlite_reader.hpp"
#include "backends/sqlite/sqlite_reset_ops.hpp"
#include "backends/sqlite/sqlite_schema.hpp"
#include "backends/sqlite/sqlite_session_ops.hpp"
#include "backends/sqlite/sqlite_writer.hpp"
#include "backends/sqlite/wal_checkpointer.hpp"

namespace agentrt {

using boost::asio::awaitable;
using sqlite::failed_now;
using sqlite::JobKind;
using sqlite::run_job;
using sqlite::SqliteDb;

namespace {

Result<void> create_parent_folder(const std::filesystem::path& path) {
  const auto parent = path.parent_path();
  if (parent.empty()) return ok_result();
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) {
    return Error{Errc::fatal, "database " + path.string() + ": cannot create folder " + parent.string() + ": " +
                                  ec.message() + "; check that the path is right and writable"};
  }
  return ok_result();
}

constexpr std::chrono::milliseconds kWalCheckpointInterval{250};

Result<SqliteDb> open_database(const SqliteOptions& options) {
  if (options.path.empty()) return Error{Errc::invalid, "open SQLite store: empty database path"};
  if (!options.read_only) {
    if (auto made = create_parent_folder(options.path); !made) return made.error();
  }
  auto db = SqliteDb::open({options.path, options.read_only, options.busy_timeout});
  if (!db) return db.error();
  if (auto configured = sqlite::configure_connection(*db, options.synchronous_full); !configured) {
    return configured.error();
  }
  auto schema = options.read_only ? sqlite::check_schema(*db) : sqlite::migrate(*db);
  if (!schema) return schema.error();
  return db;
}

// An awaitable that is ready with `error`.

}  // namespace

// The port methods are plain functions returning run_job's awaitable: GCC 12 miscompiles
// lambdas with init-captures written inside a coroutine body (their strings were left
// pointing into the coroutine frame), so no method below is itself a coroutine.

Result<std::unique_ptr<SqliteSessionStore>> open_sqlite_session_store(SqliteOptions options) {
  auto db = open_database(options);
  if (!db) return db.error();
  std::unique_ptr<sqlite::WalCheckpointer> checkpointer;
  if (!options.read_only) {
    // Checkpoints move off the commit path (wal_checkpointer.hpp says why).
    if (auto off = db->exec("PRAGMA wal_autocheckpoint = 0", "configure"); !off) return off.error();
    // When the log starts over, a file grown past this (by a burst, or while a reader held
    // back a restart) is cut back to it.
    if (auto limit = db->exec("PRAGMA journal_size_limit = 67108864", "configure"); !limit) return limit.error();
    auto started = sqlite::WalCheckpointer::start(options.path, options.busy_timeout, kWalCheckpointInterval);
    if (!started) return started.error();
    checkpointer = std::move(started).value();
  }
  std::unique_ptr<sqlite::SqliteReader> reader;
  if (!options.read_only) {
    // Reads on a connection of their own (sqlite_reader.hpp says why). A read-only store has
    // no writes for them to wait behind.
    auto reader_db = SqliteDb::open({options.path, false, options.busy_timeout});
    if (!reader_db) return reader_db.error();
    if (auto configured = sqlite::configure_connection(*reader_db, options.synchronous_full); !configured) {
      return configured.error();
    }
    auto started = sqlite::SqliteReader::start(std::move(reader_db).value());
    if (!started) return started.error();
    reader = std::move(started).value();
  }
  auto writer = std::make_unique<sqlite::SqliteWriter>(std::move(db).value(), options.group_commit_max,
                                                       std::move(reader), std::move(checkpointer));
  return std::make_unique<SqliteSessionStore>(std::move(options), std::move(writer));
}

SqliteSessionStore::SqliteSessionStore(SqliteOptions options, std::unique_ptr<sqlite::SqliteWriter> writer)
    : options_(std::move(options)), writer_(std::move(writer)) {}

SqliteSessionStore::~SqliteSessionStore() { stop(); }

void SqliteSessionStore::stop() { writer_->stop(); }

SqliteStats SqliteSessionStore::stats() const {
  const auto* checkpointer = writer_->checkpointer();
  return {writer_->transactions(), writer_->appends(), checkpointer ? checkpointer->checkpoints() : 0,
          checkpointer ? checkpointer->restarts() : 0};
}

awaitable<Result<void>> SqliteSessionStore::create_session(SessionRecord record, nlohmann::json definition,
                                                           std::vector<Event> first_events) {
  if (options_.read_only) return failed_now<void>(sqlite::read_only_error(options_.path));
  auto what = "create_session session=" + record.id.str();
  return run_job<void>(*writer_, JobKind::write, std::move(what),
                       [record = std::move(record), body = definition.dump(), events = std::move(first_events)](
                           SqliteDb& db) { return sqlite::insert_session(db, record, body, events); });
}

awaitable<Result<SessionRecord>> SqliteSessionStore::get_session(SessionId id) {
  auto what = "get_session session=" + id.str();
  return run_job<SessionRecord>(*writer_, JobKind::read, std::move(what), [id = std::move(id)](SqliteDb& db) {
    return sqlite::select_session(db, id, "get_session");
  });
}

awaitable<Result<std::vector<SessionRecord>>> SqliteSessionStore::list_sessions(SessionQuery query) {
  return run_job<std::vector<SessionRecord>>(
      *writer_, JobKind::read, "list_sessions",
      [query = std::move(query)](SqliteDb& db) { return sqlite::select_sessions(db, query); });
}

awaitable<Result<std::vector<SessionCount>>> SqliteSessionStore::count_sessions() {
  return run_job<std::vector<SessionCount>>(*writer_, JobKind::read, "count_sessions",
                                            [](SqliteDb& db) { return sqlite::count_sessions(db); });
}

awaitable<Result<nlohmann::json>> SqliteSessionStore::get_definition(std::string hash) {
  auto what = "get_definition " + hash;
  return run_job<nlohmann::json>(*writer_, JobKind::read, std::move(what), [hash = std::move(hash)](SqliteDb& db) {
    return sqlite::select_definition(db, hash);
  });
}

awaitable<Result<LeaseEpoch>> SqliteSessionStore::claim(SessionId id) {
  if (options_.read_only) return failed_now<LeaseEpoch>(sqlite::read_only_error(options_.path));
  auto what = "claim session=" + id.str();
  return run_job<LeaseEpoch>(*writer_, JobKind::write, std::move(what),
                             [id = std::move(id)](SqliteDb& db) { return sqlite::increment_epoch(db, id); });
}

awaitable<Result<void>> SqliteSessionStore::append(AppendRequest request) {
  if (options_.read_only) return failed_now<void>(sqlite::read_only_error(options_.path));
  auto what = "append session=" + request.session.str();
  // JSON is written as text here, on the caller's thread (sqlite_session_ops.hpp, EncodedAppend).
  return run_job<void>(*writer_, JobKind::append, std::move(what),
                       [encoded = sqlite::encode_append(request)](SqliteDb& db) { return sqlite::append_events(db, encoded); });
}

awaitable<Result<std::vector<Event>>> SqliteSessionStore::read_events(SessionId id, EventSeq after, std::size_t limit) {
  auto what = "read_events session=" + id.str();
  return run_job<std::vector<Event>>(
      *writer_, JobKind::read, std::move(what),
      [id = std::move(id), after, limit](SqliteDb& db) { return sqlite::select_events(db, id, after, limit); });
}

awaitable<Result<std::int64_t>> SqliteSessionStore::reset(ResetRequest request) {
  if (options_.read_only) return failed_now<std::int64_t>(sqlite::read_only_error(options_.path));
  auto what = "reset session=" + request.session.str();
  return run_job<std::int64_t>(*writer_, JobKind::write, std::move(what), [request = std::move(request)](SqliteDb& db) {
    return sqlite::reset_history(db, request);
  });
}

awaitable<Result<std::vector<ArchivedBranch>>> SqliteSessionStore::read_archived_branches(SessionId id) {
  auto what = "read_archived_branches session=" + id.str();
  return run_job<std::vector<ArchivedBranch>>(
      *writer_, JobKind::read, std::move(what),
      [id = std::move(id)](SqliteDb& db) { return sqlite::select_archived_branches(db, id); });
}

std::unique_ptr<LeaseStore> SqliteSessionStore::lease_store() {
  return std::make_unique<SqliteLeaseStore>(*writer_, options_.path, options_.read_only);
}

std::unique_ptr<KvStore> SqliteSessionStore::kv_store() {
  return std::make_unique<SqliteKvStore>(*writer_, options_.path, options_.read_only);
}

awaitable<Result<void>> SqliteSessionStore::save_checkpoint(SessionId id, LeaseEpoch epoch, Checkpoint checkpoint) {
  if (options_.read_only) return failed_now<void>(sqlite::read_only_error(options_.path));
  auto what = "save_checkpoint session=" + id.str();
  return run_job<void>(*writer_, JobKind::write, std::move(what),
                       [id = std::move(id), epoch, checkpoint = std::move(checkpoint)](SqliteDb& db) {
                         return sqlite::upsert_checkpoint(db, id, epoch, checkpoint);
                       });
}

awaitable<Result<std::optional<Checkpoint>>> SqliteSessionStore::load_checkpoint(SessionId id) {
  auto what = "load_checkpoint session=" + id.str();
  return run_job<std::optional<Checkpoint>>(
      *writer_, JobKind::read, std::move(what),
      [id = std::move(id)](SqliteDb& db) { return sqlite::select_checkpoint(db, id); });
}

awaitable<Result<bool>> SqliteSessionStore::enqueue(SessionId id, InboxMessage message) {
  if (options_.read_only) return failed_now<bool>(sqlite::read_only_error(options_.path));
  auto what = "enqueue session=" + id.str();
  return run_job<bool>(*writer_, JobKind::write, std::move(what),
                       [id = std::move(id), message = std::move(message)](SqliteDb& db) {
                         return sqlite::insert_inbox_message(db, id, message);
                       });
}

awaitable<Result<std::vector<InboxMessage>>> SqliteSessionStore::pending_messages(SessionId id, std::size_t limit) {
  auto what = "pending_messages session=" + id.str();
  return run_job<std::vector<InboxMessage>>(
      *writer_, JobKind::read, std::move(what),
      [id = std::move(id), limit](SqliteDb& db) { return sqlite::select_pending_messages(db, id, limit); });
}

}  // namespace agentrt
