#include "core/runtime/dependency_health.hpp"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace agentrt {
namespace {

TEST(DependencyHealth, ReachableUntilAFailureAndAgainAfterTheNextAnswer) {
  DependencyHealth health("store (dynamodb table t)");
  EXPECT_EQ(health.problem(), std::nullopt);
  health.unavailable("connection refused");
  ASSERT_TRUE(health.problem().has_value());
  EXPECT_EQ(*health.problem(), "store (dynamodb table t) unreachable: connection refused");
  health.unavailable("timed out");  // the last reason is the one shown; still one outage
  EXPECT_EQ(*health.problem(), "store (dynamodb table t) unreachable: timed out");
  EXPECT_EQ(health.outages(), 1U);
  health.answered();
  EXPECT_EQ(health.problem(), std::nullopt);
  health.unavailable("503");
  EXPECT_EQ(health.outages(), 2U);
}

TEST(DependencyHealth, ALongReasonIsCut) {
  DependencyHealth health("queue");
  health.unavailable(std::string(5000, 'x'));
  EXPECT_LT(health.problem()->size(), 400U);
}

TEST(DependencyHealth, ReportsFromOneThreadWhileAnotherReads) {
  DependencyHealth health("queue");
  std::thread writer([&health] {
    for (int i = 0; i < 20000; ++i) {
      if (i % 2 == 0) {
        health.unavailable("down");
      } else {
        health.answered();
      }
    }
  });
  for (int i = 0; i < 20000; ++i) {
    const auto problem = health.problem();
    if (problem) {
      EXPECT_EQ(*problem, "queue unreachable: down");
    }
  }
  writer.join();
  EXPECT_EQ(health.problem(), std::nullopt);  // the last report was an answer
  EXPECT_EQ(health.outages(), 10000U);
}

}  // namespace
}  // namespace agentrt
