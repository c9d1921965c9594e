#include "backends/dynamodb/dynamodb_item.hpp"

#include <algorithm>
#include <cctype>

namespace agentrt::dynamodb {

nlohmann::json attr_s(std::string_view value) { return nlohmann::json{{"S", std::string(value)}}; }
nlohmann::json attr_n(std::int64_t value) { return nlohmann::json{{"N", std::to_string(value)}}; }

std::optional<std::string> get_s(const Item& item, const char* name) {
  const auto it = item.find(name);
  if (it == item.end() || !it->is_object()) return std::nullopt;
  const auto s = it->find("S");
  if (s == it->end() || !s->is_string()) return std::nullopt;
  return s->get<std::string>();
}

std::optional<std::int64_t> get_n(const Item& item, const char* name) {
  const auto it = item.find(name);
  if (it == item.end() || !it->is_object()) return std::nullopt;
  const auto n = it->find("N");
  if (n == it->end() || !n->is_string()) return std::nullopt;
  try {
    return std::stoll(n->get<std::string>());
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string get_s_or(const Item& item, const char* name, std::string fallback) {
  auto value = get_s(item, name);
  return value ? *value : fallback;
}

std::int64_t get_n_or(const Item& item, const char* name, std::int64_t fallback) {
  return get_n(item, name).value_or(fallback);
}

std::string session_pk(const SessionId& id) { return "S#" + id.str(); }

std::string padded(std::int64_t value, int width) {
  std::string digits = std::to_string(value < 0 ? 0 : value);
  if (static_cast<int>(digits.size()) < width) digits.insert(0, static_cast<std::size_t>(width) - digits.size(), '0');
  return digits;
}

std::string event_sk(std::int64_t seq) { return "E#" + padded(seq); }
std::string part_sk(const std::string& owner_sk, std::int64_t part) { return owner_sk + "#P#" + padded(part, 6); }
std::string archived_sk(std::int64_t branch, std::int64_t seq) { return "A#" + padded(branch, 10) + "#" + event_sk(seq); }
std::string message_sk(const MessageId& id) { return "M#" + id.str(); }
std::string dedup_sk(const MessageId& id) { return "D#" + id.str(); }
std::string definition_pk(const std::string& hash) { return "D#" + hash; }

Item key(const std::string& pk, const std::string& sk) { return Item{{"pk", attr_s(pk)}, {"sk", attr_s(sk)}}; }

std::vector<std::string> split_utf8(const std::string& text, std::size_t bytes_max) {
  std::vector<std::string> parts;
  std::size_t at = 0;
  while (at < text.size() || parts.empty()) {
    std::size_t end = std::min(text.size(), at + bytes_max);
    // Never cut inside a UTF-8 sequence: back off over continuation bytes (10xxxxxx).
    while (end < text.size() && end > at && (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) --end;
    parts.push_back(text.substr(at, end - at));
    at = end;
    if (at >= text.size()) break;
  }
  return parts;
}

std::string Expr::name(const std::string& attribute) {
  std::string alias = "#";
  for (const char c : attribute) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0) alias += c;
  }
  names_[alias] = attribute;
  return alias;
}

std::string Expr::value(nlohmann::json attribute_value) {
  const std::string alias = ":v" + std::to_string(values_.size());
  values_[alias] = std::move(attribute_value);
  return alias;
}

void Expr::apply(nlohmann::json& request) const {
  if (!names_.empty()) {
    auto& out = request["ExpressionAttributeNames"];
    for (const auto& [alias, attribute] : names_) out[alias] = attribute;
  }
  if (!values_.empty()) request["ExpressionAttributeValues"] = values_;
}

std::size_t item_bytes(const Item& item) {
  std::size_t bytes = 0;
  for (const auto& [name, value] : item.items()) {
    bytes += name.size();
    if (value.contains("S")) bytes += value["S"].get_ref<const std::string&>().size();
    else bytes += 24;
  }
  return bytes;
}

}  // namespace agentrt::dynamodb
