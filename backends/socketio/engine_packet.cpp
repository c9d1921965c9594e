#include "backends/socketio/engine_packet.hpp"

namespace agentrt {
namespace {

bool is_engine_type(char c) { return c >= '0' && c <= '6'; }

}  // namespace

std::string encode_engine_packet(EngineType type, std::string_view data) {
  std::string out;
  out.reserve(1 + data.size());
  out.push_back(static_cast<char>(type));
  out.append(data);
  return out;
}

std::string encode_engine_packet(const EnginePacket& packet) { return encode_engine_packet(packet.type, packet.data); }

Result<EnginePacket> decode_engine_packet(std::string_view text, std::size_t max_bytes) {
  if (text.empty()) return Error{Errc::invalid, "engine.io packet: empty"};
  if (text.size() > max_bytes) {
    return Error{Errc::invalid, "engine.io packet: " + std::to_string(text.size()) + " bytes exceed " +
                                    std::to_string(max_bytes)};
  }
  if (text.front() == 'b') return Error{Errc::invalid, "engine.io packet: binary packets are not supported"};
  if (!is_engine_type(text.front())) {
    return Error{Errc::invalid, "engine.io packet: unknown type '" + std::string(1, text.front()) + "'"};
  }
  return EnginePacket{static_cast<EngineType>(text.front()), std::string(text.substr(1))};
}

std::string encode_engine_payload(const std::vector<std::string>& encoded_packets) {
  std::string out;
  for (const auto& packet : encoded_packets) {
    if (!out.empty()) out.push_back(kRecordSeparator);
    out.append(packet);
  }
  return out;
}

Result<std::vector<EnginePacket>> decode_engine_payload(std::string_view body, std::size_t max_bytes,
                                                        std::size_t max_packets) {
  if (body.size() > max_bytes) {
    return Error{Errc::invalid, "engine.io payload: " + std::to_string(body.size()) + " bytes exceed " +
                                    std::to_string(max_bytes)};
  }
  std::vector<EnginePacket> packets;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = body.find(kRecordSeparator, start);
    const std::string_view record = body.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (packets.size() >= max_packets) {
      return Error{Errc::invalid, "engine.io payload: more than " + std::to_string(max_packets) + " packets"};
    }
    auto packet = decode_engine_packet(record, max_bytes);
    if (!packet) return packet.error().with_context("engine.io payload record " + std::to_string(packets.size() + 1));
    packets.push_back(std::move(packet.value()));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return packets;
}

}  // namespace agentrt
