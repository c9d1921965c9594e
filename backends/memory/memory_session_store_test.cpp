// The in-memory SessionStore: the port's conformance suite, plus its fault hooks and the
// promise to complete on the caller's executor.
#include "backends/memory/memory_session_store.hpp"

#include <future>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/thread_pool.hpp>

#include "core/ports/conformance/session_store_conformance.hpp"

namespace agentrt {
namespace {

namespace asio = boost::asio;
using conformance::run_awaitable;
using conformance::SessionStoreBackend;
using conformance::SessionStoreConformance;
using ::testing::HasSubstr;

INSTANTIATE_TEST_SUITE_P(Memory, SessionStoreConformance,
                         ::testing::Values(SessionStoreBackend{"Memory",
                                                               []() -> std::unique_ptr<SessionStore> {
                                                                 return make_memory_session_store();
                                                               }}),
                         conformance::session_store_backend_name);

SessionRecord make_record(const std::string& id) {
  SessionRecord r;
  r.id = SessionId{id};
  r.org = OrgId{"org-1"};
  r.bot = BotId{"bot-1"};
  r.definition_hash = "hash-1";
  r.created_ms = 1'000;
  r.updated_ms = 1'000;
  return r;
}

Event make_event(std::int64_t seq) {
  return Event{EventSeq{seq}, EventType::OutputEmitted, 5'000 + seq, nlohmann::json{{"text", "out " + std::to_string(seq)}}};
}

AppendRequest make_append(const std::string& id, LeaseEpoch epoch, std::int64_t first, std::int64_t last) {
  AppendRequest request;
  request.session = SessionId{id};
  request.epoch = epoch;
  for (auto seq = first; seq <= last; ++seq) request.events.push_back(make_event(seq));
  return request;
}

class MemorySessionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = run_awaitable(store_->create_session(make_record("s-1"), nlohmann::json{{"name", "demo"}},
                                                        {Event{EventSeq{1}, EventType::SessionStarted, 1'000, {}}}));
    ASSERT_TRUE(created.ok()) << created.error().to_string();
    auto claimed = run_awaitable(store_->claim(SessionId{"s-1"}));
    ASSERT_TRUE(claimed.ok());
    epoch_ = *claimed;
  }

  std::size_t history_size() {
    auto events = run_awaitable(store_->read_events(SessionId{"s-1"}, EventSeq{0}, 100));
    EXPECT_TRUE(events.ok());
    return events.ok() ? events->size() : 0;
  }

  std::unique_ptr<MemorySessionStore> store_ = make_memory_session_store();
  LeaseEpoch epoch_;
};

TEST_F(MemorySessionStoreTest, FailNextAppendsFailsExactlyThatManyAndWritesNothing) {
  store_->fail_next_appends(2, Error{Errc::retryable, "disk busy"});
  auto first = run_awaitable(store_->append(make_append("s-1", epoch_, 2, 2)));
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().code, Errc::retryable);
  EXPECT_EQ(first.error().message, "append session=s-1: disk busy");
  auto second = run_awaitable(store_->append(make_append("s-1", epoch_, 2, 2)));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(history_size(), 1U);

  auto third = run_awaitable(store_->append(make_append("s-1", epoch_, 2, 3)));
  ASSERT_TRUE(third.ok()) << third.error().to_string();
  EXPECT_EQ(history_size(), 3U);
  EXPECT_EQ(store_->append_count(), 3U);
}

TEST_F(MemorySessionStoreTest, AppendCountCountsRejectedAppendsToo) {
  EXPECT_EQ(store_->append_count(), 0U);
  EXPECT_FALSE(run_awaitable(store_->append(make_append("s-1", epoch_, 5, 5))).ok());  // gap
  EXPECT_FALSE(run_awaitable(store_->append(make_append("s-ghost", epoch_, 2, 2))).ok());
  EXPECT_TRUE(run_awaitable(store_->append(make_append("s-1", epoch_, 2, 2))).ok());
  EXPECT_EQ(store_->append_count(), 3U);
}

TEST_F(MemorySessionStoreTest, ErrorsNameTheSessionAndTheRule) {
  auto gap = run_awaitable(store_->append(make_append("s-1", epoch_, 4, 4)));
  ASSERT_FALSE(gap.ok());
  EXPECT_EQ(gap.error().message, "append session=s-1: expected seq 2, got 4");

  const auto newer = run_awaitable(store_->claim(SessionId{"s-1"}));
  ASSERT_TRUE(newer.ok());
  auto stale = run_awaitable(store_->append(make_append("s-1", epoch_, 2, 2)));
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().message, "append session=s-1 seq=2: fenced (epoch 1, current 2)");

  auto missing = run_awaitable(store_->get_session(SessionId{"s-9"}));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "get_session session=s-9: no such session");
}

TEST_F(MemorySessionStoreTest, BadInputsAreInvalid) {
  auto empty = run_awaitable(store_->append(make_append("s-1", epoch_, 2, 1)));
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, Errc::invalid);
  EXPECT_THAT(empty.error().message, HasSubstr("no events"));

  auto beyond = run_awaitable(store_->save_checkpoint(SessionId{"s-1"}, epoch_, Checkpoint{EventSeq{9}, {}}));
  ASSERT_FALSE(beyond.ok());
  EXPECT_EQ(beyond.error().code, Errc::invalid);
  EXPECT_THAT(beyond.error().message, HasSubstr("seq 9"));

  auto no_id = run_awaitable(store_->create_session(make_record(""), {}, {}));
  ASSERT_FALSE(no_id.ok());
  EXPECT_EQ(no_id.error().code, Errc::invalid);

  auto misnumbered = run_awaitable(store_->create_session(make_record("s-2"), {}, {make_event(2)}));
  ASSERT_FALSE(misnumbered.ok());
  EXPECT_EQ(misnumbered.error().code, Errc::invalid);
  EXPECT_FALSE(run_awaitable(store_->get_session(SessionId{"s-2"})).ok());

  auto no_message_id = run_awaitable(store_->enqueue(SessionId{"s-1"}, InboxMessage{MessageId{""}, "x", 1}));
  ASSERT_FALSE(no_message_id.ok());
  EXPECT_EQ(no_message_id.error().code, Errc::invalid);

  auto twice = make_append("s-1", epoch_, 2, 2);
  ASSERT_TRUE(run_awaitable(store_->enqueue(SessionId{"s-1"}, InboxMessage{MessageId{"m-1"}, "x", 1})).ok());
  twice.consumed_messages = {MessageId{"m-1"}, MessageId{"m-1"}};  // one message consumed twice in one append
  auto consumed_twice = run_awaitable(store_->append(twice));
  ASSERT_FALSE(consumed_twice.ok());
  EXPECT_EQ(consumed_twice.error().code, Errc::conflict);
  EXPECT_EQ(history_size(), 1U);
}

// A caller on a thread pool gets its completion on its own executor, never inline.
TEST_F(MemorySessionStoreTest, CompletesOnTheCallersExecutor) {
  asio::thread_pool pool(1);
  std::promise<std::pair<bool, bool>> seen;
  asio::co_spawn(
      pool,
      [&]() -> asio::awaitable<void> {
        const auto caller = std::this_thread::get_id();
        auto record = co_await store_->get_session(SessionId{"s-1"});
        seen.set_value({record.ok(), std::this_thread::get_id() == caller});
      },
      asio::detached);
  const auto [ok, same_thread] = seen.get_future().get();
  pool.join();
  EXPECT_TRUE(ok);
  EXPECT_TRUE(same_thread);
}

}  // namespace
}  // namespace agentrt
