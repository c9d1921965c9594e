#pragma once
// Builds one nlohmann::json value from the events of a SAX parser, or skips one value
// without building anything. history_text_parser.cpp uses it for the parts of a history it
// keeps as JSON (the header, each event's data) and for the parts it ignores. A repeated
// key keeps its last value, as nlohmann::json::parse does.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace agentrt {

class JsonCapture {
 public:
  // The next value goes into `*target`, replacing what it held; nullptr skips it.
  void start(nlohmann::json* target);
  // Between start() and the end of that value.
  [[nodiscard]] bool active() const { return active_; }

  // Each event of the value; those that can end it return true when it has ended.
  void begin(nlohmann::json::value_t container);  // object or array
  bool end();
  void key(std::string_view key);
  bool string(std::string_view text);
  bool scalar(nlohmann::json value);  // a number, a boolean or null: no allocation

 private:
  nlohmann::json& place(nlohmann::json value);
  bool finish();

  nlohmann::json* target_ = nullptr;
  bool active_ = false;
  std::size_t skipped_depth_ = 0;       // open containers of a skipped value
  std::vector<nlohmann::json*> open_;   // open containers of a built value, innermost last
  std::string key_;                     // the key of the next member of the innermost object
};

}  // namespace agentrt
