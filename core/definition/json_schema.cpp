// The JSON Schema subset of json_schema.hpp. Messages start with the JSON pointer of the
// offending value ("/" for the whole value) because the decider feeds them back to the model,
// which must see which argument was wrong.

#include "core/definition/json_schema.hpp"

#include <array>
#include <cmath>
#include <regex>
#include <set>
#include <string_view>

namespace agentrt {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 7> kTypeNames = {"null",   "boolean", "object", "array",
                                                        "number", "integer", "string"};
constexpr std::size_t kShownValueChars = 60;

std::string pointer_append(const std::string& pointer, std::string_view token) {
  std::string escaped;
  for (char c : token) {
    if (c == '~') {
      escaped += "~0";
    } else if (c == '/') {
      escaped += "~1";
    } else {
      escaped += c;
    }
  }
  return pointer + "/" + escaped;
}

std::string pointer_append(const std::string& pointer, std::size_t index) {
  return pointer + "/" + std::to_string(index);
}

std::string shown(const std::string& pointer) { return pointer.empty() ? "/" : pointer; }

std::string fail(const std::string& pointer, const std::string& what) { return shown(pointer) + ": " + what; }

std::string short_dump(const json& value) {
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > kShownValueChars) text = text.substr(0, kShownValueChars) + "...";
  return text;
}

std::string json_type_name(const json& value) {
  switch (value.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "boolean";
    case json::value_t::object: return "object";
    case json::value_t::array: return "array";
    case json::value_t::string: return "string";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return "number";
    default: return "binary";
  }
}

bool is_integral(const json& value) {
  if (value.is_number_integer()) return true;
  if (!value.is_number_float()) return false;
  const double d = value.get<double>();
  return std::isfinite(d) && std::floor(d) == d;
}

bool has_type(const json& value, std::string_view type) {
  if (type == "null") return value.is_null();
  if (type == "boolean") return value.is_boolean();
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "string") return value.is_string();
  if (type == "number") return value.is_number();
  if (type == "integer") return is_integral(value);
  return false;
}

bool is_known_type(std::string_view name) {
  for (auto known : kTypeNames) {
    if (known == name) return true;
  }
  return false;
}

std::size_t utf8_length(const std::string& text) {
  std::size_t count = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0U) != 0x80U) ++count;
  }
  return count;
}

bool is_non_negative_integer(const json& value) {
  return is_integral(value) && value.get<double>() >= 0;
}

// ---- validation of a value ----

std::optional<std::string> validate_at(const json& schema, const json& value, const std::string& pointer);

std::optional<std::string> check_type(const json& schema, const json& value, const std::string& pointer) {
  const auto it = schema.find("type");
  if (it == schema.end()) return std::nullopt;
  if (it->is_string()) {
    if (has_type(value, it->get<std::string>())) return std::nullopt;
    return fail(pointer, "expected " + it->get<std::string>() + ", got " + json_type_name(value));
  }
  if (!it->is_array()) return std::nullopt;
  std::string expected;
  for (const auto& t : *it) {
    if (!t.is_string()) continue;
    if (has_type(value, t.get<std::string>())) return std::nullopt;
    expected += (expected.empty() ? "" : " or ") + t.get<std::string>();
  }
  return fail(pointer, "expected " + expected + ", got " + json_type_name(value));
}

bool json_equal(const json& a, const json& b) {
  // 1 and 1.0 are the same JSON number.
  if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
  return a == b;
}

std::optional<std::string> check_enum_const(const json& schema, const json& value, const std::string& pointer) {
  if (const auto it = schema.find("enum"); it != schema.end() && it->is_array()) {
    bool found = false;
    for (const auto& option : *it) found = found || json_equal(option, value);
    if (!found) return fail(pointer, short_dump(value) + " is not one of " + short_dump(*it));
  }
  if (const auto it = schema.find("const"); it != schema.end() && !json_equal(*it, value)) {
    return fail(pointer, "expected " + short_dump(*it) + ", got " + short_dump(value));
  }
  return std::nullopt;
}

std::optional<std::string> check_number(const json& schema, const json& value, const std::string& pointer) {
  if (!value.is_number()) return std::nullopt;
  const double v = value.get<double>();
  if (const auto it = schema.find("minimum"); it != schema.end() && it->is_number() && v < it->get<double>()) {
    return fail(pointer, short_dump(value) + " is less than the minimum " + short_dump(*it));
  }
  if (const auto it = schema.find("maximum"); it != schema.end() && it->is_number() && v > it->get<double>()) {
    return fail(pointer, short_dump(value) + " is greater than the maximum " + short_dump(*it));
  }
  return std::nullopt;
}

