#pragma once
// Collects the problems found in one definition and turns them into one Error whose lines
// look like "agent.yaml:9:7: tools[0].http.url: \"ftp://x\" is not an http(s) URL".
// Positions come from the SourceDocument marks; a field without a mark (a missing field, or
// any field of a JSON file) borrows its nearest ancestor's, or has none.

#include <optional>
#include <string>
#include <vector>

#include "core/definition/source_document.hpp"
#include "core/model/error.hpp"

namespace agentrt {

class Diagnostics {
 public:
  // `doc` may be null (canonical JSON has no file); it must outlive this object.
  Diagnostics(std::string source_name, const SourceDocument* doc);

  // A problem with the value at `path`.
  void error(const std::string& path, const std::string& what);
  // A problem with a value, located at a more precise path than the one named.
  void error_located(const std::string& path, const std::string& what, const std::string& located_at);
  // A problem with the key written at `path` (e.g. unknown key); the message names the parent.
  void key_error(const std::string& path, const std::string& what);
  // A required field that is absent: "<path>: missing (<why>)".
  void missing(const std::string& path, const std::string& why);

  [[nodiscard]] bool empty() const { return entries_.empty(); }
  [[nodiscard]] std::size_t count() const { return entries_.size(); }
  // All problems, in file order, one per line (at most kMaxReported).
  [[nodiscard]] Error to_error() const;

  static constexpr std::size_t kMaxReported = 20;

 private:
  struct Entry {
    std::optional<SourcePosition> position;
    std::string text;
  };
  void add(std::optional<SourcePosition> position, const std::string& label, const std::string& what);
  [[nodiscard]] std::optional<SourcePosition> value_position(std::string path) const;

  std::string source_name_;
  const SourceDocument* doc_;
  std::vector<Entry> entries_;
};

// "string \"abc\"", "number 3", "a list", ... for "expected X, got Y" messages.
std::string describe_value(const nlohmann::json& value);
// A JSON string literal of `text`, shortened when long.
std::string quote_text(std::string_view text);

}  // namespace agentrt
