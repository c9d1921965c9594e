#include "core/inspect/owner_liveness.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace agentrt {
namespace {

using ::testing::HasSubstr;

constexpr std::int64_t kNow = 1'000'000;

Lease lease(std::string owner, std::int64_t expires_ms) { return Lease{SessionId{"s-1"}, std::move(owner), LeaseEpoch{4}, expires_ms}; }

TEST(OwnerLiveness, ProcessOwnersAreParsed) {
  const auto owner = parse_process_owner("run:build-host:4242");
  ASSERT_TRUE(owner);
  EXPECT_EQ(owner->host, "build-host");
  EXPECT_EQ(owner->pid, 4242);
  EXPECT_EQ(owner->role, "run");
  EXPECT_EQ(parse_process_owner("session:h:7")->role, "session");
  EXPECT_FALSE(parse_process_owner("Run Now:h:7"));
  EXPECT_EQ(parse_process_owner("run:fe80::1:77")->host, "fe80::1");  // the pid is after the last ':'
  EXPECT_FALSE(parse_process_owner("worker-3"));
  EXPECT_FALSE(parse_process_owner("run:host"));
  EXPECT_FALSE(parse_process_owner("run:host:12x"));
  EXPECT_FALSE(parse_process_owner("run:host:0"));
  EXPECT_FALSE(parse_process_owner("run::12"));
}

TEST(OwnerLiveness, SameHostOwnerIsJudgedByItsProcess) {
  const auto exists = [](std::int64_t pid) { return pid == 4242; };
  const auto alive = assess_owner(lease("run:here:4242", kNow - 60'000), kNow, "here", exists);
  EXPECT_EQ(alive.state, OwnerState::alive);  // the process runs, even though the lease expired
  EXPECT_THAT(alive.reason, HasSubstr("process 4242 runs on this host"));
  EXPECT_THAT(alive.reason, HasSubstr("lease expired 1m0s ago"));

  const auto gone = assess_owner(lease("run:here:999", kNow + 10'000), kNow, "here", exists);
  EXPECT_EQ(gone.state, OwnerState::gone);  // killed: gone at once, before the lease expires
  EXPECT_THAT(gone.reason, HasSubstr("process 999 no longer exists"));
}

TEST(OwnerLiveness, OtherOwnersAreJudgedByExpiry) {
  bool probed = false;
  const auto probe = [&](std::int64_t) { return probed = true; };
  EXPECT_EQ(assess_owner(lease("run:elsewhere:1", kNow + 1), kNow, "here", probe).state, OwnerState::alive);
  EXPECT_EQ(assess_owner(lease("worker-3", kNow), kNow, "here", probe).state, OwnerState::expired);
  EXPECT_FALSE(probed) << "only owners on this host are probed";
  EXPECT_EQ(assess_owner(lease("", kNow + 5), kNow, "here", probe).state, OwnerState::none);
}

}  // namespace
}  // namespace agentrt