std::optional<std::string> check_pattern(const json& pattern, const std::string& text, const std::string& pointer) {
  try {
    const std::regex re(pattern.get<std::string>(), std::regex::ECMAScript);
    if (!std::regex_search(text, re)) {
      return fail(pointer, "does not match the pattern " + short_dump(pattern));
    }
  } catch (const std::regex_error&) {
    return fail(pointer, "cannot be checked: the schema's pattern " + short_dump(pattern) + " is not a valid regex");
  }
  return std::nullopt;
}

std::optional<std::string> check_string(const json& schema, const json& value, const std::string& pointer) {
  if (!value.is_string()) return std::nullopt;
  const auto& text = value.get_ref<const std::string&>();
  const std::size_t length = utf8_length(text);
  if (const auto it = schema.find("minLength"); it != schema.end() && it->is_number() &&
                                                 static_cast<double>(length) < it->get<double>()) {
    return fail(pointer, "is shorter than " + short_dump(*it) + " characters");
  }
  if (const auto it = schema.find("maxLength"); it != schema.end() && it->is_number() &&
                                                 static_cast<double>(length) > it->get<double>()) {
    return fail(pointer, "is longer than " + short_dump(*it) + " characters");
  }
  if (const auto it = schema.find("pattern"); it != schema.end() && it->is_string()) {
    return check_pattern(*it, text, pointer);
  }
  return std::nullopt;
}

