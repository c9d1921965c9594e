#include "serve/sse_format.hpp"

#include <charconv>

namespace agentrt::serve {

void append_sse_frame(std::string& out, const OutputEvent& event) {
  if (event.durable) {
    out += "id: ";
    out += std::to_string(event.seq);
    out += '\n';
  }
  out += "event: ";
  out += event.kind;
  out += "\ndata: ";
  // Invalid UTF-8 (a tool's bytes) is replaced, not thrown: the stream must not die on it.
  out += to_json(event).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out += "\n\n";
}

void append_sse_error(std::string& out, std::string_view code, std::string_view message, std::int64_t resume_from) {
  const nlohmann::json data{{"code", code}, {"message", message}, {"resume_from", resume_from}};
  out += "event: error\ndata: ";
  out += data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out += "\n\n";
}

std::optional<std::int64_t> parse_resume_seq(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

}  // namespace agentrt::serve
