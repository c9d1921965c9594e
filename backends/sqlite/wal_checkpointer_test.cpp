// The write-ahead log starts over under steady writes: the background round asks for it and the
// writer finishes it between groups, so the log file stays small instead of growing with every
// commit. Without the writer's part the same writes grew the log to their whole size.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "backends/sqlite/sqlite_schema.hpp"
#include "backends/sqlite/sqlite_test_support.hpp"
#include "backends/sqlite/sqlite_writer.hpp"
#include "backends/sqlite/wal_checkpointer.hpp"

namespace agentrt::sqlite {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

constexpr int kWrites = 3000;
constexpr std::size_t kBodyBytes = 4096;  // each write adds at least a page to the log
constexpr std::uintmax_t kWritten = kWrites * kBodyBytes;  // 12 MB

SqliteDb open_configured(const std::filesystem::path& path) {
  auto db = SqliteDb::open({path, false, std::chrono::milliseconds{2000}});
  EXPECT_TRUE(db.ok()) << db.error().to_string();
  EXPECT_TRUE(configure_connection(*db, false).ok());
  return std::move(db).value();
}

// Commits kWrites rows (keys from `first` on) one transaction each through `writer`, from an
// io_context.
void write_rows(SqliteWriter& writer, int first = 0) {
  boost::asio::io_context ctx;
  int failed = 0;
  boost::asio::co_spawn(
      ctx,
      [&]() -> boost::asio::awaitable<void> {
        const std::string body(kBodyBytes, 'x');
        for (int i = first; i < first + kWrites; ++i) {
          auto done = co_await run_job<void>(writer, JobKind::write, "insert", [i, &body](SqliteDb& db) -> Result<void> {
            auto stmt = db.prepare("INSERT INTO definitions(hash, body, created_ms) VALUES (?, ?, 0)", "insert");
            if (!stmt) return stmt.error();
            return stmt->bind(1, "h-" + std::to_string(i)).bind(2, body).run();
          });
          if (!done) ++failed;
        }
      },
      boost::asio::detached);
  ctx.run();
  EXPECT_EQ(failed, 0);
}

std::uintmax_t log_size(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path.string() + "-wal", ec);
  return ec ? 0 : size;
}

class WalRestartTest : public ::testing::Test {
 protected:
  // A writer whose connection never checkpoints itself, as the store opens it.
  std::unique_ptr<SqliteWriter> open_writer(std::unique_ptr<WalCheckpointer> checkpointer) {
    auto db = open_configured(path_);
    EXPECT_TRUE(migrate(db).ok());
    EXPECT_TRUE(db.exec("PRAGMA wal_autocheckpoint = 0", "configure").ok());
    return std::make_unique<SqliteWriter>(std::move(db), 16, nullptr, std::move(checkpointer));
  }
  std::unique_ptr<WalCheckpointer> start_checkpointer(std::int64_t restart_frames) {
    auto started = WalCheckpointer::start(path_, 2000ms, 5ms, restart_frames);
    EXPECT_TRUE(started.ok()) << started.error().to_string();
    return started.ok() ? std::move(started).value() : nullptr;
  }

  TempDir dir_;
  std::filesystem::path path_ = dir_.file("agentrt.db");
};

TEST_F(WalRestartTest, TheLogStartsOverUnderSteadyWritesAndStaysSmall) {
  auto writer = open_writer(nullptr);  // creates the schema before the checkpointer connects
  writer->stop();
  writer = open_writer(start_checkpointer(64));
  const auto* checkpointer = writer->checkpointer();
  ASSERT_NE(checkpointer, nullptr);
  // A log that never started over holds everything written (the next test). On a loaded
  // machine (ctest -j2) the checkpointer's 5 ms rounds can be starved for a while, and the log
  // file keeps the length it reached meanwhile: so up to four rounds of kWritten, until the log
  // is under half of all that was written.
  std::uintmax_t written = 0;
  for (int round = 0; round < 4; ++round) {
    write_rows(*writer, round * kWrites);
    written += kWritten;
    if (checkpointer->restarts() >= 1 && log_size(path_) < written / 2) break;
  }
  const auto size = log_size(path_);
  EXPECT_GE(checkpointer->restarts(), 1U);
  EXPECT_GT(checkpointer->checkpoints(), 0U);
  EXPECT_LT(size, written / 2) << "write-ahead log of " << size << " bytes after " << written << " written";
  writer->stop();
}

TEST_F(WalRestartTest, BelowTheThresholdNoRestartIsAskedFor) {
  auto writer = open_writer(nullptr);
  writer->stop();
  writer = open_writer(start_checkpointer(1'000'000));
  write_rows(*writer);
  const auto* checkpointer = writer->checkpointer();
  ASSERT_NE(checkpointer, nullptr);
  EXPECT_FALSE(checkpointer->restart_wanted());
  EXPECT_EQ(checkpointer->restarts(), 0U);
  // The background copies alone let the log grow with the writes (what the restart is for).
  EXPECT_GT(log_size(path_), kWritten);
  writer->stop();
}

}  // namespace
}  // namespace agentrt::sqlite
