#pragma once
// Bounded captures of a child's output: the head of stdout (cut with a visible marker) and the
// tail of stderr (the last lines usually say what went wrong). Both keep reading past their
// bound, so a chatty child never blocks on a full pipe.

#include <cstddef>
#include <string>
#include <string_view>

namespace agentrt {

class OutputHead {
 public:
  explicit OutputHead(std::size_t bytes_max) : bytes_max_(bytes_max) {}
  void append(std::string_view data);
  [[nodiscard]] std::size_t total_bytes() const { return total_bytes_; }
  // The captured text; when more than bytes_max arrived, a prefix plus a marker
  // "[agentrt: output truncated, K of N bytes shown]", never longer than bytes_max in all.
  [[nodiscard]] std::string finish() const;

 private:
  std::size_t bytes_max_;
  std::size_t total_bytes_ = 0;
  std::string head_;
};

class OutputTail {
 public:
  explicit OutputTail(std::size_t bytes_max) : bytes_max_(bytes_max) {}
  void append(std::string_view data);
  // The last bytes_max bytes (starting on a UTF-8 boundary), trailing whitespace trimmed.
  [[nodiscard]] std::string finish() const;

 private:
  std::size_t bytes_max_;
  std::string tail_;
};

// Length of the longest prefix of `text` not longer than `limit` that does not split a UTF-8
// sequence (bytes that are not UTF-8 are treated as single characters).
std::size_t utf8_prefix_length(std::string_view text, std::size_t limit);

}  // namespace agentrt
