#include "core/definition/duration.hpp"

#include <gtest/gtest.h>

namespace agentrt {
namespace {

using std::chrono::milliseconds;

TEST(Duration, ParsesEveryUnit) {
  EXPECT_EQ(parse_duration("250ms"), milliseconds{250});
  EXPECT_EQ(parse_duration("5s"), milliseconds{5'000});
  EXPECT_EQ(parse_duration("1.5s"), milliseconds{1'500});
  EXPECT_EQ(parse_duration("5m"), milliseconds{300'000});
  EXPECT_EQ(parse_duration("1h"), milliseconds{3'600'000});
  EXPECT_EQ(parse_duration("0.5h"), milliseconds{1'800'000});
  EXPECT_EQ(parse_duration("30"), milliseconds{30'000});  // a bare number in a string is seconds
}

TEST(Duration, NumbersAreSeconds) {
  EXPECT_EQ(duration_from_json(nlohmann::json(5)), milliseconds{5'000});
  EXPECT_EQ(duration_from_json(nlohmann::json(0.25)), milliseconds{250});
  EXPECT_EQ(duration_from_json(nlohmann::json("2m")), milliseconds{120'000});
}

TEST(Duration, RefusesBadSyntaxZeroNegativeAndHuge) {
  for (const char* bad : {"", "s", "5 s", "5x", "5sec", "-1s", "0s", "0", "0.0001s", "1e3s", ".5s", "5.s", "1h30m",
                          "99999h", "5S", " 5s"}) {
    EXPECT_EQ(parse_duration(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(duration_from_json(nlohmann::json(-2)), std::nullopt);
  EXPECT_EQ(duration_from_json(nlohmann::json(0)), std::nullopt);
  EXPECT_EQ(duration_from_json(nlohmann::json(true)), std::nullopt);
  EXPECT_EQ(duration_from_json(nlohmann::json::array()), std::nullopt);
}

}  // namespace
}  // namespace agentrt
