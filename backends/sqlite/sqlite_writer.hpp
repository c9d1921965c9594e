#pragma once
// The single thread that owns the store's writing SQLite connection. Jobs are queued from any
// thread; the writer takes everything queued and commits the writes in groups of at most
// `group_commit_max` per transaction (one SAVEPOINT per job, so a job that fails leaves the
// others in its group untouched). One fsync serves the group. Read jobs go to the reader
// thread when there is one (sqlite_reader.hpp says why); without one (a read-only store) the
// writer runs them first, in one read transaction.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "backends/sqlite/sqlite_db.hpp"
#include "backends/sqlite/sqlite_job.hpp"
#include "backends/sqlite/sqlite_job_queue.hpp"
#include "backends/sqlite/sqlite_reader.hpp"
#include "backends/sqlite/wal_checkpointer.hpp"

namespace agentrt::sqlite {

class SqliteWriter {
 public:
  // `reader` (optional) runs the read jobs; `checkpointer` (optional) copies the log in the
  // background, and the writer finishes its restarts between groups (wal_checkpointer.hpp).
  SqliteWriter(SqliteDb db, std::size_t group_commit_max, std::unique_ptr<SqliteReader> reader = nullptr,
               std::unique_ptr<WalCheckpointer> checkpointer = nullptr);
  ~SqliteWriter();  // stop()
  SqliteWriter(const SqliteWriter&) = delete;
  SqliteWriter& operator=(const SqliteWriter&) = delete;

  // Queues a job. After stop() the job completes at once with Errc::cancelled.
  void submit(std::unique_ptr<SqliteJob> job);
  void operator()(std::unique_ptr<SqliteJob> job) { submit(std::move(job)); }

  // Lets the running group finish, completes every job still queued with Errc::cancelled,
  // joins the thread and closes the connection; stops the checkpointer and the reader likewise.
  // Idempotent; callable from any thread but the writer's own.
  void stop();

  [[nodiscard]] std::uint64_t transactions() const { return transactions_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t appends() const { return appends_.load(std::memory_order_relaxed); }
  [[nodiscard]] const WalCheckpointer* checkpointer() const { return checkpointer_.get(); }

 private:
  void run();
  void process(Jobs jobs);
  void run_write_group(std::vector<SqliteJob*>& group);
  std::optional<Error> execute_group(std::vector<SqliteJob*>& group, std::uint64_t& appended);

  const std::filesystem::path path_;  // for messages, also after the connection is closed
  std::unique_ptr<SqliteDb> db_;      // touched by the writer thread only, until it is joined
  const std::size_t group_commit_max_;
  std::atomic<std::uint64_t> transactions_{0};
  std::atomic<std::uint64_t> appends_{0};
  const std::unique_ptr<SqliteReader> reader_;  // null: reads run here
  const std::unique_ptr<WalCheckpointer> checkpointer_;
  SqliteJobQueue queue_;
  std::thread thread_;  // last: starts after everything above is ready
};

}  // namespace agentrt::sqlite
