// The SQLite SessionStore: the port's conformance suite on a temporary file, plus what is
// specific to SQLite (schema, persistence, migration, validation).
#include "backends/sqlite/sqlite_session_store.hpp"

#include <sqlite3.h>

#include <chrono>
#include <set>
#include <thread>

#include "backends/sqlite/sqlite_test_support.hpp"
#include "core/ports/conformance/session_store_conformance.hpp"

namespace agentrt {
namespace {

using conformance::run_awaitable;
using conformance::SessionStoreBackend;
using conformance::SessionStoreConformance;
using sqlite::testing::open_or_fail;
using sqlite::testing::options_for;
using sqlite::testing::TempDir;
using sqlite::testing::TempFileSessionStore;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

INSTANTIATE_TEST_SUITE_P(Sqlite, SessionStoreConformance,
                         ::testing::Values(SessionStoreBackend{"Sqlite",
                                                               []() -> std::unique_ptr<SessionStore> {
                                                                 auto store = std::make_unique<TempFileSessionStore>();
                                                                 if (!store->opened()) return nullptr;
                                                                 return store;
                                                               }}),
                         conformance::session_store_backend_name);

SessionRecord make_record(const std::string& id) { return sqlite::testing::session_record(id, 1'000); }

Event make_event(std::int64_t seq) {
  return Event{EventSeq{seq}, EventType::OutputEmitted, 5'000 + seq,
               nlohmann::json{{"text", "out " + std::to_string(seq)}}};
}

AppendRequest make_append(const std::string& id, LeaseEpoch epoch, std::int64_t first, std::int64_t last) {
  AppendRequest request;
  request.session = SessionId{id};
  request.epoch = epoch;
  for (auto seq = first; seq <= last; ++seq) request.events.push_back(make_event(seq));
  return request;
}

// Column names of `table`, read with a separate plain connection.
std::vector<std::string> columns_of(const std::filesystem::path& db_path, const std::string& table) {
  sqlite3* raw = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db_path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  std::unique_ptr<sqlite3, decltype(&sqlite3_close_v2)> db(raw, &sqlite3_close_v2);
  sqlite3_stmt* stmt = nullptr;
  const std::string sql = "SELECT name FROM pragma_table_info('" + table + "') ORDER BY cid";
  EXPECT_EQ(sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &stmt, nullptr), SQLITE_OK);
  std::vector<std::string> names;
  while (sqlite3_step(stmt) == SQLITE_ROW)
    names.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
  sqlite3_finalize(stmt);
  return names;
}

class SqliteSessionStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<SqliteSessionStore> open() { return open_or_fail(options_for(path_)); }
  void create(SqliteSessionStore& store, const std::string& id) {
    auto created = run_awaitable(store.create_session(make_record(id), nlohmann::json{{"name", "demo"}},
                                                      {Event{EventSeq{1}, EventType::SessionStarted, 1'000, {}}}));
    ASSERT_TRUE(created.ok()) << created.error().to_string();
  }

  TempDir dir_;
  std::filesystem::path path_ = dir_.file("nested/folder/agentrt.db");  // parent folders created on open
};

TEST_F(SqliteSessionStoreTest, SchemaHasTheDocumentedTablesAndColumns) {
  ASSERT_NE(open(), nullptr);
  EXPECT_THAT(columns_of(path_, "sessions"), ElementsAre("id", "org", "bot", "definition_hash", "status", "last_seq",
                                                         "epoch", "created_ms", "updated_ms", "wake_at_ms",
                                                         "lease_owner", "lease_expires_ms"));
  EXPECT_THAT(columns_of(path_, "definitions"), ElementsAre("hash", "body", "created_ms"));
  EXPECT_THAT(columns_of(path_, "events"), ElementsAre("session_id", "seq", "type", "time_ms", "data"));
  EXPECT_THAT(columns_of(path_, "checkpoints"), ElementsAre("session_id", "seq", "state"));
  EXPECT_THAT(columns_of(path_, "inbox"),
              ElementsAre("session_id", "message_id", "text", "enqueued_ms", "consumed_seq"));
  EXPECT_THAT(columns_of(path_, "archived_events"),
              ElementsAre("session_id", "branch", "seq", "type", "time_ms", "data"));
  EXPECT_THAT(columns_of(path_, "schema_version"), ElementsAre("version", "applied_ms"));
}

TEST_F(SqliteSessionStoreTest, StoresStatusNameEventTypeNameAndJsonText) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  create(*store, "s-1");
  const auto epoch = run_awaitable(store->claim(SessionId{"s-1"}));
  ASSERT_TRUE(epoch.ok());
  auto request = make_append("s-1", *epoch, 2, 2);
  request.status = SessionStatus::waiting_for_input;
  ASSERT_TRUE(run_awaitable(store->append(request)).ok());
  store.reset();

  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  std::unique_ptr<sqlite3, decltype(&sqlite3_close_v2)> db(raw, &sqlite3_close_v2);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db.get(),
                               "SELECT s.status, e.type, e.data FROM sessions s JOIN events e ON e.session_id = s.id "
                               "WHERE e.seq = 2",
                               -1, &stmt, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "waiting_for_input");
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1)), "OutputEmitted");
  EXPECT_EQ(nlohmann::json::parse(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 2))),
            (nlohmann::json{{"text", "out 2"}}));
  sqlite3_finalize(stmt);
}

