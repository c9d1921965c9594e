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

class WalCheckpointer {
 public:
  // Opens its connection to `path` (already created and migrated) and starts the thread.
  static Result<std::unique_ptr<WalCheckpointer>> start(const std::filesystem::path& path,
                                                        std::chrono::milliseconds busy_timeout,
                                                        std::chrono::milliseconds interval);
  WalCheckpointer(SqliteDb db, std::chrono::milliseconds interval);
  ~WalCheckpointer();  // stop()
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Ends the thread (after the checkpoint in progress, if any) and closes the connection.
  void stop();
  [[nodiscard]] std::uint64_t checkpoints() const { return checkpoints_.load(std::memory_order_relaxed); }

 private:
  void run();

  std::unique_ptr<SqliteDb> db_;  // the thread's own, until it is joined
  const std::chrono::milliseconds interval_;
  std::atomic<std::uint64_t> checkpoints_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;     // last: starts after everything above is ready
};

}  // namespace agentrt::sqlite
