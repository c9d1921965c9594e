// How the SQLite store fails: a locked database, a corrupt file, a read-only store, a schema
// from a newer build, a folder that cannot be created, and a shutdown with jobs queued.
#include <sqlite3.h>

#include <boost/asio/detached.hpp>
#include <fstream>
#include <future>
#include <thread>

#include "backends/sqlite/sqlite_schema.hpp"
#include "backends/sqlite/sqlite_session_store.hpp"
#include "backends/sqlite/sqlite_test_support.hpp"
#include "core/ports/conformance/session_store_fixture.hpp"

namespace agentrt {
namespace {

using conformance::run_awaitable;
using sqlite::testing::open_or_fail;
using sqlite::testing::options_for;
using sqlite::testing::TempDir;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

// A second, plain connection to the same file: "another process".
class RawConnection {
 public:
  explicit RawConnection(const std::filesystem::path& path) {
    sqlite3* raw = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr), SQLITE_OK);
    db_.reset(raw);
  }
  int exec(const std::string& sql) { return sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, nullptr); }

 private:
  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  std::unique_ptr<sqlite3, Closer> db_;
};

SessionRecord make_record(const std::string& id) { return sqlite::testing::session_record(id, 1'000); }

AppendRequest make_append(const std::string& id, LeaseEpoch epoch, std::int64_t seq) {
  AppendRequest request;
  request.session = SessionId{id};
  request.epoch = epoch;
  request.events.push_back(Event{EventSeq{seq}, EventType::OutputEmitted, 2'000 + seq, {{"n", seq}}});
  return request;
}

class SqliteFailureTest : public ::testing::Test {
 protected:
  // Creates s-1 with its first event and returns the epoch of a claim.
  LeaseEpoch seed(SqliteSessionStore& store) {
    auto created = run_awaitable(store.create_session(make_record("s-1"), {{"name", "demo"}},
                                                      {Event{EventSeq{1}, EventType::SessionStarted, 1'000, {}}}));
    EXPECT_TRUE(created.ok()) << created.error().to_string();
    auto epoch = run_awaitable(store.claim(SessionId{"s-1"}));
    EXPECT_TRUE(epoch.ok());
    return epoch.ok() ? *epoch : LeaseEpoch{};
  }

  TempDir dir_;
  std::filesystem::path path_ = dir_.file("agentrt.db");
};

TEST_F(SqliteFailureTest, LockedDatabaseIsRetryableThenWorksAfterRelease) {
  auto options = options_for(path_);
  options.busy_timeout = 200ms;
  auto store = open_or_fail(options);
  ASSERT_NE(store, nullptr);
  const auto epoch = seed(*store);
  ASSERT_TRUE(run_awaitable(store->append(make_append("s-1", epoch, 2))).ok());

  RawConnection other(path_);
  ASSERT_EQ(other.exec("BEGIN EXCLUSIVE"), SQLITE_OK);
  const auto started = std::chrono::steady_clock::now();
  auto locked = run_awaitable(store->append(make_append("s-1", epoch, 3)));
  ASSERT_FALSE(locked.ok());
  EXPECT_EQ(locked.error().code, Errc::retryable);
  EXPECT_EQ(locked.error().message,
            "append session=s-1: database " + path_.string() + " is locked by another process (waited 200 ms)");
  EXPECT_GE(std::chrono::steady_clock::now() - started, 150ms);  // it did wait for the lock
  // WAL: readers are not blocked by the writer lock, and committed events are all there.
  auto events = run_awaitable(store->read_events(SessionId{"s-1"}, EventSeq{0}, 10));
  ASSERT_TRUE(events.ok()) << events.error().to_string();
  EXPECT_EQ(events->size(), 2U);

  // Opening a second store needs the lock too (schema check): same clear error.
  auto second = open_sqlite_session_store(options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, Errc::retryable);
  EXPECT_THAT(second.error().message, HasSubstr("is locked by another process (waited 200 ms)"));

  ASSERT_EQ(other.exec("COMMIT"), SQLITE_OK);
  ASSERT_TRUE(run_awaitable(store->append(make_append("s-1", epoch, 3))).ok());
  events = run_awaitable(store->read_events(SessionId{"s-1"}, EventSeq{0}, 10));
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->size(), 3U);
}

TEST_F(SqliteFailureTest, GarbageFileIsFatalAtOpenAndLeftUntouched) {
  const std::string garbage(8192, '\x5a');
  {
    std::ofstream out(path_, std::ios::binary);
    out << garbage;
  }
  auto store = open_sqlite_session_store(options_for(path_));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, Errc::fatal);
  EXPECT_THAT(store.error().message,
              HasSubstr("database " + path_.string() + " is corrupt or not an agentrt database"));
  std::ifstream in(path_, std::ios::binary);
  const std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, garbage);

  auto options = options_for(path_);
  options.read_only = true;
  auto read_only = open_sqlite_session_store(options);
  ASSERT_FALSE(read_only.ok());
  EXPECT_EQ(read_only.error().code, Errc::fatal);
  EXPECT_THAT(read_only.error().message, HasSubstr("is corrupt or not an agentrt database"));
}

TEST_F(SqliteFailureTest, ReadOnlyStoreReadsAndRejectsEveryWrite) {
  {
    auto writer = open_or_fail(options_for(path_));
    ASSERT_NE(writer, nullptr);
    const auto epoch = seed(*writer);
    ASSERT_TRUE(run_awaitable(writer->append(make_append("s-1", epoch, 2))).ok());
  }
  auto options = options_for(path_);
  options.read_only = true;
  auto store = open_or_fail(options);
  ASSERT_NE(store, nullptr);
  auto record = run_awaitable(store->get_session(SessionId{"s-1"}));
  ASSERT_TRUE(record.ok()) << record.error().to_string();
  EXPECT_EQ(record->last_seq, EventSeq{2});
  auto events = run_awaitable(store->read_events(SessionId{"s-1"}, EventSeq{0}, 10));
  ASSERT_TRUE(events.ok()) << events.error().to_string();
  EXPECT_EQ(events->size(), 2U);
  auto listed = run_awaitable(store->list_sessions({}));
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 1U);

  const std::string expected = "store " + path_.string() + " is open read-only";
  auto expect_rejected = [&expected](const auto& result, const char* method) {
    ASSERT_FALSE(result.ok()) << method;
    EXPECT_EQ(result.error().code, Errc::invalid) << method;
    EXPECT_EQ(result.error().message, expected) << method;
  };
  expect_rejected(run_awaitable(store->append(make_append("s-1", record->epoch, 3))), "append");
  expect_rejected(run_awaitable(store->claim(SessionId{"s-1"})), "claim");
  expect_rejected(run_awaitable(store->create_session(make_record("s-2"), {}, {})), "create_session");
  expect_rejected(run_awaitable(store->enqueue(SessionId{"s-1"}, InboxMessage{MessageId{"m"}, "x", 1})), "enqueue");
  expect_rejected(run_awaitable(store->save_checkpoint(SessionId{"s-1"}, record->epoch, Checkpoint{EventSeq{1}, {}})),
                  "save_checkpoint");
  events = run_awaitable(store->read_events(SessionId{"s-1"}, EventSeq{0}, 10));
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->size(), 2U);
}

TEST_F(SqliteFailureTest, ReadOnlyStoreSeesWritesOfALiveWriter) {
  auto writer = open_or_fail(options_for(path_));
  ASSERT_NE(writer, nullptr);
  const auto epoch = seed(*writer);
  auto options = options_for(path_);
  options.read_only = true;
  auto reader = open_or_fail(options);
  ASSERT_NE(reader, nullptr);
  ASSERT_TRUE(run_awaitable(writer->append(make_append("s-1", epoch, 2))).ok());
  auto record = run_awaitable(reader->get_session(SessionId{"s-1"}));
  ASSERT_TRUE(record.ok()) << record.error().to_string();
  EXPECT_EQ(record->last_seq, EventSeq{2});
}

TEST_F(SqliteFailureTest, ReadOnlyOpenOfAMissingFileIsFatalAndCreatesNothing) {
  auto options = options_for(dir_.file("missing/agentrt.db"));
  options.read_only = true;
  auto store = open_sqlite_session_store(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, Errc::fatal);
  EXPECT_THAT(store.error().message, HasSubstr("cannot open database " + options.path.string()));
  EXPECT_FALSE(std::filesystem::exists(dir_.file("missing")));
}

TEST_F(SqliteFailureTest, ReadOnlyOpenOfAForeignDatabaseIsFatal) {
  {
    RawConnection other(path_);
    ASSERT_EQ(other.exec("CREATE TABLE notes(text TEXT)"), SQLITE_OK);
  }
  auto options = options_for(path_);
  options.read_only = true;
  auto store = open_sqlite_session_store(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, Errc::fatal);
  EXPECT_THAT(store.error().message, HasSubstr("has schema version 0"));
}

TEST_F(SqliteFailureTest, UncreatableFolderIsFatalAndNamesIt) {
  { std::ofstream(dir_.file("plain-file")) << "x"; }
  auto store = open_sqlite_session_store(options_for(dir_.file("plain-file/sub/agentrt.db")));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, Errc::fatal);
  EXPECT_THAT(store.error().message, HasSubstr("cannot create folder " + dir_.file("plain-file/sub").string()));
}

TEST_F(SqliteFailureTest, SchemaNewerThanSupportedIsFatal) {
  { ASSERT_NE(open_or_fail(options_for(path_)), nullptr); }
  {
    RawConnection other(path_);
    ASSERT_EQ(other.exec("INSERT INTO schema_version(version, applied_ms) VALUES (99, 0)"), SQLITE_OK);
  }
  const std::string expected =
      "database " + path_.string() + " has schema version 99, newer than this build supports (" +
      std::to_string(sqlite::supported_schema_version()) + "); upgrade agentrt";
  auto store = open_sqlite_session_store(options_for(path_));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, Errc::fatal);
  EXPECT_EQ(store.error().message, expected);
  auto options = options_for(path_);
  options.read_only = true;
  auto read_only = open_sqlite_session_store(options);
  ASSERT_FALSE(read_only.ok());
  EXPECT_EQ(read_only.error().message, expected);
}

TEST_F(SqliteFailureTest, ReopeningAppliesNoMigrationTwice) {
  { ASSERT_NE(open_or_fail(options_for(path_)), nullptr); }
  { ASSERT_NE(open_or_fail(options_for(path_)), nullptr); }
  RawConnection other(path_);
  ASSERT_EQ(other.exec("CREATE TABLE probe AS SELECT count(*) AS n FROM schema_version"), SQLITE_OK);
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  std::unique_ptr<sqlite3, decltype(&sqlite3_close_v2)> db(raw, &sqlite3_close_v2);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db.get(), "SELECT n FROM probe", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), sqlite::supported_schema_version());  // one row per migration
  sqlite3_finalize(stmt);
}