TEST_F(SqliteSessionStoreTest, EverythingPersistsAcrossCloseAndReopen) {
  LeaseEpoch epoch;
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
    create(*store, "s-1");
    auto claimed = run_awaitable(store->claim(SessionId{"s-1"}));
    ASSERT_TRUE(claimed.ok());
    epoch = *claimed;
    ASSERT_TRUE(run_awaitable(store->enqueue(SessionId{"s-1"}, InboxMessage{MessageId{"m-1"}, "hi", 7})).ok());
    ASSERT_TRUE(run_awaitable(store->enqueue(SessionId{"s-1"}, InboxMessage{MessageId{"m-2"}, "yo", 8})).ok());
    auto request = make_append("s-1", epoch, 2, 3);
    request.consumed_messages = {MessageId{"m-1"}};
    request.status = SessionStatus::sleeping;
    request.wake_at_ms = 77'000;
    ASSERT_TRUE(run_awaitable(store->append(request)).ok());
    ASSERT_TRUE(
        run_awaitable(store->save_checkpoint(SessionId{"s-1"}, epoch, Checkpoint{EventSeq{3}, {{"k", "v"}}})).ok());
  }
  auto store = open();
  ASSERT_NE(store, nullptr);
  auto record = run_awaitable(store->get_session(SessionId{"s-1"}));
  ASSERT_TRUE(record.ok()) << record.error().to_string();
  EXPECT_EQ(record->last_seq, EventSeq{3});
  EXPECT_EQ(record->epoch, epoch);
  EXPECT_EQ(record->status, SessionStatus::sleeping);
  EXPECT_EQ(record->wake_at_ms, std::optional<std::int64_t>{77'000});
  EXPECT_EQ(record->updated_ms, 5'003);  // the last event's time
  auto events = run_awaitable(store->read_events(SessionId{"s-1"}, EventSeq{0}, 10));
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 3U);
  EXPECT_EQ((*events)[2].data, make_event(3).data);
  auto checkpoint = run_awaitable(store->load_checkpoint(SessionId{"s-1"}));
  ASSERT_TRUE(checkpoint.ok() && checkpoint->has_value());
  EXPECT_EQ((*checkpoint)->state, (nlohmann::json{{"k", "v"}}));
  auto pending = run_awaitable(store->pending_messages(SessionId{"s-1"}, 10));
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1U);
  EXPECT_EQ(pending->front().id, MessageId{"m-2"});
  auto definition = run_awaitable(store->get_definition("hash-1"));
  ASSERT_TRUE(definition.ok());
  EXPECT_EQ(*definition, (nlohmann::json{{"name", "demo"}}));
}

