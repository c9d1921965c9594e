#include "core/definition/diagnostics.hpp"

#include <algorithm>

namespace agentrt {

namespace {
constexpr std::size_t kShownChars = 60;
}

std::string quote_text(std::string_view text) {
  std::string shown(text.substr(0, kShownChars));
  if (text.size() > kShownChars) shown += "...";
  return nlohmann::json(shown).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string describe_value(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null: return "nothing (null)";
    case nlohmann::json::value_t::boolean: return std::string("boolean ") + (value.get<bool>() ? "true" : "false");
    case nlohmann::json::value_t::string: return "string " + quote_text(value.get_ref<const std::string&>());
    case nlohmann::json::value_t::array: return "a list";
    case nlohmann::json::value_t::object: return "a mapping";
    default: return "number " + value.dump();
  }
}

Diagnostics::Diagnostics(std::string source_name, const SourceDocument* doc)
    : source_name_(std::move(source_name)), doc_(doc) {}

std::optional<SourcePosition> Diagnostics::value_position(std::string path) const {
  if (doc_ == nullptr) return std::nullopt;
  while (!path.empty()) {
    const auto it = doc_->marks.find(path);
    if (it != doc_->marks.end() && it->second.value) return it->second.value;
    path = parent_path(path);
  }
  return std::nullopt;
}

void Diagnostics::add(std::optional<SourcePosition> position, const std::string& label, const std::string& what) {
  std::string text = source_name_;
  if (position) text += ":" + std::to_string(position->line) + ":" + std::to_string(position->column);
  text += ": ";
  if (!label.empty()) text += label + ": ";
  text += what;
  entries_.push_back(Entry{position, std::move(text)});
}

void Diagnostics::error(const std::string& path, const std::string& what) { add(value_position(path), path, what); }

void Diagnostics::error_located(const std::string& path, const std::string& what, const std::string& located_at) {
  add(value_position(located_at), path, what);
}

void Diagnostics::key_error(const std::string& path, const std::string& what) {
  std::optional<SourcePosition> position;
  if (doc_ != nullptr) {
    const auto it = doc_->marks.find(path);
    if (it != doc_->marks.end()) position = it->second.key;
  }
  if (!position) position = value_position(parent_path(path));
  add(position, parent_path(path), what);
}

void Diagnostics::missing(const std::string& path, const std::string& why) {
  add(value_position(parent_path(path)), path, "missing (" + why + ")");
}

Error Diagnostics::to_error() const {
  std::vector<const Entry*> sorted;
  sorted.reserve(entries_.size());
  for (const auto& e : entries_) sorted.push_back(&e);
  // File order; problems without a position (whole-file or JSON) keep their discovery order first.
  std::stable_sort(sorted.begin(), sorted.end(), [](const Entry* a, const Entry* b) {
    const auto key = [](const Entry* e) {
      return e->position ? std::pair{e->position->line, e->position->column} : std::pair{0, 0};
    };
    return key(a) < key(b);
  });
  std::string message;
  for (std::size_t i = 0; i < sorted.size() && i < kMaxReported; ++i) {
    if (i > 0) message += "\n";
    message += sorted[i]->text;
  }
  if (sorted.size() > kMaxReported) {
    message += "\n(" + std::to_string(sorted.size() - kMaxReported) + " more problems not shown)";
  }
  return Error{Errc::invalid, message};
}

}  // namespace agentrt
