#pragma once
// WalCheckpointer: copies the write-ahead log into the database file on a thread of its own.
//
// Why: by default SQLite checkpoints inside the commit that pushes the WAL past 1000 pages, so
// every few hundred commits one session's step waits for the copy and its fsyncs (a p99 spike
// on the critical path). The store turns that off on its writer connection
// (wal_autocheckpoint=0) and runs this instead: a PASSIVE checkpoint every `interval` on its own
// connection, which never blocks the writer or readers (it copies what no reader still needs;
// the rest waits for the next round). Failures are logged and retried next round; the WAL only
// grows while they last.
//
// Starting the log over. SQLite writes the log from its start again only when a write begins
// after a checkpoint copied every frame. Under steady load that never happens here: commits
// keep adding frames while this thread copies, so the log grew without bound (serve_bench:
// 40 MB/s; disk use, and every fsync also writing the file's new size). So once a round finds
// `restart_frames` or more in the log, it raises restart_wanted(), and the writer thread, between
// two groups, runs finish_restart() on its own connection: a PASSIVE checkpoint of the few frames
// committed since this round's copy (no commit can add any meanwhile, and it waits for no lock),
// after which its next commit starts the log over. (A RESTART checkpoint from this thread did the
// same but held the write lock 2 to 20 ms while it waited for readers: worse for the p99.)

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include "backends/sqlite/sqlite_db.hpp"
#include "core/model/error.hpp"

namespace agentrt::sqlite {

// What `PRAGMA wal_checkpoint(...)` reports.
struct WalCheckpointOutcome {
  bool busy = false;  // SQLite could not finish (a lock or a reader was in the way)
  std::int64_t log_frames = 0;
  std::int64_t checkpointed_frames = 0;
};
// Runs a checkpoint in `mode` ("PASSIVE", ...) on `db`.
Result<WalCheckpointOutcome> checkpoint_wal(SqliteDb& db, std::string_view mode);

class WalCheckpointer {
 public:
  // 4,096 frames: about 16 MB of 4 KB pages, a few hundred milliseconds of a busy worker.
  static constexpr std::int64_t kRestartFrames = 4096;

  // Opens its connection to `path` (already created and migrated) and starts the thread.
  static Result<std::unique_ptr<WalCheckpointer>> start(const std::filesystem::path& path,
                                                        std::chrono::milliseconds busy_timeout,
                                                        std::chrono::milliseconds interval,
                                                        std::int64_t restart_frames = kRestartFrames);
  WalCheckpointer(SqliteDb db, std::chrono::milliseconds interval, std::int64_t restart_frames = kRestartFrames);
  ~WalCheckpointer();  // stop()
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Ends the thread (after the checkpoint in progress, if any) and closes the connection.
  void stop();
  [[nodiscard]] std::uint64_t checkpoints() const { return checkpoints_.load(std::memory_order_relaxed); }
  // Catch-up checkpoints by the writer that copied the whole log, so it started over.
  [[nodiscard]] std::uint64_t restarts() const { return restarts_.load(std::memory_order_relaxed); }

  // For the writer thread, between groups: true when the last round found the log long.
  [[nodiscard]] bool restart_wanted() const { return restart_wanted_.load(std::memory_order_relaxed); }
  // The writer's catch-up: a PASSIVE checkpoint on `writer_db`, the writer's connection. Clears
  // restart_wanted() when it copied everything (the next commit starts the log over); else a
  // reader still needed older frames, and the writer tries again after its next group.
  void finish_restart(SqliteDb& writer_db);

 private:
  void run();

  std::unique_ptr<SqliteDb> db_;  // the thread's own, until it is joined
  const std::chrono::milliseconds interval_;
  const std::int64_t restart_frames_;
  std::atomic<std::uint64_t> checkpoints_{0};
  std::atomic<std::uint64_t> restarts_{0};
  std::atomic<bool> restart_wanted_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;     // last: starts after everything above is ready
};

}  // namespace agentrt::sqlite
