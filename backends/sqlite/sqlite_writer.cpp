#include "backends/sqlite/sqlite_writer.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "backends/sqlite/sqlite_errors.hpp"

namespace agentrt::sqlite {
namespace {

// Transaction control statements: their errors get each job's own context instead.
constexpr std::string_view kNoContext;

}  // namespace

SqliteWriter::SqliteWriter(SqliteDb db, std::size_t group_commit_max, std::unique_ptr<SqliteReader> reader,
                           std::unique_ptr<WalCheckpointer> checkpointer)
    : path_(db.path()),
      db_(std::make_unique<SqliteDb>(std::move(db))),
      group_commit_max_(std::max<std::size_t>(group_commit_max, 1)),
      reader_(std::move(reader)),
      checkpointer_(std::move(checkpointer)),
      thread_([this] { run(); }) {}

SqliteWriter::~SqliteWriter() { stop(); }

void SqliteWriter::submit(std::unique_ptr<SqliteJob> job) {
  if (reader_ && job->kind() == JobKind::read) {
    reader_->submit(std::move(job));
    return;
  }
  if (auto refused = queue_.push(std::move(job))) cancel_job(std::move(refused), path_);
}

void SqliteWriter::stop() {
  queue_.close();
  if (thread_.joinable()) thread_.join();
  if (checkpointer_) checkpointer_->stop();
  if (reader_) reader_->stop();
}

void SqliteWriter::run() {
  for (;;) {
    auto batch = queue_.wait();
    if (batch.closed) {
      cancel_jobs(batch.jobs, path_);
      break;
    }
    process(std::move(batch.jobs));
    if (checkpointer_ && checkpointer_->restart_wanted()) checkpointer_->finish_restart(*db_);
  }
  db_.reset();  // closes the connection on the thread that used it
}

// Jobs queued at the same time are concurrent, so any order among them is a valid one: the
// reads go first (one snapshot), then the writes in commit groups.
void SqliteWriter::process(Jobs jobs) {
  Jobs reads;
  std::vector<SqliteJob*> writes;
  for (auto& job : jobs) {
    if (job->kind() == JobKind::read) {
      reads.push_back(std::move(job));
    } else {
      writes.push_back(job.get());
    }
  }
  if (!reads.empty()) run_read_jobs(*db_, reads);
  for (std::size_t begin = 0; begin < writes.size(); begin += group_commit_max_) {
    const std::size_t end = std::min(writes.size(), begin + group_commit_max_);
    std::vector<SqliteJob*> group(writes.begin() + static_cast<std::ptrdiff_t>(begin),
                                  writes.begin() + static_cast<std::ptrdiff_t>(end));
    if (begin > 0 && queue_.closed()) {  // shutting down: what has not run is cancelled, not lost
      for (auto* job : group) {
        job->fail(stopped_error(path_).with_context(job->what()));
        job->complete();
      }
      continue;
    }
    run_write_group(group);
  }
}

void SqliteWriter::run_write_group(std::vector<SqliteJob*>& group) {
  std::uint64_t appended = 0;
  if (auto aborted = execute_group(group, appended)) {
    // Nothing of the group committed: every job that succeeded (or did not run) reports why.
    for (auto* job : group) job->fail_if_succeeded(aborted->with_context(job->what()));
  } else {
    transactions_.fetch_add(1, std::memory_order_relaxed);
    appends_.fetch_add(appended, std::memory_order_relaxed);
  }
  for (auto* job : group) job->complete();
}

// One transaction for the group, one savepoint per job: a job that fails is rolled back to its
// savepoint alone. Returns the error that aborted the whole transaction, if any.
std::optional<Error> SqliteWriter::execute_group(std::vector<SqliteJob*>& group, std::uint64_t& appended) {
  auto abort = [this](Error error) {
    if (db_->in_transaction()) (void)db_->exec("ROLLBACK", kNoContext);
    return error;
  };
  if (auto begun = db_->exec("BEGIN IMMEDIATE", kNoContext); !begun) return begun.error();
  for (auto* job : group) {
    if (auto saved = db_->exec("SAVEPOINT job", kNoContext); !saved) return abort(saved.error());
    const bool ok = job->execute(*db_);
    if (!db_->in_transaction()) {  // SQLite rolled everything back itself (I/O error, disk full)
      return Error{Errc::fatal, "database " + path_.string() + ": transaction rolled back by SQLite"};
    }
    auto ended = ok ? db_->exec("RELEASE job", kNoContext) : db_->exec("ROLLBACK TO job; RELEASE job", kNoContext);
    if (!ended) return abort(ended.error());
    if (ok && job->kind() == JobKind::append) ++appended;
  }
  if (auto committed = db_->exec("COMMIT", kNoContext); !committed) return abort(committed.error());
  return std::nullopt;
}

}  // namespace agentrt::sqlite
