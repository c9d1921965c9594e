#include "backends/tools/process_output.hpp"

#include <gtest/gtest.h>

namespace agentrt {
namespace {

TEST(OutputHead, KeepsShortOutputVerbatim) {
  OutputHead head{100};
  head.append("hello ");
  head.append("world");
  EXPECT_EQ(head.finish(), "hello world");
  EXPECT_EQ(head.total_bytes(), 11U);
}

TEST(OutputHead, CutsLongOutputWithMarkerWithinBound) {
  OutputHead head{200};
  for (int i = 0; i < 100; ++i) head.append(std::string(100, 'x'));
  const std::string out = head.finish();
  EXPECT_LE(out.size(), 200U);
  EXPECT_EQ(out.substr(0, 10), std::string(10, 'x'));
  EXPECT_NE(out.find("[agentrt: output truncated, "), std::string::npos);
  EXPECT_NE(out.find(" of 10000 bytes shown]"), std::string::npos);
}

TEST(OutputHead, DoesNotSplitUtf8Character) {
  // 'é' is two bytes; a cut in the middle must back up to its first byte.
  std::string text;
  for (int i = 0; i < 200; ++i) text += "\xC3\xA9";
  OutputHead head{120};
  head.append(text);
  const std::string out = head.finish();
  const auto marker = out.find("\n[agentrt");
  ASSERT_NE(marker, std::string::npos);
  EXPECT_EQ(marker % 2, 0U) << "prefix must hold whole characters";
}

TEST(OutputTail, KeepsLastBytesTrimmed) {
  OutputTail tail{8};
  tail.append("first line\n");
  tail.append("oops\n\n");
  EXPECT_EQ(tail.finish(), "e\noops");
}

TEST(OutputTail, HandlesByteAtATimeWriters) {
  OutputTail tail{16};
  for (int i = 0; i < 10000; ++i) tail.append(i % 2 == 0 ? "a" : "b");
  EXPECT_EQ(tail.finish(), "abababababababab");
}

TEST(Utf8Prefix, KeepsAsciiAndBacksUpOverContinuationBytes) {
  EXPECT_EQ(utf8_prefix_length("abcdef", 3), 3U);
  EXPECT_EQ(utf8_prefix_length("ab", 3), 2U);
  EXPECT_EQ(utf8_prefix_length("a\xE2\x82\xAC" "b", 2), 1U);  // euro sign cut after its lead byte
  EXPECT_EQ(utf8_prefix_length("a\xE2\x82\xAC" "b", 4), 4U);
}

}  // namespace
}  // namespace agentrt
