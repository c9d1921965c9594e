// Engine.IO v4 codec against the byte strings of the protocol's documentation.
#include "backends/socketio/engine_packet.hpp"

#include <string>

#include <gtest/gtest.h>

namespace agentrt {
namespace {

TEST(EnginePacket, EncodesTheDocumentedPackets) {
  EXPECT_EQ(encode_engine_packet(EngineType::open, R"({"sid":"lv_VI97HAXpY6yYWAAAC"})"), R"(0{"sid":"lv_VI97HAXpY6yYWAAAC"})");
  EXPECT_EQ(encode_engine_packet(EngineType::close), "1");
  EXPECT_EQ(encode_engine_packet(EngineType::ping), "2");
  EXPECT_EQ(encode_engine_packet(EngineType::pong, "probe"), "3probe");
  EXPECT_EQ(encode_engine_packet(EngineType::message, "hello"), "4hello");
  EXPECT_EQ(encode_engine_packet(EngineType::upgrade), "5");
  EXPECT_EQ(encode_engine_packet(EngineType::noop), "6");
}

TEST(EnginePacket, DecodesEachType) {
  auto probe = decode_engine_packet("2probe");
  ASSERT_TRUE(probe.ok());
  EXPECT_EQ(probe->type, EngineType::ping);
  EXPECT_EQ(probe->data, "probe");
  auto message = decode_engine_packet(R"(42["hello",1])");
  ASSERT_TRUE(message.ok());
  EXPECT_EQ(message->type, EngineType::message);
  EXPECT_EQ(message->data, R"(2["hello",1])");
  auto upgrade = decode_engine_packet("5");
  ASSERT_TRUE(upgrade.ok());
  EXPECT_EQ(upgrade->type, EngineType::upgrade);
  EXPECT_TRUE(upgrade->data.empty());
}

TEST(EnginePacket, RefusesEmptyUnknownBinaryAndOversize) {
  EXPECT_EQ(decode_engine_packet("").error().code, Errc::invalid);
  EXPECT_EQ(decode_engine_packet("7").error().code, Errc::invalid);
  EXPECT_EQ(decode_engine_packet("x").error().code, Errc::invalid);
  EXPECT_NE(decode_engine_packet("bAQIDBA==").error().message.find("binary"), std::string::npos);
  EXPECT_EQ(decode_engine_packet("4" + std::string(100, 'a'), 50).error().code, Errc::invalid);
}

TEST(EnginePayload, JoinsAndSplitsWithTheRecordSeparator) {
  // The protocol doc's example: "4hello\x1e2\x1e4€".
  EXPECT_EQ(encode_engine_payload({"4hello", "2", "4€"}), "4hello\x1e" "2\x1e" "4€");
  auto packets = decode_engine_payload("4hello\x1e" "2\x1e" "4€");
  ASSERT_TRUE(packets.ok());
  ASSERT_EQ(packets->size(), 3U);
  EXPECT_EQ((*packets)[0], (EnginePacket{EngineType::message, "hello"}));
  EXPECT_EQ((*packets)[1], (EnginePacket{EngineType::ping, ""}));
  EXPECT_EQ((*packets)[2], (EnginePacket{EngineType::message, "€"}));
  auto single = decode_engine_payload("40");
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->size(), 1U);
}

TEST(EnginePayload, RefusesEmptyRecordsBinaryRecordsAndTooMany) {
  EXPECT_FALSE(decode_engine_payload("").ok());
  EXPECT_FALSE(decode_engine_payload("4a\x1e").ok());
  EXPECT_FALSE(decode_engine_payload("\x1e" "4a").ok());
  EXPECT_FALSE(decode_engine_payload("4hello\x1e" "bAQIDBA==").ok());
  EXPECT_FALSE(decode_engine_payload("2\x1e" "2\x1e" "2", 1000, 2).ok());
  EXPECT_FALSE(decode_engine_payload(std::string(20, '2'), 10).ok());
}

}  // namespace
}  // namespace agentrt
