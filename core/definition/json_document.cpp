// JSON -> SourceDocument. nlohmann/json keeps no positions for values, so field errors in a
// JSON file name the field path only; syntax errors get line:column from the byte offset.

#include <set>
#include <vector>

#include "core/definition/source_document.hpp"
#include "core/definition/utf8.hpp"

namespace agentrt {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxDepth = 64;

// nlohmann's what() is "[json.exception.parse_error.101] parse error at line 3, column 5: <why>";
// keep only <why>, the position is computed by us.
std::string parse_error_reason(const std::string& what) {
  const auto marker = what.find(": ");
  if (marker == std::string::npos) return what;
  std::string reason = what.substr(marker + 2);
  return reason.empty() ? what : reason;
}

}  // namespace

Result<SourceDocument> read_json_document(std::string_view text, std::string_view name) {
  SourceDocument doc;
  doc.name = std::string(name);
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  bool too_deep = false;
  const json::parser_callback_t track_keys = [&](int depth, json::parse_event_t event, json& parsed) {
    if (static_cast<std::size_t>(depth) > kMaxDepth) too_deep = true;
    if (event == json::parse_event_t::object_start) open_objects.emplace_back();
    if (event == json::parse_event_t::object_end && !open_objects.empty()) open_objects.pop_back();
    if (event == json::parse_event_t::key && !open_objects.empty() && parsed.is_string() &&
        !open_objects.back().insert(parsed.get<std::string>()).second && duplicate.empty()) {
      duplicate = parsed.get<std::string>();
    }
    return true;
  };
  try {
    doc.root = json::parse(text.begin(), text.end(), track_keys);
  } catch (const json::parse_error& e) {
    const auto pos = position_of_offset(text, e.byte == 0 ? 0 : e.byte - 1);
    return Error{Errc::invalid, doc.name + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column) +
                                    ": JSON syntax error: " + parse_error_reason(e.what())};
  }
  if (too_deep) {
    return Error{Errc::invalid, doc.name + ": nested too deeply (more than " + std::to_string(kMaxDepth) + " levels)"};
  }
  if (!duplicate.empty()) {
    return Error{Errc::invalid, doc.name + ": duplicate key \"" + duplicate + "\" (each key may appear once per object)"};
  }
  if (!doc.root.is_object()) {
    return Error{Errc::invalid, doc.name + ": expected an object of fields (name, version, model, ...), got " +
                                    std::string(doc.root.type_name())};
  }
  return doc;
}

}  // namespace agentrt
