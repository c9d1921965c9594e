#include "backends/tools/process_output.hpp"

#include <algorithm>

namespace agentrt {
namespace {

bool is_continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U; }

}  // namespace

std::size_t utf8_prefix_length(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return text.size();
  std::size_t cut = limit;
  // Back up over at most 3 continuation bytes to the lead byte of the split character.
  for (int i = 0; i < 3 && cut > 0 && is_continuation_byte(text[cut]); ++i) --cut;
  return is_continuation_byte(text[cut]) ? limit : cut;
}

void OutputHead::append(std::string_view data) {
  total_bytes_ += data.size();
  if (head_.size() < bytes_max_) head_.append(data.substr(0, bytes_max_ - head_.size()));
}

std::string OutputHead::finish() const {
  if (total_bytes_ <= bytes_max_) return head_;
  // The marker's digits depend on the kept length; computing it with the total as an upper
  // bound keeps the result within bytes_max.
  const auto marker_for = [&](std::size_t kept) {
    return "\n[agentrt: output truncated, " + std::to_string(kept) + " of " + std::to_string(total_bytes_) +
           " bytes shown]";
  };
  const std::size_t reserve = marker_for(total_bytes_).size();
  if (reserve >= bytes_max_) return marker_for(0).substr(0, bytes_max_);
  const std::size_t kept = utf8_prefix_length(head_, bytes_max_ - reserve);
  return head_.substr(0, kept) + marker_for(kept);
}

void OutputTail::append(std::string_view data) {
  tail_.append(data);
  // Trim lazily, so a byte-at-a-time writer does not make this quadratic.
  if (tail_.size() > 2 * bytes_max_) tail_.erase(0, tail_.size() - bytes_max_);
}

std::string OutputTail::finish() const {
  std::string_view view{tail_};
  if (view.size() > bytes_max_) {
    view.remove_prefix(view.size() - bytes_max_);
    while (!view.empty() && is_continuation_byte(view.front())) view.remove_prefix(1);
  }
  const auto end = view.find_last_not_of(" \t\r\n");
  return std::string(end == std::string_view::npos ? std::string_view{} : view.substr(0, end + 1));
}

}  // namespace agentrt