// Checkpoints of the write-ahead log run on their own thread, never inside a commit: the writer
// connection has autocheckpoint off, and the WAL is still copied into the database file.
TEST_F(SqliteSessionStoreTest, TheWriteAheadLogIsCheckpointedInTheBackground) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  create(*store, "s-1");
  auto claimed = run_awaitable(store->claim(SessionId{"s-1"}));
  ASSERT_TRUE(claimed.ok());
  for (std::int64_t seq = 2; seq <= 40; ++seq) {
    ASSERT_TRUE(run_awaitable(store->append(make_append("s-1", *claimed, seq, seq))).ok());
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (store->stats().wal_checkpoints < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GE(store->stats().wal_checkpoints, 2U);
  // A checkpoint found nothing left to copy: everything committed is in the database file.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  std::unique_ptr<sqlite3, decltype(&sqlite3_close_v2)> db(raw, &sqlite3_close_v2);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db.get(), "PRAGMA wal_checkpoint(PASSIVE)", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), 0);                                // not busy
  EXPECT_EQ(sqlite3_column_int(stmt, 1), sqlite3_column_int(stmt, 2));      // log frames == checkpointed
  sqlite3_finalize(stmt);
  auto events = run_awaitable(store->read_events(SessionId{"s-1"}, EventSeq{0}, 100));
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->size(), 40U);
}

TEST_F(SqliteSessionStoreTest, FailuresNeverLoseCommittedEvents) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  create(*store, "s-1");
  const auto first = run_awaitable(store->claim(SessionId{"s-1"}));
  ASSERT_TRUE(run_awaitable(store->append(make_append("s-1", *first, 2, 4))).ok());

  auto gap = run_awaitable(store->append(make_append("s-1", *first, 7, 8)));
  ASSERT_FALSE(gap.ok());
  EXPECT_EQ(gap.error().code, Errc::conflict);
  EXPECT_EQ(gap.error().message, "append session=s-1: expected seq 5, got 7");

  const auto second = run_awaitable(store->claim(SessionId{"s-1"}));
  auto fenced = run_awaitable(store->append(make_append("s-1", *first, 5, 5)));
  ASSERT_FALSE(fenced.ok());
  EXPECT_EQ(fenced.error().code, Errc::fenced);
  EXPECT_EQ(fenced.error().message, "append session=s-1 seq=5: fenced (epoch 1, current 2)");

  auto checkpoint = run_awaitable(store->save_checkpoint(SessionId{"s-1"}, *first, Checkpoint{EventSeq{4}, {}}));
  ASSERT_FALSE(checkpoint.ok());
  EXPECT_EQ(checkpoint.error().message, "save_checkpoint session=s-1 seq=4: fenced (epoch 1, current 2)");

  auto events = run_awaitable(store->read_events(SessionId{"s-1"}, EventSeq{0}, 100));
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->size(), 4U);
  EXPECT_TRUE(run_awaitable(store->append(make_append("s-1", *second, 5, 5))).ok());
}

TEST_F(SqliteSessionStoreTest, BadInputsAreInvalid) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  create(*store, "s-1");
  const auto epoch = run_awaitable(store->claim(SessionId{"s-1"}));

  auto empty = run_awaitable(store->append(make_append("s-1", *epoch, 2, 1)));
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, Errc::invalid);
  EXPECT_THAT(empty.error().message, HasSubstr("no events"));

  auto beyond = run_awaitable(store->save_checkpoint(SessionId{"s-1"}, *epoch, Checkpoint{EventSeq{9}, {}}));
  ASSERT_FALSE(beyond.ok());
  EXPECT_EQ(beyond.error().code, Errc::invalid);
  EXPECT_THAT(beyond.error().message, HasSubstr("seq 9"));

  auto no_id = run_awaitable(store->create_session(make_record(""), {}, {}));
  ASSERT_FALSE(no_id.ok());
  EXPECT_EQ(no_id.error().code, Errc::invalid);

  auto misnumbered = run_awaitable(store->create_session(make_record("s-2"), {}, {make_event(2)}));
  ASSERT_FALSE(misnumbered.ok());
  EXPECT_EQ(misnumbered.error().code, Errc::invalid);
  EXPECT_FALSE(run_awaitable(store->get_session(SessionId{"s-2"})).ok());

  auto no_message_id = run_awaitable(store->enqueue(SessionId{"s-1"}, InboxMessage{MessageId{""}, "x", 1}));
  ASSERT_FALSE(no_message_id.ok());
  EXPECT_EQ(no_message_id.error().code, Errc::invalid);
}

TEST_F(SqliteSessionStoreTest, EmptyPathIsInvalid) {
  auto store = open_sqlite_session_store(SqliteOptions{});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, Errc::invalid);
}

}  // namespace
}  // namespace agentrt
