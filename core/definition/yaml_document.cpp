// YAML -> SourceDocument. Plain scalars are typed by the YAML 1.2 core schema (so `yes` stays
// a string and `007` an integer); quoted scalars and `!!str` are always strings.

#include <charconv>
#include <optional>

#include <yaml-cpp/yaml.h>

#include "core/definition/source_document.hpp"
#include "core/definition/utf8.hpp"

namespace agentrt {
namespace {

using nlohmann::json;

constexpr int kMaxDepth = 64;  // a definition is shallow; deeper input is a mistake or an attack

std::optional<SourcePosition> position_of(const YAML::Mark& mark) {
  if (mark.line < 0 || mark.column < 0) return std::nullopt;
  return SourcePosition{mark.line + 1, mark.column + 1};
}

std::string where(std::string_view name, const std::optional<SourcePosition>& pos) {
  std::string text(name);
  if (pos) text += ":" + std::to_string(pos->line) + ":" + std::to_string(pos->column);
  return text;
}

bool is_decimal_integer(std::string_view s) {
  std::size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

bool is_float_text(std::string_view s) {
  // [-+]? ( \.[0-9]+ | [0-9]+ ( \.[0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
  std::size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  std::size_t digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') { ++i; ++digits; }
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') { ++i; ++digits; }
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    std::size_t exponent_digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') { ++i; ++exponent_digits; }
    if (exponent_digits == 0) return false;
  }
  return i == s.size();
}

std::optional<double> to_double(std::string_view s) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  double value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return value;
}

json resolve_plain_scalar(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (is_decimal_integer(s)) {
    std::string_view digits = s;
    if (digits[0] == '+') digits.remove_prefix(1);
    long long value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec == std::errc{} && end == digits.data() + digits.size()) return value;
  }
  if (is_float_text(s)) {
    if (auto value = to_double(s)) return *value;
  }
  return s;  // everything else, including .inf/.nan, which no field accepts
}

class YamlConverter {
 public:
  explicit YamlConverter(SourceDocument& doc) : doc_(doc) {}

  Result<json> convert(const YAML::Node& node, const std::string& path, int depth) {
    if (depth > kMaxDepth) {
      return Error{Errc::invalid, where(doc_.name, position_of(node.Mark())) + ": " + path +
                                      ": nested too deeply (more than " + std::to_string(kMaxDepth) + " levels)"};
    }
    switch (node.Type()) {
      case YAML::NodeType::Map: return convert_map(node, path, depth);
      case YAML::NodeType::Sequence: return convert_sequence(node, path, depth);
      case YAML::NodeType::Scalar: return convert_scalar(node);
      default: return json(nullptr);
    }
  }

 private:
  static json convert_scalar(const YAML::Node& node) {
    const std::string& tag = node.Tag();
    if (tag == "!" || tag == "tag:yaml.org,2002:str") return node.Scalar();
    return resolve_plain_scalar(node.Scalar());
  }

  Result<json> convert_map(const YAML::Node& node, const std::string& path, int depth) {
    json object = json::object();
    for (auto it = node.begin(); it != node.end(); ++it) {
      const auto key_position = position_of(it->first.Mark());
      if (!it->first.IsScalar()) {
        return Error{Errc::invalid, where(doc_.name, key_position) + ": " + (path.empty() ? "(top level)" : path) +
                                        ": a key must be a plain string, not a list or mapping"};
      }
      const std::string key = it->first.Scalar();
      const std::string member_path = child_path(path, key);
      if (object.contains(key)) {
        return Error{Errc::invalid, where(doc_.name, key_position) + ": " + member_path +
                                        ": duplicate key \"" + key + "\" (each key may appear once)"};
      }
      // A null value has no useful mark of its own (yaml-cpp points at the next line).
      auto value_position = it->second.IsNull() ? key_position : position_of(it->second.Mark());
      doc_.marks[member_path] = SourceMarks{key_position, value_position};
      auto value = convert(it->second, member_path, depth + 1);
      if (!value) return value.error();
      object[key] = std::move(*value);
    }
    return object;
  }

  Result<json> convert_sequence(const YAML::Node& node, const std::string& path, int depth) {
    json array = json::array();
    std::size_t index = 0;
    for (const auto& item : node) {
      const std::string item_path = child_path(path, index++);
      doc_.marks[item_path] = SourceMarks{std::nullopt, position_of(item.Mark())};
      auto value = convert(item, item_path, depth + 1);
      if (!value) return value.error();
      array.push_back(std::move(*value));
    }
    return array;
  }

  SourceDocument& doc_;
};

}  // namespace

Result<SourceDocument> read_yaml_document(std::string_view text, std::string_view name, std::string_view top_level) {
  SourceDocument doc;
  doc.name = std::string(name);
  if (auto bad = find_invalid_utf8(text)) {
    return Error{Errc::invalid, doc.name + ":" + std::to_string(bad->line) + ":" + std::to_string(bad->column) +
                                    ": the file is not valid UTF-8"};
  }
  YAML::Node node;
  try {
    node = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return Error{Errc::invalid, where(doc.name, position_of(e.mark)) + ": YAML syntax error: " + e.msg};
  }
  if (!node.IsMap()) {
    const std::string got = node.IsNull() ? "an empty document" : node.IsSequence() ? "a list" : "a single value";
    return Error{Errc::invalid, doc.name + ": expected " + std::string(top_level) + ", got " + got};
  }
  try {
    auto root = YamlConverter(doc).convert(node, "", 0);
    if (!root) return root.error();
    doc.root = std::move(*root);
  } catch (const YAML::Exception& e) {
    return Error{Errc::invalid, where(doc.name, position_of(e.mark)) + ": YAML error: " + e.msg};
  }
  return doc;
}

}  // namespace agentrt
