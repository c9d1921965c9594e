#include "core/model/json_string.hpp"

#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

namespace agentrt {
namespace {

std::string as_json(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

TEST(JsonString, WellFormedTextIsWhatNlohmannWrites) {
  const std::string samples[] = {"",
                                 "plain ascii",
                                 "quote \" and backslash \\",
                                 "tab\tnew\nline\rcr\bbs\fff",
                                 std::string("nul \0 and \x01 and \x1f", 20),
                                 "del \x7f stays",
                                 "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
                                 "/ slash is not escaped"};
  for (const auto& sample : samples) {
    EXPECT_EQ(as_json(sample), nlohmann::json(sample).dump()) << sample;
  }
}

TEST(JsonString, EveryMalformedByteBecomesAReplacementCharacter) {
  EXPECT_EQ(as_json("bad \xff byte"), "\"bad \xef\xbf\xbd byte\"");
  EXPECT_EQ(as_json("\xc3"), "\"\xef\xbf\xbd\"");                              // truncated at the end
  EXPECT_EQ(as_json("\xe2\x82x"), "\"\xef\xbf\xbd\xef\xbf\xbdx\"");            // truncated mid-text
  EXPECT_EQ(as_json("\xc0\xaf"), "\"\xef\xbf\xbd\xef\xbf\xbd\"");              // overlong '/'
  EXPECT_EQ(as_json("\xed\xa0\x80"), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");  // a surrogate
  // Whatever the input, the output parses as JSON.
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes += static_cast<char>(b);
  const auto parsed = nlohmann::json::parse(as_json(all_bytes));
  EXPECT_TRUE(parsed.is_string());
}

// Plain runs are scanned 8 bytes at a time: a byte that needs escaping must be found at every
// offset within a word, and in the tail shorter than one, whatever the byte (each escaped
// ASCII byte, and the lowest and highest bytes that are and are not plain).
TEST(JsonString, FindsAByteToEscapeAtEveryOffsetOfTheWordScan) {
  const std::string specials[] = {"\"", "\\", std::string(1, '\0'), "\x1f", "\n", "\x7f", "\xc3\xa9", "\xff", " ", "~"};
  for (const auto& special : specials) {
    for (std::size_t length = 0; length <= 20; ++length) {
      for (std::size_t at = 0; at <= length; ++at) {
        const std::string text = std::string(at, 'a') + special + std::string(length - at, 'b');
        const bool well_formed = special != "\xff";
        if (well_formed) {
          EXPECT_EQ(as_json(text), nlohmann::json(text).dump()) << "special at " << at << " of " << text.size();
        } else {
          EXPECT_EQ(as_json(text), "\"" + std::string(at, 'a') + "\xef\xbf\xbd" + std::string(length - at, 'b') + "\"");
        }
      }
    }
  }
}

TEST(JsonString, AppendsToWhatIsThere) {
  std::string out = "{\"k\":";
  append_json_string(out, "v");
  EXPECT_EQ(out, "{\"k\":\"v\"");
}

}  // namespace
}  // namespace agentrt
