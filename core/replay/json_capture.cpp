#include "core/replay/json_capture.hpp"

#include <utility>

namespace agentrt {

using json = nlohmann::json;

void JsonCapture::start(json* target) {
  target_ = target;
  active_ = true;
  skipped_depth_ = 0;
  open_.clear();
}

void JsonCapture::begin(json::value_t container) {
  if (target_ == nullptr) {
    ++skipped_depth_;
    return;
  }
  // A container's address stays put while it is open: its parent grows only after it ends.
  open_.push_back(&place(json(container)));
}

bool JsonCapture::end() {
  if (target_ == nullptr) return --skipped_depth_ == 0 && finish();
  open_.pop_back();
  return open_.empty() && finish();
}

void JsonCapture::key(std::string_view key) {
  if (target_ != nullptr) key_.assign(key);
}

bool JsonCapture::string(std::string_view text) {
  if (target_ == nullptr) return skipped_depth_ == 0 && finish();
  place(json(text));
  return open_.empty() && finish();
}

bool JsonCapture::scalar(json value) {
  if (target_ == nullptr) return skipped_depth_ == 0 && finish();
  place(std::move(value));
  return open_.empty() && finish();
}

json& JsonCapture::place(json value) {
  if (open_.empty()) {
    *target_ = std::move(value);
    return *target_;
  }
  json& parent = *open_.back();
  if (parent.is_array()) {
    auto& array = parent.get_ref<json::array_t&>();
    array.push_back(std::move(value));
    return array.back();
  }
  auto& object = parent.get_ref<json::object_t&>();
  // Exports write keys in order, so a member nearly always goes last: no search.
  if (object.empty() || object.rbegin()->first < key_) {
    return object.emplace_hint(object.end(), key_, std::move(value))->second;
  }
  return object[key_] = std::move(value);
}

bool JsonCapture::finish() {
  active_ = false;
  return true;
}

}  // namespace agentrt
