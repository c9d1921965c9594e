// The SQLite LeaseStore: the port's conformance suite on a temporary file, plus what is
// specific to SQLite (the lease survives reopening; two stores on one file share it).
#include "backends/sqlite/sqlite_lease_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <string>
#include <vector>

#include "backends/sqlite/sqlite_test_support.hpp"
#include "core/ports/conformance/lease_store_conformance.hpp"

namespace agentrt {
namespace {

using conformance::LeaseStoreBackend;
using conformance::LeaseStoreConformance;
using conformance::LeaseStoreRunnable;
using conformance::LeaseStoreUnderTest;
using conformance::run_awaitable;
using sqlite::testing::open_or_fail;
using sqlite::testing::options_for;
using sqlite::testing::session_record;
using sqlite::testing::TempDir;
using sqlite::testing::TempFileSessionStore;
using ::testing::HasSubstr;

LeaseStoreBackend sqlite_backend() {
  return LeaseStoreBackend{"Sqlite", []() {
                             auto store = std::make_unique<TempFileSessionStore>();
                             if (!store->opened()) return LeaseStoreUnderTest{};
                             auto leases = store->lease_store();
                             return LeaseStoreUnderTest{std::move(store), std::move(leases)};
                           }};
}

INSTANTIATE_TEST_SUITE_P(Sqlite, LeaseStoreConformance, ::testing::Values(sqlite_backend()),
                         conformance::lease_store_backend_name);
INSTANTIATE_TEST_SUITE_P(Sqlite, LeaseStoreRunnable, ::testing::Values(sqlite_backend()),
                         conformance::lease_store_backend_name);

constexpr std::chrono::milliseconds kTtl{15'000};

class SqliteLeaseStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    first_ = open_or_fail(options_for(dir_.file("agentrt.db")));
    ASSERT_NE(first_, nullptr);
    const auto r = session_record("s-1");
    auto created = run_awaitable(first_->create_session(r, nlohmann::json{{"name", "x"}},
                                                        {Event{EventSeq{1}, EventType::SessionStarted, 1, {}}}));
    ASSERT_TRUE(created.ok()) << created.error().to_string();
  }

