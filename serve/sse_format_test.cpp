#include "serve/sse_format.hpp"

#include <gtest/gtest.h>

namespace agentrt::serve {
namespace {

TEST(SseFormat, DurableEventsCarryTheirSeqAsId) {
  std::string out;
  append_sse_frame(out, OutputEvent{12, "output", {{"text", "two\nlines"}}, true});
  EXPECT_EQ(out, "id: 12\nevent: output\ndata: {\"kind\":\"output\",\"seq\":12,\"text\":\"two\\nlines\"}\n\n");
}

TEST(SseFormat, TokensHaveNoIdSoLastEventIdStaysDurable) {
  std::string out;
  append_sse_frame(out, token_event(7, "Hi"));
  EXPECT_EQ(out, "event: token\ndata: {\"kind\":\"token\",\"seq\":7,\"text\":\"Hi\"}\n\n");
}

TEST(SseFormat, InvalidUtf8IsReplacedNotThrown) {
  std::string out;
  append_sse_frame(out, OutputEvent{3, "tool_finished", {{"output", std::string("a\xff")}}, true});
  EXPECT_NE(out.find("a\xef\xbf\xbd"), std::string::npos);
}

TEST(SseFormat, ErrorFramesTellWhereToResume) {
  std::string out;
  append_sse_error(out, "slow_consumer", "behind", 40);
  EXPECT_EQ(out, "event: error\ndata: {\"code\":\"slow_consumer\",\"message\":\"behind\",\"resume_from\":40}\n\n");
}

TEST(SseFormat, ResumeSeqIsANonNegativeDecimal) {
  EXPECT_EQ(parse_resume_seq("0"), 0);
  EXPECT_EQ(parse_resume_seq("123"), 123);
  EXPECT_FALSE(parse_resume_seq(""));
  EXPECT_FALSE(parse_resume_seq("-1"));
  EXPECT_FALSE(parse_resume_seq("12a"));
  EXPECT_FALSE(parse_resume_seq(" 12"));
  EXPECT_FALSE(parse_resume_seq("99999999999999999999"));
}

}  // namespace
}  // namespace agentrt::serve
