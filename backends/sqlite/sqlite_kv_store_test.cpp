// The SQLite KvStore: the port's conformance suite on a temporary database, and what is
// specific to SQLite: entries survive a reopen, a read-only store refuses writes.
#include "backends/sqlite/sqlite_kv_store.hpp"

#include "backends/sqlite/sqlite_test_support.hpp"
#include "core/ports/conformance/kv_store_conformance.hpp"

namespace agentrt {
namespace {

using conformance::KvStoreConformance;
using conformance::run_awaitable;
using sqlite::testing::open_or_fail;
using sqlite::testing::options_for;
using sqlite::testing::TempDir;
using sqlite::testing::TempFileSessionStore;

INSTANTIATE_TEST_SUITE_P(Sqlite, KvStoreConformance,
                         ::testing::Values(conformance::KvStoreBackend{"Sqlite",
                                                                       [] {
                                                                         auto store = std::make_unique<TempFileSessionStore>();
                                                                         auto kv = store->kv_store();
                                                                         return conformance::KvStoreUnderTest{std::move(store),
                                                                                                              std::move(kv)};
                                                                       }}),
                         conformance::kv_store_backend_name);

const KvScope kScope{OrgId{"org-1"}, BotId{"bot-1"}};

TEST(SqliteKvStoreTest, EntriesSurviveReopeningTheDatabase) {
  TempDir dir;
  {
    auto store = open_or_fail(options_for(dir.file("agentrt.db")));
    ASSERT_NE(store, nullptr);
    auto put = run_awaitable(store->kv_store()->put_many(kScope, KvEntries{{"a", {{"x", 1}}}}));
    ASSERT_TRUE(put.ok()) << put.error().to_string();
  }
  auto store = open_or_fail(options_for(dir.file("agentrt.db")));
  ASSERT_NE(store, nullptr);
  auto found = run_awaitable(store->kv_store()->get_many(kScope, {"a"}));
  ASSERT_TRUE(found.ok()) << found.error().to_string();
  EXPECT_EQ(*found, (KvEntries{{"a", {{"x", 1}}}}));
}

TEST(SqliteKvStoreTest, ReadOnlyStoreReadsButRefusesWrites) {
  TempDir dir;
  {
    auto store = open_or_fail(options_for(dir.file("agentrt.db")));
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(run_awaitable(store->kv_store()->put_many(kScope, KvEntries{{"a", 1}})).ok());
  }
  auto options = options_for(dir.file("agentrt.db"));
  options.read_only = true;
  auto reader = open_or_fail(options);
  ASSERT_NE(reader, nullptr);
  auto kv = reader->kv_store();
  auto found = run_awaitable(kv->get_many(kScope, {"a"}));
  ASSERT_TRUE(found.ok()) << found.error().to_string();
  EXPECT_EQ(found->size(), 1U);
  auto put = run_awaitable(kv->put_many(kScope, KvEntries{{"a", 2}}));
  ASSERT_FALSE(put.ok());
  EXPECT_THAT(put.error().message, ::testing::HasSubstr("read-only"));
  auto erased = run_awaitable(kv->erase_many(kScope, {"a"}));
  EXPECT_FALSE(erased.ok());
}

}  // namespace
}  // namespace agentrt
