#include "core/inspect/excerpt.hpp"

namespace agentrt {
namespace {

bool is_continuation(unsigned char c) { return (c & 0xC0U) == 0x80U; }

// The longest prefix length <= bytes_max that does not cut a UTF-8 sequence in two.
std::size_t char_boundary(std::string_view text, std::size_t bytes_max) {
  if (bytes_max >= text.size()) return text.size();
  std::size_t end = bytes_max;
  while (end > 0 && is_continuation(static_cast<unsigned char>(text[end]))) --end;
  return end;
}

}  // namespace

std::string truncate_text(std::string_view text, std::size_t bytes_max) {
  if (text.size() <= bytes_max) return std::string(text);
  const auto end = char_boundary(text, bytes_max);
  return std::string(text.substr(0, end)) + "\u2026 (+" + std::to_string(text.size() - end) + " bytes)";
}

std::string one_line(std::string_view text, std::size_t bytes_max) {
  std::string flat;
  flat.reserve(std::min(text.size(), bytes_max + 16));
  for (const char c : text) {
    if (flat.size() > bytes_max + 8) break;  // enough to cut; the marker counts from `text`
    if (c == '\n') {
      flat += "\\n";
    } else if (c == '\r') {
      flat += "\\r";
    } else if (c == '\t') {
      flat += "\\t";
    } else {
      flat += c;
    }
  }
  if (flat.size() <= bytes_max) return flat;
  const auto end = char_boundary(flat, bytes_max);
  // How much of the original is left out: approximate when escapes were added, never zero.
  const auto shown = std::min(text.size(), end);
  return flat.substr(0, end) + "\u2026 (+" + std::to_string(text.size() - shown) + " bytes)";
}

std::string quoted_excerpt(std::string_view text, std::size_t bytes_max) {
  return "\"" + one_line(text, bytes_max) + "\"";
}

std::string safe_dump(const nlohmann::json& value, int indent) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string json_excerpt(const nlohmann::json& value, std::size_t bytes_max) {
  return one_line(safe_dump(value), bytes_max);
}

nlohmann::json truncate_strings(const nlohmann::json& value, std::size_t bytes_max) {
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    return s.size() <= bytes_max ? value : nlohmann::json(truncate_text(s, bytes_max));
  }
  if (value.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : value) out.push_back(truncate_strings(item, bytes_max));
    return out;
  }
  if (value.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [key, item] : value.items()) out[key] = truncate_strings(item, bytes_max);
    return out;
  }
  return value;
}

}  // namespace agentrt
