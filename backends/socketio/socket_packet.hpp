#pragma once
// Socket.IO protocol v5 packets, carried in Engine.IO message packets (docs/streaming.md).
//
//   packet = type-digit [namespace ","] [ack-id] [JSON]
//   "0{\"token\":\"t\"}"   CONNECT to "/" with an auth payload     "0/admin,"  CONNECT to /admin
//   "1"                    DISCONNECT
//   "2[\"hello\",1]"       EVENT                                    "212[\"hi\"]" EVENT with ack id 12
//   "31[\"ack\"]"          ACK of id 1                              "4{\"message\":\"no\"}" CONNECT_ERROR
//
// The namespace is written only when it is not "/". BINARY_EVENT (5) and BINARY_ACK (6) are
// refused with Errc::invalid, as is any malformed packet: a bad type, a namespace or ack id
// out of bounds, JSON that does not parse, is nested too deep, or has the wrong shape for its
// type (CONNECT: object or nothing; EVENT: array starting with a string; ACK: array;
// CONNECT_ERROR: object; DISCONNECT: nothing).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/model/error.hpp"

namespace agentrt {

enum class SocketType : char {
  connect = '0',
  disconnect = '1',
  event = '2',
  ack = '3',
  connect_error = '4',
  binary_event = '5',
  binary_ack = '6',
};

struct SocketPacket {
  SocketType type = SocketType::event;
  std::string nsp = "/";
  std::optional<std::uint64_t> ack_id;
  nlohmann::json data;  // null: no payload

  friend bool operator==(const SocketPacket&, const SocketPacket&) = default;
};

struct SocketLimits {
  std::size_t max_bytes = 1'000'000;
  std::size_t max_namespace_bytes = 128;
  std::size_t max_ack_digits = 9;  // ids up to 999'999'999
  std::size_t max_json_depth = 32;
};

[[nodiscard]] std::string encode_socket_packet(const SocketPacket& packet);
[[nodiscard]] Result<SocketPacket> decode_socket_packet(std::string_view text, const SocketLimits& limits = {});

// The event name of an EVENT packet (its data's first element).
[[nodiscard]] std::string_view event_name(const SocketPacket& packet);

}  // namespace agentrt
