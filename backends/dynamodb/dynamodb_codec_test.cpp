// The item codec without a server: part splitting at UTF-8 boundaries, events and
// checkpoints through their items, the runnable key of each status.
#include "backends/dynamodb/dynamodb_codec.hpp"

#include <gtest/gtest.h>

namespace agentrt::dynamodb {
namespace {

TEST(DynamoDbCodec, SplitNeverCutsAUtf8CharacterAndJoinsBackExactly) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "\xE2\x82\xAC";  // "€", 3 bytes
  const auto parts = split_utf8(text, 10);
  std::string joined;
  for (const auto& part : parts) {
    EXPECT_LE(part.size(), 10U);
    ASSERT_FALSE(part.empty());
    EXPECT_NE(static_cast<unsigned char>(part.front()) & 0xC0U, 0x80U) << "a part starts inside a character";
    joined += part;
  }
  EXPECT_EQ(joined, text);
  EXPECT_EQ(split_utf8("", 10), std::vector<std::string>{""});
}

TEST(DynamoDbCodec, ALargeEventBecomesPartItemsAndComesBackWhole) {
  Event event{EventSeq{7}, EventType::OutputEmitted, 1'234, {{"text", std::string(900 * 1024, 'x')}}};
  const auto items = event_items("S#s-1", event_sk(7), event);
  ASSERT_EQ(items.size(), 3U);
  EXPECT_EQ(get_s_or(items[1], "sk"), event_sk(7) + "#P#000001");
  for (const auto& item : items) EXPECT_LE(item_bytes(item), 400U * 1024);
  auto back = events_from_items(items, 10, "test");
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  ASSERT_EQ(back->size(), 1U);
  EXPECT_EQ((*back)[0].data, event.data);
  EXPECT_EQ((*back)[0].time_ms, 1'234);

  auto missing = events_from_items({items[0], items[2]}, 10, "read_events session=s-1");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::fatal);
  EXPECT_NE(missing.error().message.find("lacks part 1 of 3"), std::string::npos) << missing.error().message;
}

TEST(DynamoDbCodec, TheRunnableKeyFollowsStatusPendingAndWakeTime) {
  Meta meta;
  meta.record.id = SessionId{"s-1"};
  meta.record.updated_ms = 500;
  EXPECT_FALSE(runnable_due(meta).has_value()) << "idle without messages";
  meta.pending = 1;
  EXPECT_EQ(runnable_due(meta), std::optional<std::int64_t>{500});
  meta.pending = 0;
  meta.record.status = SessionStatus::sleeping;
  meta.record.wake_at_ms = 9'000;
  EXPECT_EQ(runnable_due(meta), std::optional<std::int64_t>{9'000});
  meta.record.status = SessionStatus::running;
  EXPECT_EQ(runnable_due(meta), std::optional<std::int64_t>{500});
  meta.record.status = SessionStatus::completed;
  meta.pending = 3;
  EXPECT_FALSE(runnable_due(meta).has_value()) << "terminal: never";
  const auto item = meta_item(meta);
  EXPECT_FALSE(item.contains("rq"));
  auto back = meta_from_item(item, SessionId{"s-1"});
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->record.status, SessionStatus::completed);
  EXPECT_EQ(back->pending, 3);
}

}  // namespace
}  // namespace agentrt::dynamodb
