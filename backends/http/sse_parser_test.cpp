#include "backends/http/sse_parser.hpp"

#include <gtest/gtest.h>

namespace agentrt {
namespace {

std::vector<SseEvent> feed_all(SseParser& parser, const std::vector<std::string_view>& chunks) {
  std::vector<SseEvent> all;
  for (const auto chunk : chunks) {
    for (auto& e : parser.feed(chunk)) all.push_back(std::move(e));
  }
  return all;
}

TEST(SseParser, ParsesDataEventAndIdFields) {
  SseParser parser;
  const auto events = parser.feed("event: delta\nid: 7\ndata: {\"a\":1}\n\n");
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].event, "delta");
  EXPECT_EQ(events[0].id, "7");
  EXPECT_EQ(events[0].data, "{\"a\":1}");
}

TEST(SseParser, JoinsMultiLineDataWithNewlines) {
  SseParser parser;
  const auto events = parser.feed("data: one\ndata:two\ndata:  three\n\n");
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].data, "one\ntwo\n three");  // only one leading space is removed
}

TEST(SseParser, IgnoresCommentsRetryAndUnknownFields) {
  SseParser parser;
  const auto events = parser.feed(": keep-alive\nretry: 100\nfoo: bar\ndata: x\n\n:\n\n");
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].data, "x");
  EXPECT_EQ(events[0].event, "");
}

TEST(SseParser, EventWithoutDataIsNotDispatched) {
  SseParser parser;
  const auto events = parser.feed("event: ping\n\ndata: after\n\n");
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].event, "");  // the type of the data-less event did not leak
  EXPECT_EQ(events[0].data, "after");
}

TEST(SseParser, EmptyDataFieldStillDispatches) {
  SseParser parser;
  const auto events = parser.feed("data\n\n");
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].data, "");
}

TEST(SseParser, IdPersistsAcrossEvents) {
  SseParser parser;
  const auto events = parser.feed("id: 1\ndata: a\n\ndata: b\n\n");
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[1].id, "1");
}

TEST(SseParser, AcceptsCrlfAndBareCrLineEnds) {
  SseParser parser;
  const auto events = parser.feed("data: a\r\n\r\ndata: b\r\rdata: c\n\n");
  ASSERT_EQ(events.size(), 3U);
  EXPECT_EQ(events[0].data, "a");
  EXPECT_EQ(events[1].data, "b");
  EXPECT_EQ(events[2].data, "c");
}

TEST(SseParser, CrlfSplitAcrossChunksIsOneLineEnd) {
  SseParser parser;
  const auto events = feed_all(parser, {"data: a\r", "\n", "\r", "\ndata: b\r", "\n\r\n"});
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[0].data, "a");
  EXPECT_EQ(events[1].data, "b");
}

TEST(SseParser, IncompleteEventWaitsForBlankLine) {
  SseParser parser;
  EXPECT_TRUE(parser.feed("data: par").empty());
  EXPECT_TRUE(parser.feed("tial\n").empty());
  const auto events = parser.feed("\n");
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].data, "partial");
}

// The same stream cut at every possible place, and fed byte by byte, gives the same events.
TEST(SseParser, ChunksSplitAnywhereGiveTheSameEvents) {
  const std::string stream =
      ": hello\r\nevent: e1\r\ndata: {\"x\": \"a\\nb\"}\r\nid: 9\r\n\r\ndata: line1\ndata: line2\n\n"
      "data: cr\r\rdata: [DONE]\n\n";
  SseParser whole_parser;
  const auto expected = whole_parser.feed(stream);
  ASSERT_EQ(expected.size(), 4U);
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    for (std::size_t cut2 = cut; cut2 <= stream.size(); cut2 += 7) {
      SseParser parser;
      const std::string_view view(stream);
      const auto got = feed_all(parser, {view.substr(0, cut), view.substr(cut, cut2 - cut), view.substr(cut2)});
      ASSERT_EQ(got.size(), expected.size()) << "cuts at " << cut << "," << cut2;
      for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].data, expected[i].data);
        EXPECT_EQ(got[i].event, expected[i].event);
        EXPECT_EQ(got[i].id, expected[i].id);
      }
    }
  }
  SseParser byte_parser;
  std::vector<SseEvent> bytes;
  for (const char c : stream) {
    for (auto& e : byte_parser.feed(std::string_view(&c, 1))) bytes.push_back(std::move(e));
  }
  ASSERT_EQ(bytes.size(), expected.size());
  EXPECT_EQ(bytes[3].data, "[DONE]");
}

}  // namespace
}  // namespace agentrt