  TempDir dir_;
  std::unique_ptr<SqliteSessionStore> first_;
};

// A backlog of waiting sessions is not read whole on every dispatch: the candidates are the 256
// claimable sessions whose messages waited longest (a held session's message is passed over),
// then the oldest updated_ms go first, as everywhere.
TEST_F(SqliteLeaseStoreTest, ABacklogIsWeighedByItsLongestWaitingMessagesNotReadWhole) {
  constexpr int kBacklog = 300;
  auto name = [](int i) {
    std::string n = std::to_string(i);
    return "b-" + std::string(3 - n.size(), '0') + n;
  };
  for (int i = 0; i < kBacklog; ++i) {
    const auto r = session_record(name(i), 10'000 - i);  // the later the message, the older the session
    ASSERT_TRUE(run_awaitable(first_->create_session(r, nlohmann::json{{"name", "x"}},
                                                     {Event{EventSeq{1}, EventType::SessionStarted, 1, {}}}))
                    .ok());
    ASSERT_TRUE(run_awaitable(first_->enqueue(r.id, InboxMessage{MessageId{"m"}, "hi", 1'000 + i})).ok());
  }
  auto leases = first_->lease_store();
  ASSERT_TRUE(run_awaitable(first_->enqueue(SessionId{"s-1"}, InboxMessage{MessageId{"m"}, "first", 0})).ok());
  ASSERT_TRUE(run_awaitable(leases->acquire(SessionId{"s-1"}, "w-1", kTtl, 50'000)).ok());

  auto ids = [&](std::size_t limit) {
    auto found = run_awaitable(leases->find_runnable(50'001, limit));
    EXPECT_TRUE(found.ok()) << found.error().to_string();
    std::vector<std::string> out;
    if (found.ok()) {
      for (const auto& r : *found) out.push_back(r.session.str());
    }
    return out;
  };
  // b-299 has the oldest updated_ms of all, but its message is not among the 256 oldest.
  EXPECT_THAT(ids(3), ::testing::ElementsAre(name(255), name(254), name(253)));
  // Asking for more than 256 weighs as many.
  const auto all = ids(kBacklog + 10);
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kBacklog));
  EXPECT_EQ(all.front(), name(kBacklog - 1));
  EXPECT_EQ(std::count(all.begin(), all.end(), "s-1"), 0) << "held by w-1";
}

TEST_F(SqliteLeaseStoreTest, TwoProcessesOnOneFileShareTheLease) {
  auto second = open_or_fail(options_for(dir_.file("agentrt.db")));
  ASSERT_NE(second, nullptr);
  auto leases_a = first_->lease_store();
  auto leases_b = second->lease_store();
  auto held = run_awaitable(leases_a->acquire(SessionId{"s-1"}, "run:a:1", kTtl, 1'000));
  ASSERT_TRUE(held.ok()) << held.error().to_string();
  auto refused = run_awaitable(leases_b->acquire(SessionId{"s-1"}, "run:b:2", kTtl, 2'000));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::conflict);
  EXPECT_THAT(refused.error().message, HasSubstr("run:a:1"));
  auto taken = run_awaitable(leases_b->take_over(SessionId{"s-1"}, "run:b:2", kTtl, 3'000));
  ASSERT_TRUE(taken.ok()) << taken.error().to_string();
  auto fenced = run_awaitable(leases_a->renew(SessionId{"s-1"}, "run:a:1", held->epoch, kTtl, 4'000));
  ASSERT_FALSE(fenced.ok());
  EXPECT_EQ(fenced.error().code, Errc::fenced);
  EXPECT_THAT(fenced.error().message, HasSubstr("run:b:2"));  // says who holds it now
}

TEST_F(SqliteLeaseStoreTest, TheLeaseSurvivesReopening) {
  {
    auto leases = first_->lease_store();
    ASSERT_TRUE(run_awaitable(leases->acquire(SessionId{"s-1"}, "w-1", kTtl, 1'000)).ok());
  }
  first_.reset();
  auto reopened = open_or_fail(options_for(dir_.file("agentrt.db")));
  ASSERT_NE(reopened, nullptr);
  auto lease = run_awaitable(reopened->lease_store()->get(SessionId{"s-1"}));
  ASSERT_TRUE(lease.ok()) << lease.error().to_string();
  EXPECT_EQ(lease->owner, "w-1");
  EXPECT_EQ(lease->epoch, LeaseEpoch{1});
  EXPECT_EQ(lease->expires_ms, 1'000 + kTtl.count());
}

TEST_F(SqliteLeaseStoreTest, AVersion1DatabaseIsMigratedKeepingItsSessions) {
  ASSERT_TRUE(run_awaitable(first_->claim(SessionId{"s-1"})).ok());
  first_.reset();
  {  // Back to schema 1: what a database written by the previous build looks like.
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(dir_.file("agentrt.db").c_str(), &raw), SQLITE_OK);
    std::unique_ptr<sqlite3, decltype(&sqlite3_close_v2)> db(raw, &sqlite3_close_v2);
    ASSERT_EQ(sqlite3_exec(db.get(),
                           "DROP INDEX inbox_pending_by_time; DROP TABLE kv; DROP TABLE archived_events; ALTER TABLE sessions DROP COLUMN lease_owner; "
                           "ALTER TABLE sessions DROP COLUMN lease_expires_ms; DELETE FROM schema_version WHERE version > 1",
                           nullptr, nullptr, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db.get());
  }
  auto migrated = open_or_fail(options_for(dir_.file("agentrt.db")));
  ASSERT_NE(migrated, nullptr);
  auto lease = run_awaitable(migrated->lease_store()->get(SessionId{"s-1"}));
  ASSERT_TRUE(lease.ok()) << lease.error().to_string();
  EXPECT_EQ(lease->owner, "");
  EXPECT_EQ(lease->epoch, LeaseEpoch{1});  // the claimed epoch survived the migration
  auto acquired = run_awaitable(migrated->lease_store()->acquire(SessionId{"s-1"}, "w-1", kTtl, 1'000));
  ASSERT_TRUE(acquired.ok()) << acquired.error().to_string();
  EXPECT_EQ(acquired->epoch, LeaseEpoch{2});
}

TEST_F(SqliteLeaseStoreTest, ReadOnlyStoreRefusesLeaseWritesButReads) {
  auto options = options_for(dir_.file("agentrt.db"));
  options.read_only = true;
  auto reader = open_or_fail(options);
  ASSERT_NE(reader, nullptr);
  auto leases = reader->lease_store();
  auto refused = run_awaitable(leases->take_over(SessionId{"s-1"}, "w-1", kTtl, 1'000));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::invalid);
  EXPECT_THAT(refused.error().message, HasSubstr("read-only"));
  auto lease = run_awaitable(leases->get(SessionId{"s-1"}));
  ASSERT_TRUE(lease.ok()) << lease.error().to_string();
  EXPECT_EQ(lease->epoch, LeaseEpoch{0});
}

}  // namespace
}  // namespace agentrt
