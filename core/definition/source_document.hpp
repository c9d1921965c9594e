#pragma once
// A definition file read into JSON, with the line:column of every field kept beside it, so
// errors found later while converting fields can still point into the file. Both YAML and
// JSON files become a SourceDocument; the definition parser never sees the file format.
// Internal to core/definition.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/model/error.hpp"

namespace agentrt {

struct SourcePosition {
  int line = 0;    // 1-based
  int column = 0;  // 1-based
};

struct SourceMarks {
  std::optional<SourcePosition> key;    // where the mapping key is written
  std::optional<SourcePosition> value;  // where the value starts
};

struct SourceDocument {
  std::string name;                           // file name used in messages
  nlohmann::json root;
  std::map<std::string, SourceMarks> marks;   // by field path: "tools[0].http.url"; empty for JSON
};

// Field paths as used in messages: "model.retry", "tools[2]", "tools[2].http.headers.X-Api".
std::string child_path(const std::string& parent, std::string_view key);
std::string child_path(const std::string& parent, std::size_t index);
// "tools[2].http" -> "tools[2]" -> "tools" -> "".
std::string parent_path(const std::string& path);

// Syntax errors are Errc::invalid with the file name and position. A document that is not a
// mapping is refused with "expected <top_level>, got ..." (other YAML files, such as the serve
// config, name their own keys there).
inline constexpr std::string_view kDefinitionTopLevel = "a mapping of fields (name, version, model, ...)";
Result<SourceDocument> read_yaml_document(std::string_view text, std::string_view name,
                                          std::string_view top_level = kDefinitionTopLevel);
Result<SourceDocument> read_json_document(std::string_view text, std::string_view name);

}  // namespace agentrt
