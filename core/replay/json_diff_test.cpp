#include "core/replay/json_diff.hpp"

#include <gtest/gtest.h>

namespace agentrt {
namespace {

using json = nlohmann::json;

TEST(JsonLineDiff, ShowsEveryLeafKeyByKey) {
  const json recorded = json::parse(R"({"type":"ToolRequested","data":{"call_id":"c1","name":"lookup","arguments":{"q":"a"}}})");
  const json expected = json::parse(R"({"type":"InputRequested","data":{"call_id":"c1","kind":"approval","tool":"lookup"}})");
  EXPECT_EQ(json_line_diff(&recorded, &expected),
            "-data.arguments.q: \"a\"\n"
            " data.call_id: \"c1\"\n"
            "+data.kind: \"approval\"\n"
            "-data.name: \"lookup\"\n"
            "+data.tool: \"lookup\"\n"
            "-type: \"ToolRequested\"\n"
            "+type: \"InputRequested\"\n");
}

TEST(JsonLineDiff, ArraysAndMissingSides) {
  const json a = json::parse(R"({"l":[1,2,3]})");
  const json b = json::parse(R"({"l":[1,5]})");
  EXPECT_EQ(json_line_diff(&a, &b), " l[0]: 1\n-l[1]: 2\n+l[1]: 5\n-l[2]: 3\n");
  EXPECT_EQ(json_line_diff(nullptr, &b), "+l[0]: 1\n+l[1]: 5\n");
  EXPECT_EQ(json_line_diff(&a, nullptr), "-l[0]: 1\n-l[1]: 2\n-l[2]: 3\n");
  const json empty = json::object();
  EXPECT_EQ(json_line_diff(&empty, &b), "-(document): {}\n+l[0]: 1\n+l[1]: 5\n");
}

TEST(JsonLineDiff, ShortensLongValuesAndCapsLines) {
  const json a{{"text", std::string(300, 'x')}};
  const json b{{"text", "short"}};
  const auto diff = json_line_diff(&a, &b, {40, 20});
  EXPECT_NE(diff.find("-text: \"xxxxxxxxxxxxxxxxxxx... (282 more bytes)\n"), std::string::npos) << diff;
  json many = json::object();
  for (int i = 0; i < 50; ++i) many["k" + std::to_string(100 + i)] = i;
  const auto capped = json_line_diff(&many, nullptr, {10, 160});
  EXPECT_NE(capped.find("... 40 more lines\n"), std::string::npos) << capped;
  const json utf8{{"t", "ééééééééééé"}};  // never cut inside a character
  const auto cut = json_line_diff(&utf8, nullptr, {40, 6});
  EXPECT_EQ(cut, "-t: \"éé... (19 more bytes)\n");
}

}  // namespace
}  // namespace agentrt
