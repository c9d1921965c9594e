#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "core/trace/span.hpp"

namespace agentrt {
namespace {

TEST(SpanText, SharedTextIsOneStringThatEveryCopyReferences) {
  const std::string session = "01JDXQ7ZK3M8P4R6T9V2W5Y7Z0";  // past the small-string buffer
  const SpanText shared = SpanText::shared(session);
  const SpanText copy = shared;
  EXPECT_EQ(copy, session);
  EXPECT_EQ(copy.str().data(), shared.str().data());  // the same characters, not a copy of them
}

TEST(SpanText, ShortSharedTextStaysInline) {
  const SpanText shared = SpanText::shared("worker-a");
  const SpanText copy = shared;
  EXPECT_EQ(copy, "worker-a");
  EXPECT_NE(copy.str().data(), shared.str().data());  // its own characters: a copy allocates nothing
}

TEST(SpanText, OwnedTextComparesByItsCharacters) {
  SpanText owned(std::string("tool lookup"));
  EXPECT_EQ(owned, "tool lookup");
  EXPECT_TRUE(SpanText{}.empty());
  const SpanText moved = std::move(owned);
  EXPECT_EQ(moved, std::string("tool lookup"));
}

}  // namespace
}  // namespace agentrt
