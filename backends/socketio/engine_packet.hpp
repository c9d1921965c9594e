#pragma once
// Engine.IO protocol v4 packets and HTTP long-polling payloads (docs/streaming.md, "Socket.IO").
//
//   packet  = type-digit [data]          "0{...}" open, "1" close, "2" / "2probe" ping,
//                                        "3" / "3probe" pong, "4hello" message, "5" upgrade, "6" noop
//   payload = packet *( %x1E packet )    the body of a polling GET or POST
//
// Text only: a binary packet ("b<base64>" in a payload, a binary WebSocket frame) is refused
// with Errc::invalid, and so is anything empty, unknown or past the size bounds.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/error.hpp"

namespace agentrt {

enum class EngineType : char {
  open = '0',
  close = '1',
  ping = '2',
  pong = '3',
  message = '4',
  upgrade = '5',
  noop = '6',
};

struct EnginePacket {
  EngineType type = EngineType::noop;
  std::string data;  // everything after the type digit (a message's text, "probe", the open JSON)

  friend bool operator==(const EnginePacket&, const EnginePacket&) = default;
};

inline constexpr char kRecordSeparator = '\x1e';
inline constexpr std::size_t kEngineMaxPayloadBytes = 1'000'000;  // maxPayload announced in the handshake
inline constexpr std::size_t kEngineMaxPayloadPackets = 1000;

[[nodiscard]] std::string encode_engine_packet(const EnginePacket& packet);
[[nodiscard]] std::string encode_engine_packet(EngineType type, std::string_view data = {});

// One packet (a WebSocket text message, or one record of a payload).
[[nodiscard]] Result<EnginePacket> decode_engine_packet(std::string_view text,
                                                        std::size_t max_bytes = kEngineMaxPayloadBytes);

// Joins already encoded packets with the record separator.
[[nodiscard]] std::string encode_engine_payload(const std::vector<std::string>& encoded_packets);

// Splits a polling body into packets; Errc::invalid for an empty body, an empty or binary
// record, more than `max_packets` records or more than `max_bytes` in all.
[[nodiscard]] Result<std::vector<EnginePacket>> decode_engine_payload(std::string_view body,
                                                                      std::size_t max_bytes = kEngineMaxPayloadBytes,
                                                                      std::size_t max_packets = kEngineMaxPayloadPackets);

}  // namespace agentrt
