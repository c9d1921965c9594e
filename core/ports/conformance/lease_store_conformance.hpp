#pragma once
// The LeaseStore conformance suite: the contract of core/ports/lease_store.hpp as tests, run
// against every adapter, together with the SessionStore that shares its epoch (a take-over
// must fence the old owner's appends). Header-only; include it in exactly one test file of a
// backend and instantiate it there:
//
//   INSTANTIATE_TEST_SUITE_P(Memory, LeaseStoreConformance,
//       ::testing::Values(LeaseStoreBackend{"Memory", [] { ...return LeaseStoreUnderTest{...}; }}),
//       lease_store_backend_name);
//
// The factory is called once per test and must return new, empty stores.

#include <chrono>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include <boost/asio/detached.hpp>

#include "core/ports/conformance/session_store_fixture.hpp"
#include "core/ports/lease_store.hpp"

namespace agentrt::conformance {

// The two ports of one backend; `leases` is declared last, so it is destroyed first.
struct LeaseStoreUnderTest {
  std::unique_ptr<SessionStore> sessions;
  std::unique_ptr<LeaseStore> leases;
};

struct LeaseStoreBackend {
  std::string name;  // used in test names: letters and digits only
  std::function<LeaseStoreUnderTest()> make;
  friend void PrintTo(const LeaseStoreBackend& backend, std::ostream* os) { *os << backend.name; }
};

inline std::string lease_store_backend_name(const ::testing::TestParamInfo<LeaseStoreBackend>& info) {
  return info.param.name;
}

class LeaseStoreConformance : public ::testing::TestWithParam<LeaseStoreBackend> {
 protected:
  static constexpr std::chrono::milliseconds kTtl{10'000};
  static constexpr std::int64_t kNow = 1'000'000;

  void SetUp() override {
    stores_ = GetParam().make();
    ASSERT_NE(stores_.sessions, nullptr) << "factory returned no session store";
    ASSERT_NE(stores_.leases, nullptr) << "factory returned no lease store";
    create("s-1");
  }
  void TearDown() override {
    stores_.leases.reset();
    stores_.sessions.reset();
  }

  SessionStore& sessions() { return *stores_.sessions; }
  LeaseStore& leases() { return *stores_.leases; }

  void create(const std::string& id) {
    SessionRecord r;
    r.id = SessionId{id};
    r.org = OrgId{"org-1"};
    r.bot = BotId{"bot-1"};
    r.definition_hash = "hash-1";
    r.created_ms = r.updated_ms = 1'000;
    auto created = run_awaitable(
        sessions().create_session(r, nlohmann::json{{"name", "bot-1"}}, {Event{EventSeq{1}, EventType::SessionStarted, 1'000, {}}}));
    ASSERT_TRUE(created.ok()) << created.error().to_string();
  }

  Result<Lease> acquire(const std::string& owner, std::int64_t now_ms = kNow, const std::string& id = "s-1") {
    return run_awaitable(leases().acquire(SessionId{id}, owner, kTtl, now_ms));
  }
  Result<Lease> renew(const std::string& owner, LeaseEpoch epoch, std::int64_t now_ms = kNow) {
    return run_awaitable(leases().renew(SessionId{"s-1"}, owner, epoch, kTtl, now_ms));
  }
  Result<void> release(const std::string& owner, LeaseEpoch epoch) {
    return run_awaitable(leases().release(SessionId{"s-1"}, owner, epoch));
  }
  Result<Lease> take_over(const std::string& owner, std::int64_t now_ms = kNow) {
    return run_awaitable(leases().take_over(SessionId{"s-1"}, owner, kTtl, now_ms));
  }
  Lease get() {
    auto lease = run_awaitable(leases().get(SessionId{"s-1"}));
    EXPECT_TRUE(lease.ok()) << lease.error().to_string();
    return lease.ok() ? *lease : Lease{};
  }
  Result<void> append(LeaseEpoch epoch, std::int64_t seq) {
    AppendRequest request;
    request.session = SessionId{"s-1"};
    request.epoch = epoch;
    request.events.push_back(Event{EventSeq{seq}, EventType::OutputEmitted, 2'000 + seq, {{"text", "out"}}});
    return run_awaitable(sessions().append(std::move(request)));
  }
  LeaseEpoch held(const Result<Lease>& lease) {
    EXPECT_TRUE(lease.ok()) << lease.error().to_string();
    return lease.ok() ? lease->epoch : LeaseEpoch{-1};
  }

 private:
  LeaseStoreUnderTest stores_;
};

using ::testing::HasSubstr;

TEST_P(LeaseStoreConformance, AcquireFreeSessionGivesANewEpoch) {
  EXPECT_EQ(get().owner, "");
  EXPECT_EQ(get().epoch, LeaseEpoch{0});
  auto lease = acquire("w-1");
  ASSERT_TRUE(lease.ok()) << lease.error().to_string();
  EXPECT_EQ(lease->session, SessionId{"s-1"});
  EXPECT_EQ(lease->owner, "w-1");
  EXPECT_EQ(lease->epoch, LeaseEpoch{1});
  EXPECT_EQ(lease->expires_ms, kNow + kTtl.count());
  const auto now = get();
  EXPECT_EQ(now.owner, "w-1");
  EXPECT_EQ(now.epoch, LeaseEpoch{1});
  EXPECT_EQ(now.expires_ms, kNow + kTtl.count());
}

TEST_P(LeaseStoreConformance, AcquireBySameOwnerKeepsTheEpochAndExtends) {
  const auto epoch = held(acquire("w-1"));
  auto again = acquire("w-1", kNow + 5'000);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(again->epoch, epoch);
  EXPECT_EQ(again->expires_ms, kNow + 5'000 + kTtl.count());
}

TEST_P(LeaseStoreConformance, AcquireHeldByAnotherIsConflictNamingTheOwner) {
  const auto epoch = held(acquire("w-1"));
  auto other = acquire("w-2", kNow + kTtl.count() - 1);  // one ms before expiry
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, Errc::conflict);
  EXPECT_THAT(other.error().message, HasSubstr("w-1"));
  EXPECT_THAT(other.error().message, HasSubstr("s-1"));
  const auto now = get();
  EXPECT_EQ(now.owner, "w-1");
  EXPECT_EQ(now.epoch, epoch);
}

TEST_P(LeaseStoreConformance, AcquireExpiredLeaseGivesANewEpochAndFencesTheOldOwner) {
  const auto old_epoch = held(acquire("w-1"));
  auto taken = acquire("w-2", kNow + kTtl.count());  // expires_ms <= now: expired
  ASSERT_TRUE(taken.ok()) << taken.error().to_string();
  EXPECT_EQ(taken->owner, "w-2");
  EXPECT_EQ(taken->epoch, LeaseEpoch{old_epoch.value + 1});
  auto stale = renew("w-1", old_epoch, kNow + kTtl.count());
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, Errc::fenced);
  auto append_stale = append(old_epoch, 2);
  ASSERT_FALSE(append_stale.ok());
  EXPECT_EQ(append_stale.error().code, Errc::fenced);
}

TEST_P(LeaseStoreConformance, RenewExtendsTheLease) {
  const auto epoch = held(acquire("w-1"));
  auto renewed = renew("w-1", epoch, kNow + 3'000);
  ASSERT_TRUE(renewed.ok()) << renewed.error().to_string();
  EXPECT_EQ(renewed->epoch, epoch);
  EXPECT_EQ(renewed->expires_ms, kNow + 3'000 + kTtl.count());
  EXPECT_EQ(get().expires_ms, kNow + 3'000 + kTtl.count());
}

TEST_P(LeaseStoreConformance, RenewWithWrongEpochOrOwnerOrAfterExpiryIsFencedAndChangesNothing) {
  const auto epoch = held(acquire("w-1"));
  const auto before = get();
  for (const auto& [owner, e, now] : std::vector<std::tuple<std::string, LeaseEpoch, std::int64_t>>{
           {"w-1", LeaseEpoch{epoch.value + 1}, kNow + 1},  // wrong epoch
           {"w-1", LeaseEpoch{epoch.value - 1}, kNow + 1},
           {"w-2", epoch, kNow + 1},                        // wrong owner
           {"w-1", epoch, kNow + kTtl.count()},             // expired
       }) {
    auto renewed = renew(owner, e, now);
    ASSERT_FALSE(renewed.ok()) << owner << " epoch " << e.value << " at " << now;
    EXPECT_EQ(renewed.error().code, Errc::fenced) << renewed.error().to_string();
    EXPECT_THAT(renewed.error().message, HasSubstr("s-1"));
    const auto after = get();
    EXPECT_EQ(after.owner, before.owner);
    EXPECT_EQ(after.epoch, before.epoch);
    EXPECT_EQ(after.expires_ms, before.expires_ms);
  }
}

TEST_P(LeaseStoreConformance, ReleaseLetsAnotherOwnerAcquireAtOnce) {
  const auto epoch = held(acquire("w-1"));
  ASSERT_TRUE(release("w-1", epoch).ok());
  const auto released = get();
  EXPECT_EQ(released.owner, "");
  EXPECT_EQ(released.epoch, epoch);  // the epoch stays
  auto next = acquire("w-2", kNow + 1);  // long before the old expiry
  ASSERT_TRUE(next.ok()) << next.error().to_string();
  EXPECT_EQ(next->epoch, LeaseEpoch{epoch.value + 1});
}

TEST_P(LeaseStoreConformance, ReleaseByAStaleOwnerIsFencedAndKeepsTheLease) {
  const auto old_epoch = held(acquire("w-1"));
  const auto new_epoch = held(take_over("w-2"));
  auto stale = release("w-1", old_epoch);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, Errc::fenced);
  auto wrong_epoch = release("w-2", old_epoch);
  ASSERT_FALSE(wrong_epoch.ok());
  EXPECT_EQ(wrong_epoch.error().code, Errc::fenced);
  EXPECT_EQ(get().owner, "w-2");
  EXPECT_EQ(get().epoch, new_epoch);
}

TEST_P(LeaseStoreConformance, TakeOverFencesTheOldOwnersAppendsAndRenewals) {
  const auto old_epoch = held(acquire("w-1"));
  ASSERT_TRUE(append(old_epoch, 2).ok());
  auto taken = take_over("operator", kNow + 1);
  ASSERT_TRUE(taken.ok()) << taken.error().to_string();
  EXPECT_EQ(taken->owner, "operator");
  EXPECT_EQ(taken->epoch, LeaseEpoch{old_epoch.value + 1});
  EXPECT_EQ(taken->expires_ms, kNow + 1 + kTtl.count());

  auto stale = append(old_epoch, 3);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, Errc::fenced);
  EXPECT_THAT(stale.error().message, HasSubstr("s-1"));
  auto renewed = renew("w-1", old_epoch, kNow + 2);
  ASSERT_FALSE(renewed.ok());
  EXPECT_EQ(renewed.error().code, Errc::fenced);
  ASSERT_TRUE(append(taken->epoch, 3).ok());
  auto session = run_awaitable(sessions().get_session(SessionId{"s-1"}));
  ASSERT_TRUE(session.ok());
  EXPECT_EQ(session->epoch, taken->epoch);
  EXPECT_EQ(session->last_seq, EventSeq{3});
}

TEST_P(LeaseStoreConformance, ClaimIsAnAnonymousTakeOver) {
  const auto epoch = held(acquire("w-1"));
  auto claimed = run_awaitable(sessions().claim(SessionId{"s-1"}));
  ASSERT_TRUE(claimed.ok()) << claimed.error().to_string();
  EXPECT_EQ(*claimed, LeaseEpoch{epoch.value + 1});
  auto renewed = renew("w-1", epoch, kNow + 1);
  ASSERT_FALSE(renewed.ok());
  EXPECT_EQ(renewed.error().code, Errc::fenced);
  EXPECT_EQ(get().owner, "");
  EXPECT_EQ(get().epoch, *claimed);
  auto next = acquire("w-2", kNow + 1);  // nobody holds it now
  ASSERT_TRUE(next.ok()) << next.error().to_string();
  EXPECT_EQ(next->epoch, LeaseEpoch{claimed->value + 1});
}

TEST_P(LeaseStoreConformance, ConcurrentAcquiresHaveExactlyOneWinner) {
  constexpr int kContenders = 12;
  boost::asio::io_context ctx;
  int won = 0;
  int conflicts = 0;
  for (int i = 0; i < kContenders; ++i) {
    boost::asio::co_spawn(
        ctx,
        [this, i, &won, &conflicts]() -> boost::asio::awaitable<void> {
          auto lease = co_await leases().acquire(SessionId{"s-1"}, "w-" + std::to_string(i), kTtl, kNow);
          if (lease.ok()) ++won;
          if (!lease.ok() && lease.error().code == Errc::conflict) ++conflicts;
        },
        boost::asio::detached);
  }
  ctx.run();
  EXPECT_EQ(won, 1);
  EXPECT_EQ(conflicts, kContenders - 1);
  EXPECT_EQ(get().epoch, LeaseEpoch{1});
}

TEST_P(LeaseStoreConformance, UnknownSessionIsNotFoundAndEmptyOwnerIsInvalid) {
  const SessionId ghost{"s-ghost"};
  auto expect = [](const auto& result, Errc code, const char* method) {
    ASSERT_FALSE(result.ok()) << method;
    EXPECT_EQ(result.error().code, code) << method << ": " << result.error().to_string();
  };
  expect(run_awaitable(leases().acquire(ghost, "w-1", kTtl, kNow)), Errc::not_found, "acquire");
  expect(run_awaitable(leases().renew(ghost, "w-1", LeaseEpoch{1}, kTtl, kNow)), Errc::not_found, "renew");
  expect(run_awaitable(leases().release(ghost, "w-1", LeaseEpoch{1})), Errc::not_found, "release");
  expect(run_awaitable(leases().take_over(ghost, "w-1", kTtl, kNow)), Errc::not_found, "take_over");
  expect(run_awaitable(leases().get(ghost)), Errc::not_found, "get");
  auto missing = run_awaitable(leases().get(ghost));
  if (!missing.ok()) {
    EXPECT_THAT(missing.error().message, HasSubstr("s-ghost"));
  }

  expect(acquire(""), Errc::invalid, "acquire with an empty owner");
  expect(take_over(""), Errc::invalid, "take_over with an empty owner");
  expect(run_awaitable(leases().acquire(SessionId{"s-1"}, "w-1", std::chrono::milliseconds{0}, kNow)), Errc::invalid,
         "acquire with a zero ttl");
  EXPECT_EQ(get().epoch, LeaseEpoch{0});  // nothing changed
}

// find_runnable: a session shows up exactly while it needs a worker and has none.
class LeaseStoreRunnable : public LeaseStoreConformance {
 protected:
  std::vector<std::string> runnable_ids(std::int64_t now_ms, std::size_t limit = 100) {
    auto found = run_awaitable(leases().find_runnable(now_ms, limit));
    EXPECT_TRUE(found.ok()) << found.error().to_string();
    std::vector<std::string> ids;
    if (found.ok()) {
      for (const auto& r : *found) ids.push_back(r.session.str());
    }
    return ids;
  }
  std::optional<RunnableSession> runnable(const std::string& id, std::int64_t now_ms) {
    auto found = run_awaitable(leases().find_runnable(now_ms, 100));
    EXPECT_TRUE(found.ok()) << found.error().to_string();
    if (found.ok()) {
      for (const auto& r : *found) {
        if (r.session.str() == id) return r;
      }
    }
    return std::nullopt;
  }
  void enqueue(const std::string& id, const std::string& message_id) {
    auto queued = run_awaitable(sessions().enqueue(SessionId{id}, InboxMessage{MessageId{message_id}, "hi", 1'500}));
    ASSERT_TRUE(queued.ok()) << queued.error().to_string();
  }
  // Appends one event at `time_ms` under a claimed epoch, setting the status (and wake time).
  void set_status(const std::string& id, SessionStatus status, std::int64_t time_ms,
                  std::optional<std::int64_t> wake_at_ms = std::nullopt) {
    auto epoch = run_awaitable(sessions().claim(SessionId{id}));
    ASSERT_TRUE(epoch.ok()) << epoch.error().to_string();
    auto record = run_awaitable(sessions().get_session(SessionId{id}));
    ASSERT_TRUE(record.ok()) << record.error().to_string();
    AppendRequest request;
    request.session = SessionId{id};
    request.epoch = *epoch;
    request.events.push_back(Event{EventSeq{record->last_seq.value + 1}, EventType::OutputEmitted, time_ms, {{"text", "x"}}});
    request.status = status;
    request.wake_at_ms = wake_at_ms;
    auto appended = run_awaitable(sessions().append(std::move(request)));
    ASSERT_TRUE(appended.ok()) << appended.error().to_string();
  }
};

TEST_P(LeaseStoreRunnable, IdleWithoutMessagesIsNotRunnableAPendingMessageMakesItRunnable) {
  EXPECT_THAT(runnable_ids(kNow), ::testing::IsEmpty());
  enqueue("s-1", "m-1");
  const auto r = runnable("s-1", kNow);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->reason, RunnableReason::inbox);
  EXPECT_EQ(r->org, OrgId{"org-1"});
  EXPECT_EQ(r->bot, BotId{"bot-1"});
}

TEST_P(LeaseStoreRunnable, AHeldLeaseHidesItUntilItExpiresOrIsReleased) {
  enqueue("s-1", "m-1");
  const auto epoch = held(acquire("w-1"));
  EXPECT_THAT(runnable_ids(kNow + 1), ::testing::IsEmpty()) << "held by w-1";
  EXPECT_THAT(runnable_ids(kNow + kTtl.count()), ::testing::ElementsAre("s-1")) << "expired";
  ASSERT_TRUE(release("w-1", epoch).ok());
  EXPECT_THAT(runnable_ids(kNow + 1), ::testing::ElementsAre("s-1")) << "released";
}

TEST_P(LeaseStoreRunnable, RunningWithoutOwnerIsInterruptedDueTimerIsRunnableTerminalNever) {
  create("s-2");
  create("s-3");
  create("s-4");
  set_status("s-1", SessionStatus::running, 2'000);
  set_status("s-2", SessionStatus::sleeping, 2'001, kNow + 5'000);
  set_status("s-3", SessionStatus::completed, 2'002);
  enqueue("s-3", "m-late");  // a message to a finished session wakes nobody
  set_status("s-4", SessionStatus::waiting_for_input, 2'003);
  EXPECT_THAT(runnable_ids(kNow), ::testing::ElementsAre("s-1"));
  ASSERT_TRUE(runnable("s-1", kNow).has_value());
  EXPECT_EQ(runnable("s-1", kNow)->reason, RunnableReason::interrupted);
  EXPECT_THAT(runnable_ids(kNow + 5'000), ::testing::ElementsAre("s-1", "s-2")) << "the timer is due";
  EXPECT_EQ(runnable("s-2", kNow + 5'000)->reason, RunnableReason::timer_due);
  enqueue("s-4", "m-answer");
  EXPECT_THAT(runnable_ids(kNow), ::testing::ElementsAre("s-1", "s-4")) << "an answer to a waiting session";
}

TEST_P(LeaseStoreRunnable, LongestWaitingFirstAndBoundedByTheLimit) {
  create("s-2");
  create("s-3");
  set_status("s-1", SessionStatus::idle, 3'000);
  set_status("s-2", SessionStatus::idle, 2'000);
  set_status("s-3", SessionStatus::idle, 2'500);
  for (const auto* id : {"s-1", "s-2", "s-3"}) enqueue(id, "m-1");
  EXPECT_THAT(runnable_ids(kNow), ::testing::ElementsAre("s-2", "s-3", "s-1"));
  EXPECT_THAT(runnable_ids(kNow, 2), ::testing::ElementsAre("s-2", "s-3"));
}

}  // namespace agentrt::conformance