std::optional<std::string> check_array(const json& schema, const json& value, const std::string& pointer) {
  if (!value.is_array()) return std::nullopt;
  const auto size = static_cast<double>(value.size());
  if (const auto it = schema.find("minItems"); it != schema.end() && it->is_number() && size < it->get<double>()) {
    return fail(pointer, "has fewer than " + short_dump(*it) + " items");
  }
  if (const auto it = schema.find("maxItems"); it != schema.end() && it->is_number() && size > it->get<double>()) {
    return fail(pointer, "has more than " + short_dump(*it) + " items");
  }
  if (const auto it = schema.find("items"); it != schema.end()) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (auto error = validate_at(*it, value[i], pointer_append(pointer, i))) return error;
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_object(const json& schema, const json& value, const std::string& pointer) {
  if (!value.is_object()) return std::nullopt;
  if (const auto it = schema.find("required"); it != schema.end() && it->is_array()) {
    for (const auto& name : *it) {
      if (name.is_string() && !value.contains(name.get<std::string>())) {
        return fail(pointer_append(pointer, name.get<std::string>()), "required property is missing");
      }
    }
  }
  const auto properties = schema.find("properties");
  const bool has_properties = properties != schema.end() && properties->is_object();
  const auto additional = schema.find("additionalProperties");
  for (const auto& [key, member] : value.items()) {
    const std::string member_pointer = pointer_append(pointer, key);
    if (has_properties && properties->contains(key)) {
      if (auto error = validate_at(properties->at(key), member, member_pointer)) return error;
    } else if (additional != schema.end()) {
      if (additional->is_boolean() && !additional->get<bool>()) {
        std::string allowed;
        if (has_properties) {
          for (const auto& [name, ignored] : properties->items()) allowed += (allowed.empty() ? "" : ", ") + name;
        }
        return fail(member_pointer, "unexpected property (allowed: " + (allowed.empty() ? "none" : allowed) + ")");
      }
      if (auto error = validate_at(*additional, member, member_pointer)) return error;
    }
  }
  return std::nullopt;
}

std::optional<std::string> validate_at(const json& schema, const json& value, const std::string& pointer) {
  if (schema.is_boolean()) {
    if (schema.get<bool>()) return std::nullopt;
    return fail(pointer, "no value is allowed here");
  }
  if (!schema.is_object()) return std::nullopt;  // check_schema refuses these; be lenient here
  for (auto check : {check_type, check_enum_const, check_number, check_string, check_array, check_object}) {
    if (auto error = check(schema, value, pointer)) return error;
  }
  return std::nullopt;
}

// ---- checking a schema ----

std::optional<std::string> check_schema_at(const json& schema, const std::string& pointer);

std::optional<std::string> check_type_keyword(const json& type, const std::string& pointer) {
  const std::string expected = "(expected one of null, boolean, object, array, number, integer, string)";
  if (type.is_string()) {
    if (is_known_type(type.get<std::string>())) return std::nullopt;
    return fail(pointer, "unknown type " + short_dump(type) + " " + expected);
  }
  if (!type.is_array() || type.empty()) {
    return fail(pointer, "expected a type name or a non-empty array of type names");
  }
  std::set<std::string> seen;
  for (std::size_t i = 0; i < type.size(); ++i) {
    const auto& t = type[i];
    if (!t.is_string() || !is_known_type(t.get<std::string>())) {
      return fail(pointer_append(pointer, i), "unknown type " + short_dump(t) + " " + expected);
    }
    if (!seen.insert(t.get<std::string>()).second) {
      return fail(pointer_append(pointer, i), "type " + short_dump(t) + " is listed twice");
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_required_keyword(const json& required, const std::string& pointer) {
  if (!required.is_array()) return fail(pointer, "expected an array of property names");
  std::set<std::string> seen;
  for (std::size_t i = 0; i < required.size(); ++i) {
    if (!required[i].is_string()) return fail(pointer_append(pointer, i), "expected a property name (string)");
    if (!seen.insert(required[i].get<std::string>()).second) {
      return fail(pointer_append(pointer, i), "property " + short_dump(required[i]) + " is listed twice");
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_bounds(const json& schema, const std::string& pointer) {
  for (const char* key : {"minimum", "maximum"}) {
    if (const auto it = schema.find(key); it != schema.end() && !it->is_number()) {
      return fail(pointer_append(pointer, key), "expected a number, got " + json_type_name(*it));
    }
  }
  for (const char* key : {"minLength", "maxLength", "minItems", "maxItems"}) {
    if (const auto it = schema.find(key); it != schema.end() && !is_non_negative_integer(*it)) {
      return fail(pointer_append(pointer, key), "expected a non-negative integer, got " + short_dump(*it));
    }
  }
  const std::array<std::pair<const char*, const char*>, 3> pairs = {
      {{"minimum", "maximum"}, {"minLength", "maxLength"}, {"minItems", "maxItems"}}};
  for (const auto& [low, high] : pairs) {
    if (schema.contains(low) && schema.contains(high) && schema[low].get<double>() > schema[high].get<double>()) {
      return fail(pointer_append(pointer, low), std::string(low) + " is greater than " + high);
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_pattern_keyword(const json& pattern, const std::string& pointer) {
  if (!pattern.is_string()) return fail(pointer, "expected a regular expression (string)");
  try {
    const std::regex re(pattern.get<std::string>(), std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return fail(pointer, "invalid regular expression " + short_dump(pattern) + ": " + e.what());
  }
  return std::nullopt;
}

std::optional<std::string> check_subschemas(const json& schema, const std::string& pointer) {
  if (const auto it = schema.find("properties"); it != schema.end()) {
    const std::string at = pointer_append(pointer, "properties");
    if (!it->is_object()) return fail(at, "expected an object of property schemas, got " + json_type_name(*it));
    for (const auto& [name, sub] : it->items()) {
      if (auto error = check_schema_at(sub, pointer_append(at, name))) return error;
    }
  }
  if (const auto it = schema.find("additionalProperties"); it != schema.end()) {
    if (auto error = check_schema_at(*it, pointer_append(pointer, "additionalProperties"))) return error;
  }
  if (const auto it = schema.find("items"); it != schema.end()) {
    if (auto error = check_schema_at(*it, pointer_append(pointer, "items"))) return error;
  }
  return std::nullopt;
}

std::optional<std::string> check_schema_at(const json& schema, const std::string& pointer) {
  if (schema.is_boolean()) return std::nullopt;
  if (!schema.is_object()) {
    return fail(pointer, "expected a schema (an object or a boolean), got " + json_type_name(schema));
  }
  if (const auto it = schema.find("type"); it != schema.end()) {
    if (auto error = check_type_keyword(*it, pointer_append(pointer, "type"))) return error;
  }
  if (const auto it = schema.find("required"); it != schema.end()) {
    if (auto error = check_required_keyword(*it, pointer_append(pointer, "required"))) return error;
  }
  if (const auto it = schema.find("enum"); it != schema.end() && (!it->is_array() || it->empty())) {
    return fail(pointer_append(pointer, "enum"), "expected a non-empty array of allowed values");
  }
  if (const auto it = schema.find("pattern"); it != schema.end()) {
    if (auto error = check_pattern_keyword(*it, pointer_append(pointer, "pattern"))) return error;
  }
  if (auto error = check_bounds(schema, pointer)) return error;
  return check_subschemas(schema, pointer);
}

}  // namespace

std::optional<std::string> validate_against_schema(const nlohmann::json& schema, const nlohmann::json& value) {
  return validate_at(schema, value, "");
}

std::optional<std::string> check_schema(const nlohmann::json& schema) { return check_schema_at(schema, ""); }

}  // namespace agentrt
