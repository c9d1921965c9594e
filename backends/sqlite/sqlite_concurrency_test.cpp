// Group commit and concurrency: many sessions' appends share transactions, a failing append
// leaves its group intact, several threads and several stores share one file safely.
#include <atomic>
#include <boost/asio/detached.hpp>
#include <thread>

#include "backends/sqlite/sqlite_session_store.hpp"
#include "backends/sqlite/sqlite_test_support.hpp"
#include "core/ports/conformance/session_store_fixture.hpp"

namespace agentrt {
namespace {

using boost::asio::awaitable;
using conformance::run_awaitable;
using sqlite::testing::open_or_fail;
using sqlite::testing::options_for;
using sqlite::testing::TempDir;

std::string session_name(int n) { return "s-" + std::to_string(n); }

AppendRequest make_append(const std::string& id, LeaseEpoch epoch, std::int64_t seq) {
  AppendRequest request;
  request.session = SessionId{id};
  request.epoch = epoch;
  request.events.push_back(Event{EventSeq{seq}, EventType::OutputEmitted, 2'000 + seq, {{"n", seq}}});
  request.status = SessionStatus::running;
  return request;
}

class SqliteConcurrencyTest : public ::testing::Test {
 protected:
  // Creates sessions s-0 .. s-(count-1) and claims each; returns their epochs.
  std::vector<LeaseEpoch> seed(SqliteSessionStore& store, int count) {
    std::vector<LeaseEpoch> epochs;
    for (int n = 0; n < count; ++n) {
      const auto record = sqlite::testing::session_record(session_name(n), n);
      auto created = run_awaitable(
          store.create_session(record, {{"name", "demo"}}, {Event{EventSeq{1}, EventType::SessionStarted, 0, {}}}));
      EXPECT_TRUE(created.ok()) << created.error().to_string();
      auto epoch = run_awaitable(store.claim(record.id));
      EXPECT_TRUE(epoch.ok());
      epochs.push_back(epoch.ok() ? *epoch : LeaseEpoch{});
    }
    return epochs;
  }

  std::int64_t last_seq(SqliteSessionStore& store, int n) {
    auto record = run_awaitable(store.get_session(SessionId{session_name(n)}));
    EXPECT_TRUE(record.ok());
    return record.ok() ? record->last_seq.value : -1;
  }

  TempDir dir_;
  std::filesystem::path path_ = dir_.file("agentrt.db");
};

TEST_F(SqliteConcurrencyTest, GroupCommitUsesFarFewerTransactionsThanAppends) {
  constexpr int kSessions = 50;
  constexpr int kAppendsEach = 4;
  auto options = options_for(path_);
  options.synchronous_full = true;  // the real setting: one fsync per transaction
  auto store = open_or_fail(options);
  ASSERT_NE(store, nullptr);
  const auto epochs = seed(*store, kSessions);
  const auto before = store->stats();

  boost::asio::io_context ctx;
  int failures = 0;
  for (int n = 0; n < kSessions; ++n) {
    boost::asio::co_spawn(
        ctx,
        [&, n]() -> awaitable<void> {
          for (int i = 0; i < kAppendsEach; ++i) {
            auto done = co_await store->append(make_append(session_name(n), epochs[n], 2 + i));
            if (!done.ok()) ++failures;
          }
        },
        boost::asio::detached);
  }
  ctx.run();

  const auto after = store->stats();
  const auto appends = after.appends - before.appends;
  const auto transactions = after.transactions - before.transactions;
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(appends, static_cast<std::uint64_t>(kSessions * kAppendsEach));
  // Each round of 50 appends (one per session) is queued at once and shares a transaction.
  EXPECT_LE(transactions, appends / 5) << transactions << " transactions for " << appends << " appends";
  RecordProperty("transactions", static_cast<int>(transactions));
  for (int n = 0; n < kSessions; ++n) EXPECT_EQ(last_seq(*store, n), 1 + kAppendsEach);
}

TEST_F(SqliteConcurrencyTest, GroupCommitMaxBoundsTheGroupSize) {
  constexpr int kSessions = 40;
  auto options = options_for(path_);
  options.group_commit_max = 8;
  auto store = open_or_fail(options);
  ASSERT_NE(store, nullptr);
  const auto epochs = seed(*store, kSessions);
  const auto before = store->stats();
  boost::asio::io_context ctx;
  for (int n = 0; n < kSessions; ++n) {
    boost::asio::co_spawn(
        ctx, [&, n]() -> awaitable<void> { (void)co_await store->append(make_append(session_name(n), epochs[n], 2)); },
        boost::asio::detached);
  }
  ctx.run();
  const auto after = store->stats();
  EXPECT_EQ(after.appends - before.appends, static_cast<std::uint64_t>(kSessions));
  EXPECT_GE(after.transactions - before.transactions, static_cast<std::uint64_t>(kSessions / 8));
}

// Fenced, out-of-order and unknown-session appends queued together with good ones: each bad
// one fails alone (its savepoint is rolled back), every good one commits.
TEST_F(SqliteConcurrencyTest, FailingAppendsDoNotAffectOthersInTheirGroup) {
  constexpr int kSessions = 30;
  auto store = open_or_fail(options_for(path_));
  ASSERT_NE(store, nullptr);
  const auto old_epochs = seed(*store, kSessions);
  std::vector<LeaseEpoch> epochs;
  for (int n = 0; n < kSessions; ++n) epochs.push_back(*run_awaitable(store->claim(SessionId{session_name(n)})));
  const auto before = store->stats();

  boost::asio::io_context ctx;
  std::vector<std::optional<Result<void>>> results(kSessions);
  std::optional<Result<void>> ghost;
  for (int n = 0; n < kSessions; ++n) {
    // n % 3: 0 good, 1 stale epoch (fenced), 2 gap (conflict)
    const auto epoch = n % 3 == 1 ? old_epochs[n] : epochs[n];
    const std::int64_t seq = n % 3 == 2 ? 5 : 2;
    boost::asio::co_spawn(
        ctx,
        [&, n, epoch, seq]() -> awaitable<void> {
          results[n].emplace(co_await store->append(make_append(session_name(n), epoch, seq)));
        },
        boost::asio::detached);
  }
  boost::asio::co_spawn(
      ctx,
      [&]() -> awaitable<void> { ghost.emplace(co_await store->append(make_append("s-ghost", LeaseEpoch{1}, 1))); },
      boost::asio::detached);
  ctx.run();

  for (int n = 0; n < kSessions; ++n) {
    ASSERT_TRUE(results[n].has_value());
    switch (n % 3) {
      case 0:
        EXPECT_TRUE(results[n]->ok()) << results[n]->error().to_string();
        EXPECT_EQ(last_seq(*store, n), 2);
        break;
      case 1:
        EXPECT_EQ(results[n]->error().code, Errc::fenced) << n;
        EXPECT_EQ(last_seq(*store, n), 1);
        break;
      default:
        EXPECT_EQ(results[n]->error().code, Errc::conflict) << n;
        EXPECT_EQ(last_seq(*store, n), 1);
    }
  }
  ASSERT_TRUE(ghost.has_value());
  EXPECT_EQ(ghost->error().code, Errc::not_found);
  const auto after = store->stats();
  EXPECT_EQ(after.appends - before.appends, static_cast<std::uint64_t>(kSessions / 3));
  EXPECT_LT(after.transactions - before.transactions, 5U);  // the 31 appends shared few transactions
}

// Callers on several threads, each with its own io_context: every call completes on its
// caller's context, nothing is lost or duplicated.
TEST_F(SqliteConcurrencyTest, SeveralThreadsWithTheirOwnContextsShareOneStore) {
  constexpr int kThreads = 4;
  constexpr int kSessionsPerThread = 5;
  constexpr int kAppendsEach = 10;
  auto store = open_or_fail(options_for(path_));
  ASSERT_NE(store, nullptr);
  const auto epochs = seed(*store, kThreads * kSessionsPerThread);

  std::atomic<int> failures{0};
  std::atomic<int> wrong_thread{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      boost::asio::io_context ctx;
      const auto caller = std::this_thread::get_id();
      for (int k = 0; k < kSessionsPerThread; ++k) {
        const int n = t * kSessionsPerThread + k;
        boost::asio::co_spawn(
            ctx,
            [&, n, caller]() -> awaitable<void> {
              for (int i = 0; i < kAppendsEach; ++i) {
                auto done = co_await store->append(make_append(session_name(n), epochs[n], 2 + i));
                if (std::this_thread::get_id() != caller) ++wrong_thread;
                if (!done.ok()) ++failures;
                auto events = co_await store->read_events(SessionId{session_name(n)}, EventSeq{0}, 100);
                if (std::this_thread::get_id() != caller) ++wrong_thread;
                if (!events.ok() || events->size() != static_cast<std::size_t>(i + 2)) ++failures;
              }
            },
            boost::asio::detached);
      }
      ctx.run();
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(wrong_thread.load(), 0);
  for (int n = 0; n < kThreads * kSessionsPerThread; ++n) EXPECT_EQ(last_seq(*store, n), 1 + kAppendsEach);
  EXPECT_EQ(store->stats().appends, static_cast<std::uint64_t>(kThreads * kSessionsPerThread * kAppendsEach));
}

// Two stores on one file stand for two `agentrt serve` processes: the epoch fences across them.
TEST_F(SqliteConcurrencyTest, TwoStoresOnOneFileFenceEachOther) {
  auto first = open_or_fail(options_for(path_));
  auto second = open_or_fail(options_for(path_));
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  const auto old_epoch = seed(*first, 1).front();
  auto new_epoch = run_awaitable(second->claim(SessionId{"s-0"}));
  ASSERT_TRUE(new_epoch.ok()) << new_epoch.error().to_string();
  ASSERT_TRUE(run_awaitable(second->append(make_append("s-0", *new_epoch, 2))).ok());

  auto stale = run_awaitable(first->append(make_append("s-0", old_epoch, 3)));
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, Errc::fenced);
  EXPECT_EQ(stale.error().message, "append session=s-0 seq=3: fenced (epoch 1, current 2)");
  auto events = run_awaitable(first->read_events(SessionId{"s-0"}, EventSeq{0}, 10));
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->size(), 2U);  // sees the other store's append
}

}  // namespace
}  // namespace agentrt
