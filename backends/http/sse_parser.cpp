#include "backends/http/sse_parser.hpp"

namespace agentrt {

std::vector<SseEvent> SseParser::feed(std::string_view chunk) {
  std::vector<SseEvent> out;
  if (skip_lf_ && !chunk.empty()) {
    skip_lf_ = false;
    if (chunk.front() == '\n') chunk.remove_prefix(1);
  }
  while (!chunk.empty()) {
    const auto end = chunk.find_first_of("\r\n");
    if (end == std::string_view::npos) {
      line_.append(chunk);
      break;
    }
    line_.append(chunk.substr(0, end));
    const bool cr = chunk[end] == '\r';
    chunk.remove_prefix(end + 1);
    if (cr) {
      if (chunk.empty()) {
        skip_lf_ = true;  // its LF may arrive in the next chunk
      } else if (chunk.front() == '\n') {
        chunk.remove_prefix(1);
      }
    }
    take_line(line_, out);
    line_.clear();
  }
  return out;
}

void SseParser::take_line(std::string_view line, std::vector<SseEvent>& out) {
  if (line.empty()) {
    dispatch(out);
    return;
  }
  if (line.front() == ':') return;  // a comment (servers send them as keep-alives)
  std::string_view field = line;
  std::string_view value;
  if (const auto colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) data_.push_back('\n');
    data_.append(value);
    has_data_ = true;
  } else if (field == "event") {
    event_.assign(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_id_.assign(value);
  }
}

void SseParser::dispatch(std::vector<SseEvent>& out) {
  // An event with no data field is not dispatched; its event type is dropped with it.
  if (has_data_) out.push_back(SseEvent{event_, data_, last_id_});
  event_.clear();
  data_.clear();
  has_data_ = false;
}

}  // namespace agentrt
