#pragma once
// SessionStore on one SQLite 3 database file (WAL): the embedded default store of
// `agentrt run`, and of several `agentrt serve` processes sharing one file.
//
// One writer thread owns the connection; every method queues a job for it and completes on
// the caller's executor. Appends queued together commit in one transaction (group commit),
// each in its own savepoint, so one failing append never affects another. Schema, locking
// and consistency notes: backends/sqlite/README.md.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>

#include "core/model/error.hpp"
#include "core/ports/kv_store.hpp"
#include "core/ports/lease_store.hpp"
#include "core/ports/session_store.hpp"

namespace agentrt {

namespace sqlite {
class SqliteWriter;
}

struct SqliteOptions {
  std::filesystem::path path;                    // database file; its parent folder is created if missing
  bool read_only = false;                        // open without write access (agentrt inspect); default false
  std::chrono::milliseconds busy_timeout{5000};  // wait this long for another process's lock; default 5000 ms
  std::size_t group_commit_max = 256;            // most jobs committed in one transaction; default 256
  bool synchronous_full = true;                  // PRAGMA synchronous=FULL (else NORMAL); default true
};

// Counters since open, for tests and benchmarks.
struct SqliteStats {
  std::uint64_t transactions = 0;  // committed write transactions
  std::uint64_t appends = 0;       // successful appends committed
  std::uint64_t wal_checkpoints = 0;  // background checkpoints of the write-ahead log
  std::uint64_t wal_restarts = 0;     // of which made the log start over (wal_checkpointer.hpp)
};

class SqliteSessionStore final : public SessionStore {
 public:
  // Use open_sqlite_session_store(); `writer` owns the opened, migrated connection (and the
  // store's other threads: reader, checkpointer).
  SqliteSessionStore(SqliteOptions options, std::unique_ptr<sqlite::SqliteWriter> writer);
  ~SqliteSessionStore() override;  // stop()
  SqliteSessionStore(const SqliteSessionStore&) = delete;
  SqliteSessionStore& operator=(const SqliteSessionStore&) = delete;

  boost::asio::awaitable<Result<void>> create_session(SessionRecord record, nlohmann::json definition,
                                                      std::vector<Event> first_events) override;
  boost::asio::awaitable<Result<SessionRecord>> get_session(SessionId id) override;
  boost::asio::awaitable<Result<std::vector<SessionRecord>>> list_sessions(SessionQuery query) override;
  boost::asio::awaitable<Result<std::vector<SessionCount>>> count_sessions() override;
  boost::asio::awaitable<Result<nlohmann::json>> get_definition(std::string hash) override;
  boost::asio::awaitable<Result<LeaseEpoch>> claim(SessionId id) override;
  boost::asio::awaitable<Result<void>> append(AppendRequest request) override;
  boost::asio::awaitable<Result<std::vector<Event>>> read_events(SessionId id, EventSeq after,
                                                                 std::size_t limit) override;
  boost::asio::awaitable<Result<std::int64_t>> reset(ResetRequest request) override;
  boost::asio::awaitable<Result<std::vector<ArchivedBranch>>> read_archived_branches(SessionId id) override;
  boost::asio::awaitable<Result<void>> save_checkpoint(SessionId id, LeaseEpoch epoch, Checkpoint checkpoint) override;
  boost::asio::awaitable<Result<std::optional<Checkpoint>>> load_checkpoint(SessionId id) override;
  boost::asio::awaitable<Result<bool>> enqueue(SessionId id, InboxMessage message) override;
  boost::asio::awaitable<Result<std::vector<InboxMessage>>> pending_messages(SessionId id, std::size_t limit) override;

  // The LeaseStore on this database (backends/sqlite/sqlite_lease_store.hpp): it shares this
  // store's writer thread and epoch column. It must not outlive this store.
  [[nodiscard]] std::unique_ptr<LeaseStore> lease_store();
  // The KvStore on this database (backends/sqlite/sqlite_kv_store.hpp), on the same writer
  // thread. It must not outlive this store.
  [[nodiscard]] std::unique_ptr<KvStore> kv_store();

  [[nodiscard]] SqliteStats stats() const;
  // Finishes the running commit group, completes queued jobs with Errc::cancelled, joins the
  // writer thread and closes the database. Later calls complete with Errc::cancelled. Idempotent.
  // Call it (or destroy the store) before the io_contexts of pending callers are destroyed.
  void stop();
  [[nodiscard]] const std::filesystem::path& path() const { return options_.path; }

 private:
  SqliteOptions options_;
  std::unique_ptr<sqlite::SqliteWriter> writer_;
};

// Opens the database, creating it and migrating the schema if needed (not when read-only).
// Errors name the path: Errc::fatal for a corrupt file, a file that is not a database, a
// schema newer than this build or a file that cannot be opened; Errc::retryable when another
// process holds the lock longer than busy_timeout. Blocks: call it before the event loop runs.
Result<std::unique_ptr<SqliteSessionStore>> open_sqlite_session_store(SqliteOptions options);

}  // namespace agentrt
