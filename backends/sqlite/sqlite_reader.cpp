#include "backends/sqlite/sqlite_reader.hpp"

#include <utility>

namespace agentrt::sqlite {

Result<std::unique_ptr<SqliteReader>> SqliteReader::start(SqliteDb db) {
  if (auto r = db.exec("PRAGMA query_only = ON", "configure reader"); !r) return r.error();
  return std::make_unique<SqliteReader>(std::move(db));
}

SqliteReader::SqliteReader(SqliteDb db)
    : path_(db.path()), db_(std::make_unique<SqliteDb>(std::move(db))), thread_([this] { run(); }) {}

SqliteReader::~SqliteReader() { stop(); }

void SqliteReader::submit(std::unique_ptr<SqliteJob> job) {
  if (auto refused = queue_.push(std::move(job))) cancel_job(std::move(refused), path_);
}

void SqliteReader::stop() {
  queue_.close();
  if (thread_.joinable()) thread_.join();
}

void SqliteReader::run() {
  for (;;) {
    auto batch = queue_.wait();
    if (batch.closed) {
      cancel_jobs(batch.jobs, path_);
      break;
    }
    run_read_jobs(*db_, batch.jobs);
  }
  db_.reset();  // closes the connection on the thread that used it
}

}  // namespace agentrt::sqlite