// stop() lets the running group finish, cancels what is queued behind it, and answers every
// later call with Errc::cancelled.
TEST_F(SqliteFailureTest, StopCancelsQueuedJobsAndLaterCalls) {
  auto options = options_for(path_);
  options.busy_timeout = 3000ms;
  auto store = open_or_fail(options);
  ASSERT_NE(store, nullptr);
  const auto epoch = seed(*store);

  RawConnection other(path_);
  ASSERT_EQ(other.exec("BEGIN EXCLUSIVE"), SQLITE_OK);  // keeps the writer busy in its first group
  boost::asio::io_context ctx;
  std::optional<Result<void>> first;
  std::optional<Result<void>> queued;
  boost::asio::co_spawn(
      ctx,
      [&]() -> boost::asio::awaitable<void> { first.emplace(co_await store->append(make_append("s-1", epoch, 2))); },
      boost::asio::detached);
  std::thread runner([&ctx] { ctx.run(); });
  std::this_thread::sleep_for(500ms);  // the writer has taken the first job and waits for the lock
  boost::asio::co_spawn(
      ctx,
      [&]() -> boost::asio::awaitable<void> { queued.emplace(co_await store->append(make_append("s-1", epoch, 2))); },
      boost::asio::detached);
  std::this_thread::sleep_for(100ms);
  store->stop();
  runner.join();

  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->error().code, Errc::retryable);  // it ran: the lock was never released
  ASSERT_TRUE(queued.has_value());
  ASSERT_FALSE(queued->ok());
  EXPECT_EQ(queued->error().code, Errc::cancelled);
  EXPECT_THAT(queued->error().message, HasSubstr("append session=s-1"));

  auto later = run_awaitable(store->get_session(SessionId{"s-1"}));
  ASSERT_FALSE(later.ok());
  EXPECT_EQ(later.error().code, Errc::cancelled);
  store->stop();  // idempotent
}

}  // namespace
}  // namespace agentrt
