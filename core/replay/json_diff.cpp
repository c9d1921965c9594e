#include "core/replay/json_diff.hpp"

#include <algorithm>
#include <vector>

namespace agentrt {
namespace {

using json = nlohmann::json;

class LineDiff {
 public:
  explicit LineDiff(JsonDiffOptions options) : o_(options) {}

  void diff(const std::string& path, const json* a, const json* b) {
    if (a != nullptr && b != nullptr && *a == *b) {
      leaves(path, *a, ' ');
    } else if (a != nullptr && b != nullptr && a->is_object() && b->is_object() && !a->empty() && !b->empty()) {
      diff_objects(path, *a, *b);
    } else if (a != nullptr && b != nullptr && a->is_array() && b->is_array() && !a->empty() && !b->empty()) {
      for (std::size_t i = 0; i < std::max(a->size(), b->size()); ++i) {
        diff(path + "[" + std::to_string(i) + "]", i < a->size() ? &(*a)[i] : nullptr, i < b->size() ? &(*b)[i] : nullptr);
      }
    } else {
      if (a != nullptr) leaves(path, *a, '-');
      if (b != nullptr) leaves(path, *b, '+');
    }
  }

  std::string text() const {
    std::string out;
    for (std::size_t i = 0; i < lines_.size() && i < o_.lines_max; ++i) out += lines_[i] + '\n';
    if (lines_.size() > o_.lines_max) out += "... " + std::to_string(lines_.size() - o_.lines_max) + " more lines\n";
    return out;
  }

 private:
  // Keys of both objects in order (nlohmann's objects are sorted maps): a merge walk.
  void diff_objects(const std::string& path, const json& a, const json& b) {
    auto ia = a.begin();
    auto ib = b.begin();
    while (ia != a.end() || ib != b.end()) {
      if (ib == b.end() || (ia != a.end() && ia.key() < ib.key())) {
        diff(child(path, ia.key()), &ia.value(), nullptr);
        ++ia;
      } else if (ia == a.end() || ib.key() < ia.key()) {
        diff(child(path, ib.key()), nullptr, &ib.value());
        ++ib;
      } else {
        diff(child(path, ia.key()), &ia.value(), &ib.value());
        ++ia;
        ++ib;
      }
    }
  }

  void leaves(const std::string& path, const json& value, char mark) {
    if (value.is_object() && !value.empty()) {
      for (const auto& [key, item] : value.items()) leaves(child(path, key), item, mark);
    } else if (value.is_array() && !value.empty()) {
      for (std::size_t i = 0; i < value.size(); ++i) leaves(path + "[" + std::to_string(i) + "]", value[i], mark);
    } else {
      lines_.push_back(std::string(1, mark) + (path.empty() ? "(document)" : path) + ": " + shorten(value.dump(-1, ' ', false, json::error_handler_t::replace)));
    }
  }

  std::string shorten(std::string text) const {
    if (text.size() <= o_.value_chars_max) return text;
    const auto size = text.size();
    text.resize(o_.value_chars_max);
    // Never end inside a UTF-8 sequence: drop its continuation bytes, then its lead byte.
    while (!text.empty() && (static_cast<unsigned char>(text.back()) & 0xC0) == 0x80) text.pop_back();
    if (!text.empty() && static_cast<unsigned char>(text.back()) >= 0xC0) text.pop_back();
    return text + "... (" + std::to_string(size - text.size()) + " more bytes)";
  }

  static std::string child(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

  JsonDiffOptions o_;
  std::vector<std::string> lines_;
};

}  // namespace

std::string json_line_diff(const json* left, const json* right, JsonDiffOptions options) {
  LineDiff d(options);
  d.diff("", left, right);
  return d.text();
}

}  // namespace agentrt
