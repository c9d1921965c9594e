#include "core/inspect/stuck_diagnosis.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace agentrt {
namespace {

using ::testing::HasSubstr;

constexpr std::int64_t kNow = 1'763'900'000'000;
constexpr std::string_view kDb = "/var/lib/agentrt/agentrt.db";

StuckFacts facts(SessionStatus status, std::string owner = "", OwnerState owner_state = OwnerState::none) {
  StuckFacts f;
  f.record.id = SessionId{"s-1"};
  f.record.status = status;
  f.record.updated_ms = kNow - 60'000;
  f.lease = Lease{f.record.id, std::move(owner), LeaseEpoch{2}, kNow - 1'000};
  f.owner = OwnerAssessment{owner_state, "why"};
  return f;
}

ToolInFlight call(std::int64_t since_ms, std::int64_t budget_ms) {
  return ToolInFlight{"call_1", "lookup", 7, since_ms, 5'000, 3, budget_ms};
}

TEST(StuckDiagnosis, RunningWithoutALiveOwnerIsOwnerGone) {
  auto f = facts(SessionStatus::running, "run:here:42", OwnerState::gone);
  f.tools.push_back(call(kNow - 2'000, 20'000));
  const auto d = diagnose_stuck(f, kNow, {}, kDb);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, StuckKind::owner_gone);
  EXPECT_THAT(d->diagnosis, HasSubstr("its owner run:here:42 is not alive"));
  EXPECT_THAT(d->diagnosis, HasSubstr("retried with the same Idempotency-Key"));
  EXPECT_EQ(d->fix, "agentrt run --session s-1 --db /var/lib/agentrt/agentrt.db");
  EXPECT_THAT(d->alternative, HasSubstr("agentrt session terminate s-1 --reason"));

  auto unowned = facts(SessionStatus::running);
  ASSERT_TRUE(diagnose_stuck(unowned, kNow, {}, kDb));
  EXPECT_THAT(diagnose_stuck(unowned, kNow, {}, kDb)->diagnosis, HasSubstr("no owner holds its lease"));
}

TEST(StuckDiagnosis, RunningWithALiveOwnerIsFineUntilAToolCallOutlivesItsBudget) {
  auto f = facts(SessionStatus::running, "run:here:42", OwnerState::alive);
  f.tools.push_back(call(kNow - 20'000, 20'000));
  EXPECT_FALSE(diagnose_stuck(f, kNow, {}, kDb)) << "within budget + grace";
  f.tools[0].since_ms = kNow - 26'000;
  const auto d = diagnose_stuck(f, kNow, {}, kDb);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, StuckKind::tool_timeout);
  EXPECT_THAT(d->diagnosis, HasSubstr("tool call lookup (call_1, seq 7) in flight for 26s, past its budget of 20s"));
  EXPECT_THAT(d->diagnosis, HasSubstr("owner run:here:42 looks wedged"));
  EXPECT_EQ(d->fix, "agentrt run --session s-1 --db /var/lib/agentrt/agentrt.db");

  f.tools[0].budget_ms = 0;  // a tool the definition does not know: no judgement
  EXPECT_FALSE(diagnose_stuck(f, kNow, {}, kDb));
}

TEST(StuckDiagnosis, OverdueTimerWithoutALiveOwner) {
  auto f = facts(SessionStatus::sleeping, "run:here:42", OwnerState::gone);
  f.record.wake_at_ms = kNow - 4'000;
  EXPECT_FALSE(diagnose_stuck(f, kNow, {}, kDb)) << "within the grace";
  f.record.wake_at_ms = kNow - 9'000;
  const auto d = diagnose_stuck(f, kNow, {}, kDb);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, StuckKind::timer_overdue);
  EXPECT_THAT(d->diagnosis, HasSubstr("is overdue by 9.0s"));
  f.owner.state = OwnerState::alive;  // the owner will fire it
  EXPECT_FALSE(diagnose_stuck(f, kNow, {}, kDb));
}

TEST(StuckDiagnosis, OldPendingMessageOnAnIdleOrWaitingSession) {
  for (const auto status : {SessionStatus::idle, SessionStatus::waiting_for_input}) {
    auto f = facts(status);
    f.pending_count = 2;
    f.oldest_pending = InboxMessage{MessageId{"m-9"}, "hello", kNow - 10'000};
    EXPECT_FALSE(diagnose_stuck(f, kNow, {}, kDb)) << "younger than the threshold";
    const auto d = diagnose_stuck(f, kNow, StuckThresholds{5'000, 5'000, 5'000}, kDb);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->kind, StuckKind::inbox_not_drained);
    EXPECT_THAT(d->diagnosis, HasSubstr("2 messages not drained from the inbox; oldest (m-9) enqueued 10s ago"));
  }
}

TEST(StuckDiagnosis, FinishedSessionsAreNeverStuck) {
  for (const auto status : {SessionStatus::completed, SessionStatus::failed, SessionStatus::cancelled}) {
    auto f = facts(status, "run:here:42", OwnerState::gone);
    f.oldest_pending = InboxMessage{MessageId{"m-1"}, "late", kNow - 3'600'000};
    f.pending_count = 1;
    EXPECT_FALSE(diagnose_stuck(f, kNow, {}, kDb)) << session_status_name(status);
  }
}

TEST(StuckDiagnosis, WithoutLeasesOwnerProblemsAreNotGuessed) {
  auto f = facts(SessionStatus::running);
  f.lease.reset();
  EXPECT_FALSE(diagnose_stuck(f, kNow, {}, kDb));
}

TEST(StuckDiagnosis, FixCommandsAreShellQuoted) {
  EXPECT_EQ(shell_quote("/tmp/a b/it's.db"), "'/tmp/a b/it'\\''s.db'");
  EXPECT_EQ(shell_quote("plain-path/x.db"), "plain-path/x.db");
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(terminate_command("s-1", "tool hangs", "db"), "agentrt session terminate s-1 --reason 'tool hangs' --db db");
}

}  // namespace
}  // namespace agentrt
