#include "backends/sqlite/wal_checkpointer.hpp"

#include <string>
#include <utility>

#include <spdlog/spdlog.h>

namespace agentrt::sqlite {

Result<WalCheckpointOutcome> checkpoint_wal(SqliteDb& db, std::string_view mode) {
  auto stmt = db.prepare("PRAGMA wal_checkpoint(" + std::string(mode) + ")", "checkpoint the write-ahead log");
  if (!stmt) return stmt.error();
  auto row = stmt->step();
  if (!row) return row.error();
  if (!*row) return WalCheckpointOutcome{};
  WalCheckpointOutcome outcome{stmt->column_int(0) != 0, stmt->column_int(1), stmt->column_int(2)};
  if (auto done = stmt->step(); !done) return done.error();  // finishes (and resets) the statement
  return outcome;
}

Result<std::unique_ptr<WalCheckpointer>> WalCheckpointer::start(const std::filesystem::path& path,
                                                                std::chrono::milliseconds busy_timeout,
                                                                std::chrono::milliseconds interval,
                                                                std::int64_t restart_frames) {
  auto db = SqliteDb::open({path, false, busy_timeout});
  if (!db) return db.error().with_context("open the WAL checkpointer's connection");
  return std::make_unique<WalCheckpointer>(std::move(db).value(), interval, restart_frames);
}

WalCheckpointer::WalCheckpointer(SqliteDb db, std::chrono::milliseconds interval, std::int64_t restart_frames)
    : db_(std::make_unique<SqliteDb>(std::move(db))),
      interval_(interval),
      restart_frames_(restart_frames),
      thread_([this] { run(); }) {}

WalCheckpointer::~WalCheckpointer() { stop(); }

void WalCheckpointer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void WalCheckpointer::finish_restart(SqliteDb& writer_db) {
  auto done = checkpoint_wal(writer_db, "PASSIVE");
  if (done && !done->busy && done->checkpointed_frames == done->log_frames) {
    restart_wanted_.store(false, std::memory_order_relaxed);
    restarts_.fetch_add(1, std::memory_order_relaxed);
  }
}

void WalCheckpointer::run() {
  bool warned = false;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, interval_, [this] { return stopping_; })) break;
    }
    auto done = checkpoint_wal(*db_, "PASSIVE");
    if (done) {
      checkpoints_.fetch_add(1, std::memory_order_relaxed);
      restart_wanted_.store(done->log_frames >= restart_frames_, std::memory_order_relaxed);
      warned = false;
    } else if (!warned) {  // once per outage, not every round
      warned = true;
      spdlog::warn("sqlite: {} (retrying every {} ms; the log grows meanwhile)", done.error().to_string(),
                   interval_.count());
    }
  }
  db_.reset();  // closes the connection on the thread that used it
}

}  // namespace agentrt::sqlite
