#include <gtest/gtest.h>

#include "core/inspect/excerpt.hpp"
#include "core/inspect/text_table.hpp"
#include "core/inspect/time_format.hpp"

namespace agentrt {
namespace {

TEST(TimeFormat, UtcTimesAndDates) {
  EXPECT_EQ(format_utc(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_utc(1'763'900'000'123), "2025-11-23T12:13:20.123Z");
  EXPECT_EQ(format_clock(1'763'900'000'123), "12:13:20.123");
  EXPECT_EQ(format_date(1'763'900'000'123), "2025-11-23");
  EXPECT_EQ(format_utc(-1), "1969-12-31T23:59:59.999Z");
}

TEST(TimeFormat, DurationsAreShortAndReadable) {
  EXPECT_EQ(format_duration(250), "250ms");
  EXPECT_EQ(format_duration(3'200), "3.2s");
  EXPECT_EQ(format_duration(45'000), "45s");
  EXPECT_EQ(format_duration(723'000), "12m3s");
  EXPECT_EQ(format_duration(7'500'000), "2h5m");
  EXPECT_EQ(format_duration(3 * 86'400'000LL + 4 * 3'600'000LL), "3d4h");
  EXPECT_EQ(format_duration(-1'500), "-1.5s");
  EXPECT_EQ(format_relative(1'000, 61'000), "1m0s ago");
  EXPECT_EQ(format_relative(6'000, 1'000), "in 5.0s");
}

TEST(Excerpt, LongTextIsCutOnACharacterBoundaryWithAMarker) {
  EXPECT_EQ(truncate_text("short", 10), "short");
  // "é" is two bytes: a cut after 2 bytes would split it, so the cut is after "h".
  EXPECT_EQ(truncate_text("h\xC3\xA9llo", 2), "h\u2026 (+5 bytes)");
  EXPECT_EQ(one_line("a\nb\tc", 100), "a\\nb\\tc");
  const auto cut = one_line(std::string(500, 'x'), 20);
  EXPECT_EQ(cut.substr(0, 20), std::string(20, 'x'));
  EXPECT_NE(cut.find("(+480 bytes)"), std::string::npos) << cut;
}

TEST(Excerpt, JsonStringsAreCutInsideTheStructure) {
  const nlohmann::json in{{"output", std::string(3000, 'y')}, {"n", 1}, {"list", {std::string(10, 'z')}}};
  const auto out = truncate_strings(in, 100);
  EXPECT_LT(out["output"].get<std::string>().size(), 130U);
  EXPECT_EQ(out["n"], 1);
  EXPECT_EQ(out["list"][0], std::string(10, 'z'));
}

TEST(TextTable, ColumnsAlignOnTheWidestCell) {
  const auto table = format_table({"ID", "STATUS"}, {{"s-1", "idle"}, {"s-22222", "waiting_for_input"}});
  EXPECT_EQ(table,
            "ID       STATUS\n"
            "s-1      idle\n"
            "s-22222  waiting_for_input\n");
}

}  // namespace
}  // namespace agentrt
