#include "backends/http/text_excerpt.hpp"

#include <gtest/gtest.h>

namespace agentrt {
namespace {

TEST(TextExcerpt, NeverSplitsASequence) {
  const std::string text = "ab\xC3\xA9" "cd";  // "abécd"
  EXPECT_EQ(utf8_boundary(text, 3), 2U);
  EXPECT_EQ(text_excerpt(text, 3), "ab...");
  EXPECT_EQ(text_excerpt(text, 4), "ab\xC3\xA9...");
  EXPECT_EQ(text_excerpt(text, 100), text);
}

TEST(TextExcerpt, SanitizesInvalidBytes) {
  EXPECT_EQ(utf8_sanitized("ok \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), "ok \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(utf8_sanitized("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(utf8_sanitized("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");            // overlong
  EXPECT_EQ(utf8_sanitized("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(utf8_sanitized("x\xE2\x82"), "x\xEF\xBF\xBD\xEF\xBF\xBD");        // truncated at the end
  EXPECT_EQ(text_excerpt(std::string("\x80\x80", 2), 10), "\xEF\xBF\xBD\xEF\xBF\xBD");
}

}  // namespace
}  // namespace agentrt
