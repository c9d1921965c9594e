#pragma once
// The hand-off between callers on any thread and one SQLite thread (the writer or the reader):
// jobs are pushed from anywhere; the thread takes everything queued at once, so jobs queued
// together run as one batch (one commit group, or one read snapshot).

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>

#include "backends/sqlite/sqlite_job.hpp"

namespace agentrt::sqlite {

using Jobs = std::deque<std::unique_ptr<SqliteJob>>;

class SqliteJobQueue {
 public:
  // Queues `job` and wakes the thread; after close() the job is handed back (not queued).
  [[nodiscard]] std::unique_ptr<SqliteJob> push(std::unique_ptr<SqliteJob> job);

  struct Batch {
    Jobs jobs;
    bool closed = false;  // close() was called: the thread ends after dealing with `jobs`
  };
  // Blocks until a job is queued or the queue is closed; returns everything queued.
  Batch wait();

  // Wakes the thread; later pushes are refused. Idempotent.
  void close();
  [[nodiscard]] bool closed() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  Jobs queue_;          // guarded by mutex_
  bool closed_ = false;  // guarded by mutex_
};

// Completes each job with "database stopped" (Errc::cancelled), in the job's own context.
void cancel_jobs(Jobs& jobs, const std::filesystem::path& path);
void cancel_job(std::unique_ptr<SqliteJob> job, const std::filesystem::path& path);

// Runs read jobs in one read transaction (one snapshot of the database), then completes them.
void run_read_jobs(SqliteDb& db, Jobs& reads);

}  // namespace agentrt::sqlite
