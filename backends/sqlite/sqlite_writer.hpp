#pragma once
// The single thread that owns the SQLite connection. Jobs are queued from any thread; the
// writer takes everything queued, runs the reads in one read transaction, then commits the
// writes in groups of at most `group_commit_max` per transaction (one SAVEPOINT per job, so
// a job that fails leaves the others in its group untouched). One fsync serves the group.

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "backends/sqlite/sqlite_db.hpp"
#include "backends/sqlite/sqlite_job.hpp"

namespace agentrt::sqlite {

class SqliteWriter {
 public:
  SqliteWriter(SqliteDb db, std::size_t group_commit_max);
  ~SqliteWriter();  // stop()
  SqliteWriter(const SqliteWriter&) = delete;
  SqliteWriter& operator=(const SqliteWriter&) = delete;

  // Queues a job. After stop() the job completes at once with Errc::cancelled.
  void submit(std::unique_ptr<SqliteJob> job);
  void operator()(std::unique_ptr<SqliteJob> job) { submit(std::move(job)); }

  // Lets the running group finish, completes every job still queued with Errc::cancelled,
  // joins the thread and closes the connection. Idempotent; callable from any thread but
  // the writer's own.
  void stop();

  [[nodiscard]] std::uint64_t transactions() const { return transactions_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t appends() const { return appends_.load(std::memory_order_relaxed); }

 private:
  using Jobs = std::deque<std::unique_ptr<SqliteJob>>;

  void run();
  void process(Jobs jobs);
  void run_reads(std::vector<SqliteJob*>& reads);
  void run_write_group(std::vector<SqliteJob*>& group);
  std::optional<Error> execute_group(std::vector<SqliteJob*>& group, std::uint64_t& appended);
  bool stopping() const;
  void cancel_all(Jobs& jobs);

  const std::filesystem::path path_;  // for messages, also after the connection is closed
  std::unique_ptr<SqliteDb> db_;      // touched by the writer thread only, until it is joined
  const std::size_t group_commit_max_;
  std::atomic<std::uint64_t> transactions_{0};
  std::atomic<std::uint64_t> appends_{0};

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  Jobs queue_;             // guarded by mutex_
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;     // last: starts after everything above is ready
};

}  // namespace agentrt::sqlite
