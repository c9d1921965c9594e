#include "backends/socketio/socket_packet.hpp"

#include <algorithm>
#include <cctype>

namespace agentrt {
namespace {

using json = nlohmann::json;

Error malformed(std::string_view what) { return Error{Errc::invalid, "socket.io packet: " + std::string(what)}; }

// The deepest nesting of arrays and objects, outside strings. Checked before parsing so a
// hostile "[[[[..." never reaches the parser (nor a recursive destructor).
std::size_t json_depth(std::string_view text) {
  std::size_t depth = 0;
  std::size_t deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

Result<void> check_shape(const SocketPacket& p) {
  const json& d = p.data;
  switch (p.type) {
    case SocketType::connect:
      if (!d.is_null() && !d.is_object()) return malformed("CONNECT payload must be an object");
      break;
    case SocketType::disconnect:
      if (!d.is_null()) return malformed("DISCONNECT takes no payload");
      break;
    case SocketType::event:
      if (!d.is_array() || d.empty() || !d.front().is_string()) {
        return malformed("EVENT payload must be an array starting with the event name");
      }
      break;
    case SocketType::ack:
      if (!p.ack_id) return malformed("ACK without an ack id");
      if (!d.is_array()) return malformed("ACK payload must be an array");
      break;
    case SocketType::connect_error:
      if (!d.is_object()) return malformed("CONNECT_ERROR payload must be an object");
      break;
    case SocketType::binary_event:
    case SocketType::binary_ack:
      return malformed("binary packets are not supported");
  }
  return ok_result();
}

}  // namespace

std::string encode_socket_packet(const SocketPacket& packet) {
  std::string out(1, static_cast<char>(packet.type));
  if (packet.nsp != "/") {
    out += packet.nsp;
    out += ',';
  }
  if (packet.ack_id) out += std::to_string(*packet.ack_id);
  if (!packet.data.is_null()) out += packet.data.dump(-1, ' ', false, json::error_handler_t::replace);
  return out;
}

Result<SocketPacket> decode_socket_packet(std::string_view text, const SocketLimits& limits) {
  if (text.empty()) return malformed("empty");
  if (text.size() > limits.max_bytes) return malformed(std::to_string(text.size()) + " bytes exceed the limit");
  if (text.front() < '0' || text.front() > '6') return malformed("unknown type '" + std::string(1, text.front()) + "'");
  SocketPacket packet;
  packet.type = static_cast<SocketType>(text.front());
  if (packet.type == SocketType::binary_event || packet.type == SocketType::binary_ack) {
    return malformed("binary packets are not supported");
  }
  std::size_t i = 1;
  if (i < text.size() && text[i] == '/') {
    const std::size_t comma = text.find(',', i);
    const std::size_t end = comma == std::string_view::npos ? text.size() : comma;
    if (end - i > limits.max_namespace_bytes) return malformed("namespace too long");
    packet.nsp = std::string(text.substr(i, end - i));
    i = comma == std::string_view::npos ? text.size() : comma + 1;
  }
  std::size_t digits = 0;
  std::uint64_t ack = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) != 0) {
    if (++digits > limits.max_ack_digits) return malformed("ack id too long");
    ack = ack * 10 + static_cast<std::uint64_t>(text[i] - '0');
    ++i;
  }
  if (digits > 0) packet.ack_id = ack;
  const std::string_view payload = text.substr(i);
  if (!payload.empty()) {
    if (json_depth(payload) > limits.max_json_depth) return malformed("payload nested too deep");
    packet.data = json::parse(payload, nullptr, false);
    if (packet.data.is_discarded()) return malformed("payload is not JSON");
    if (packet.data.is_null()) return malformed("payload is null");
  }
  if (auto shape = check_shape(packet); !shape) return shape.error();
  return packet;
}

std::string_view event_name(const SocketPacket& packet) {
  if (!packet.data.is_array() || packet.data.empty() || !packet.data.front().is_string()) return {};
  return packet.data.front().get_ref<const std::string&>();
}

}  // namespace agentrt
