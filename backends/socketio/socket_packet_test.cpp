// Socket.IO v5 codec against the byte strings of the protocol's documentation.
#include "backends/socketio/socket_packet.hpp"

#include <string>

#include <gtest/gtest.h>

namespace agentrt {
namespace {

using json = nlohmann::json;

TEST(SocketPacket, EncodesTheDocumentedPackets) {
  EXPECT_EQ(encode_socket_packet({SocketType::connect, "/", std::nullopt, json{{"sid", "oSO0OpakMV_3jnilAAAA"}}}),
            R"(0{"sid":"oSO0OpakMV_3jnilAAAA"})");
  EXPECT_EQ(encode_socket_packet({SocketType::connect, "/admin", std::nullopt, json{{"sid", "x"}}}),
            R"(0/admin,{"sid":"x"})");
  EXPECT_EQ(encode_socket_packet({SocketType::connect_error, "/", std::nullopt, json{{"message", "Not authorized"}}}),
            R"(4{"message":"Not authorized"})");
  EXPECT_EQ(encode_socket_packet({SocketType::event, "/", std::nullopt, json::array({"foo"})}), R"(2["foo"])");
  EXPECT_EQ(encode_socket_packet({SocketType::event, "/admin", 12, json::array({"bar"})}), R"(2/admin,12["bar"])");
  EXPECT_EQ(encode_socket_packet({SocketType::ack, "/", 1, json::array({"ack"})}), R"(31["ack"])");
  EXPECT_EQ(encode_socket_packet({SocketType::ack, "/admin", 13, json::array({"bar"})}), R"(3/admin,13["bar"])");
  EXPECT_EQ(encode_socket_packet({SocketType::disconnect, "/admin", std::nullopt, nullptr}), "1/admin,");
  EXPECT_EQ(encode_socket_packet({SocketType::disconnect, "/", std::nullopt, nullptr}), "1");
}

TEST(SocketPacket, DecodesConnectWithAuthEventsAndAcks) {
  auto connect = decode_socket_packet(R"(0{"token":"123"})");
  ASSERT_TRUE(connect.ok()) << connect.error().message;
  EXPECT_EQ(connect->type, SocketType::connect);
  EXPECT_EQ(connect->nsp, "/");
  EXPECT_EQ(connect->data, json({{"token", "123"}}));
  auto bare = decode_socket_packet("0");
  ASSERT_TRUE(bare.ok());
  EXPECT_TRUE(bare->data.is_null());
  auto admin = decode_socket_packet("0/admin,");
  ASSERT_TRUE(admin.ok());
  EXPECT_EQ(admin->nsp, "/admin");
  auto event = decode_socket_packet(R"(2["hello",1])");
  ASSERT_TRUE(event.ok());
  EXPECT_EQ(event_name(*event), "hello");
  EXPECT_FALSE(event->ack_id.has_value());
  auto with_ack = decode_socket_packet(R"(2/admin,456["project:delete",123])");
  ASSERT_TRUE(with_ack.ok());
  EXPECT_EQ(with_ack->nsp, "/admin");
  EXPECT_EQ(with_ack->ack_id, 456U);
  EXPECT_EQ(with_ack->data, json::parse(R"(["project:delete",123])"));
  auto ack = decode_socket_packet(R"(31["ack"])");
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->type, SocketType::ack);
  EXPECT_EQ(ack->ack_id, 1U);
}

TEST(SocketPacket, RoundTrips) {
  const SocketPacket packet{SocketType::event, "/", 7, json::parse(R"(["output",{"seq":3,"kind":"token","text":"a\u001eb"}])")};
  auto decoded = decode_socket_packet(encode_socket_packet(packet));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, packet);
}

TEST(SocketPacket, RefusesMalformedAndBinaryPackets) {
  for (const std::string bad : {"", "9", "x", R"(2{"a":1})", "2[]", "2[1]", R"(2["a")", "2null", R"(0["a"])",
                                R"(1{"a":1})", "3[]", R"(31{"a":1})", R"(4["x"])", R"(51-["a",{"_placeholder":true,"num":0}])",
                                R"(61-0[{"_placeholder":true,"num":0}])", R"(21234567890["a"])"}) {
    auto decoded = decode_socket_packet(bad);
    EXPECT_FALSE(decoded.ok()) << "accepted: " << bad;
    if (!decoded.ok()) {
      EXPECT_EQ(decoded.error().code, Errc::invalid);
    }
  }
  EXPECT_FALSE(decode_socket_packet("0/" + std::string(200, 'a') + ",").ok());
  EXPECT_FALSE(decode_socket_packet("2[\"a\"," + std::string(100'000, '[') + std::string(100'000, ']') + "]").ok());
  EXPECT_FALSE(decode_socket_packet(R"(2["a","x"])", SocketLimits{5}).ok());
  // Brackets inside strings are not nesting.
  EXPECT_TRUE(decode_socket_packet("2[\"a\",\"" + std::string(100, '[') + "\"]").ok());
}

}  // namespace
}  // namespace agentrt
