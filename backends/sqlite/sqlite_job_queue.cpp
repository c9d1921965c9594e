#include "backends/sqlite/sqlite_job_queue.hpp"

#include <utility>

#include "backends/sqlite/sqlite_errors.hpp"

namespace agentrt::sqlite {

std::unique_ptr<SqliteJob> SqliteJobQueue::push(std::unique_ptr<SqliteJob> job) {
  std::lock_guard lock(mutex_);
  if (closed_) return job;
  queue_.push_back(std::move(job));
  wake_.notify_one();
  return nullptr;
}

SqliteJobQueue::Batch SqliteJobQueue::wait() {
  std::unique_lock lock(mutex_);
  wake_.wait(lock, [this] { return closed_ || !queue_.empty(); });
  Batch batch;
  batch.jobs.swap(queue_);
  batch.closed = closed_;
  return batch;
}

void SqliteJobQueue::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  wake_.notify_one();
}

bool SqliteJobQueue::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

void cancel_job(std::unique_ptr<SqliteJob> job, const std::filesystem::path& path) {
  job->fail(stopped_error(path).with_context(job->what()));
  job->complete();
}

void cancel_jobs(Jobs& jobs, const std::filesystem::path& path) {
  const auto error = stopped_error(path);
  for (auto& job : jobs) {
    job->fail(error.with_context(job->what()));
    job->complete();
  }
  jobs.clear();
}

void run_read_jobs(SqliteDb& db, Jobs& reads) {
  const bool snapshot = db.exec("BEGIN", "read").ok();  // without it, each read is its own snapshot
  for (auto& job : reads) job->execute(db);
  if (snapshot) (void)db.exec("COMMIT", "read");
  for (auto& job : reads) job->complete();
  reads.clear();
}

}  // namespace agentrt::sqlite
