// The reader thread: reads run on their own connection while a write group is in progress,
// see only committed data, cannot write, and are cancelled (not lost) by stop().
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <optional>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "backends/sqlite/sqlite_reader.hpp"
#include "backends/sqlite/sqlite_schema.hpp"
#include "backends/sqlite/sqlite_test_support.hpp"
#include "backends/sqlite/sqlite_writer.hpp"

namespace agentrt::sqlite {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using testing::TempDir;

SqliteDb open_configured(const std::filesystem::path& path) {
  auto db = SqliteDb::open({path, false, std::chrono::milliseconds{2000}});
  EXPECT_TRUE(db.ok()) << db.error().to_string();
  auto configured = configure_connection(*db, false);
  EXPECT_TRUE(configured.ok()) << configured.error().to_string();
  return std::move(db).value();
}

Result<std::int64_t> count_definitions(SqliteDb& db) {
  auto stmt = db.prepare("SELECT count(*) FROM definitions", "count definitions");
  if (!stmt) return stmt.error();
  auto row = stmt->step();
  if (!row) return row.error();
  return stmt->column_int(0);
}

Result<void> insert_definition(SqliteDb& db, const std::string& hash) {
  auto stmt = db.prepare("INSERT INTO definitions(hash, body, created_ms) VALUES (?, '{}', 0)", "insert definition");
  if (!stmt) return stmt.error();
  return stmt->bind(1, hash).run();
}

class SqliteReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = open_configured(path_);
    ASSERT_TRUE(migrate(db).ok());
    auto reader = SqliteReader::start(open_configured(path_));
    ASSERT_TRUE(reader.ok()) << reader.error().to_string();
    writer_ = std::make_unique<SqliteWriter>(std::move(db), 16, std::move(reader).value());
    runner_ = std::thread([this] { ctx_.run(); });
  }
  void TearDown() override {
    writer_->stop();
    work_.reset();
    runner_.join();
  }

  // Runs `body` as a job of `kind` from the io_context thread; the future has its result.
  template <class T>
  std::future<Result<T>> submit(JobKind kind, JobBody<T> body) {
    auto promise = std::make_shared<std::promise<Result<T>>>();
    auto future = promise->get_future();
    boost::asio::co_spawn(
        ctx_,
        [this, kind, body = std::move(body), promise]() -> boost::asio::awaitable<void> {
          promise->set_value(co_await run_job<T>(*writer_, kind, "test job", body));
        },
        boost::asio::detached);
    return future;
  }

  TempDir dir_;
  std::filesystem::path path_ = dir_.file("agentrt.db");
  boost::asio::io_context ctx_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(ctx_);
  std::unique_ptr<SqliteWriter> writer_;
  std::thread runner_;
};

TEST_F(SqliteReaderTest, ReadsCompleteWhileAWriteGroupIsInProgressAndSeeOnlyCommittedData) {
  ASSERT_TRUE(submit<void>(JobKind::write, [](SqliteDb& db) { return insert_definition(db, "committed"); }).get().ok());

  std::promise<void> release;
  auto released = release.get_future().share();
  std::promise<void> inside;
  auto write = submit<void>(JobKind::write, [&inside, released](SqliteDb& db) -> Result<void> {
    auto inserted = insert_definition(db, "in-progress");
    inside.set_value();
    released.wait();  // holds the write transaction open until the read has finished
    return inserted;
  });
  inside.get_future().wait();

  // On the writer's thread this read would wait for the write above, which waits for us.
  auto read = submit<std::int64_t>(JobKind::read, count_definitions);
  const bool read_first = read.wait_for(5s) == std::future_status::ready;
  release.set_value();
  ASSERT_TRUE(read_first) << "the read waited behind the write group";
  auto seen = read.get();
  ASSERT_TRUE(seen.ok()) << seen.error().to_string();
  EXPECT_EQ(*seen, 1);  // not the uncommitted row
  ASSERT_TRUE(write.get().ok());
  auto after = submit<std::int64_t>(JobKind::read, count_definitions).get();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, 2);  // a read queued after the write completed sees it
}

TEST_F(SqliteReaderTest, AWriteSentAsAReadFailsAndWritesNothing) {
  auto wrong = submit<void>(JobKind::read, [](SqliteDb& db) { return insert_definition(db, "sneaky"); }).get();
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.error().to_string(), HasSubstr("insert definition"));
  auto count = submit<std::int64_t>(JobKind::read, count_definitions).get();
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 0);
}

TEST_F(SqliteReaderTest, ReadsAfterStopAreCancelled) {
  writer_->stop();
  auto read = submit<std::int64_t>(JobKind::read, count_definitions).get();
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code, Errc::cancelled);
  EXPECT_THAT(read.error().message, HasSubstr("test job"));
}

}  // namespace
}  // namespace agentrt::sqlite
