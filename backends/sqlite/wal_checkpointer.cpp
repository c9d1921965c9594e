#include "backends/sqlite/wal_checkpointer.hpp"

#include <utility>

#include <spdlog/spdlog.h>

namespace agentrt::sqlite {

Result<std::unique_ptr<WalCheckpointer>> WalCheckpointer::start(const std::filesystem::path& path,
                                                                std::chrono::milliseconds busy_timeout,
                                                                std::chrono::milliseconds interval) {
  auto db = SqliteDb::open({path, false, busy_timeout});
  if (!db) return db.error().with_context("open the WAL checkpointer's connection");
  return std::make_unique<WalCheckpointer>(std::move(db).value(), interval);
}

WalCheckpointer::WalCheckpointer(SqliteDb db, std::chrono::milliseconds interval)
    : db_(std::make_unique<SqliteDb>(std::move(db))), interval_(interval), thread_([this] { run(); }) {}

WalCheckpointer::~WalCheckpointer() { stop(); }

void WalCheckpointer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void WalCheckpointer::run() {
  bool warned = false;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, interval_, [this] { return stopping_; })) break;
    }
    auto done = db_->exec("PRAGMA wal_checkpoint(PASSIVE)", "checkpoint the write-ahead log");
    if (done) {
      checkpoints_.fetch_add(1, std::memory_order_relaxed);
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
