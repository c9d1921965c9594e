#include "core/replay/history_document.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <system_error>

#include "core/replay/history_text_parser.hpp"

namespace agentrt {
namespace {

using json = nlohmann::json;

Error invalid(std::string message) { return Error{Errc::invalid, std::move(message)}; }

std::string expected_format() { return "expected \"format\": \"" + std::string(kHistoryFormat) + "\""; }

// The header names its format; a newer one is refused with what to do about it.
Result<void> check_header(const json& header, const std::string& name) {
  if (!header.is_object()) {
    return invalid(name + ": not an agentrt history: expected a JSON object, got " + std::string(header.type_name()));
  }
  const auto format = header.find("format");
  if (format == header.end() || !format->is_string()) {
    return invalid(name + ": not an agentrt history: no \"format\" field (" + expected_format() + ")");
  }
  const auto& text = format->get_ref<const std::string&>();
  constexpr std::string_view kPrefix = "agentrt.history/";
  int version = 0;
  const bool versioned = text.starts_with(kPrefix);
  const char* first = text.data() + (versioned ? kPrefix.size() : 0);
  const char* last = text.data() + text.size();
  const auto [end, ec] = std::from_chars(first, last, version);
  if (!versioned || ec != std::errc{} || end != last || version < 1) {
    return invalid(name + ": unknown history format \"" + text + "\" (" + expected_format() + ")");
  }
  if (version > kHistoryFormatVersion) {
    return invalid(name + ": history format " + text + " is newer than this build of agentrt reads (" +
                   std::string(kHistoryFormat) + "); replay it with a newer agentrt");
  }
  const auto definition = header.find("definition");
  if (definition == header.end() || !definition->is_object()) {
    return invalid(name + ": no \"definition\" object (the canonical definition the session ran on)");
  }
  const auto session = header.find("session");
  if (session != header.end() && !session->is_object()) {
    return invalid(name + ": \"session\" must be an object, got " + std::string(session->type_name()));
  }
  return ok_result();
}

History header_history(json& header, std::string name) {
  History h;
  h.name = std::move(name);
  if (auto session = header.find("session"); session != header.end()) h.session = std::move(*session);
  h.definition = std::move(header["definition"]);
  return h;
}

Result<History> parse_document(std::string_view text, std::string name) {
  HistoryParts parts;
  if (auto ok = parse_history_text(text, HistoryText::document, {name}, parts); !ok) return ok.error();
  if (auto ok = check_header(parts.header, name); !ok) return ok.error();
  if (!parts.has_events_list) return invalid(name + ": no \"events\" list");
  if (parts.bad_event) return *parts.bad_event;
  History h = header_history(parts.header, name);
  h.events = std::move(parts.events);
  if (auto ok = check_event_sequence(h.events, name); !ok) return ok.error();
  return h;
}

Result<History> parse_lines(std::string_view text, std::string name) {
  HistoryParts parts;
  parts.events.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')));
  bool has_header = false;
  std::size_t line_number = 0;
  while (!text.empty()) {
    const auto end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const auto kind = has_header ? HistoryText::event_line : HistoryText::header_line;
    if (auto ok = parse_history_text(line, kind, {name, line_number}, parts); !ok) return ok.error();
    if (parts.bad_event) return *parts.bad_event;
    if (!has_header) {
      if (auto ok = check_header(parts.header, name); !ok) return ok.error();
      has_header = true;
    }
  }
  if (!has_header) return invalid(name + ": empty file (expected a header line {\"format\", \"session\", \"definition\"})");
  History h = header_history(parts.header, name);
  h.events = std::move(parts.events);
  if (auto ok = check_event_sequence(h.events, name); !ok) return ok.error();
  return h;
}

// The whole file in one string, read in one go when its size is known.
Result<std::string> read_text(const std::filesystem::path& path, const std::string& name) {
  std::ifstream in;
  in.rdbuf()->pubsetbuf(nullptr, 0);  // unbuffered: the reads below are large, a buffer only costs a copy
  in.open(path, std::ios::binary);
  if (!in) return invalid("cannot read " + name + ": " + std::error_code(errno, std::generic_category()).message());
  std::error_code size_unknown;
  const auto size = std::filesystem::file_size(path, size_unknown);
  std::string text(size_unknown ? std::size_t{64 * 1024} : static_cast<std::size_t>(size) + 1, '\0');
  std::size_t used = 0;
  for (;;) {  // one more byte than the size, so the first read also sees the end
    in.read(text.data() + used, static_cast<std::streamsize>(text.size() - used));
    used += static_cast<std::size_t>(in.gcount());
    if (!in) break;
    text.resize(text.size() * 2);
  }
  if (in.bad()) return invalid("cannot read " + name + ": " + std::error_code(errno, std::generic_category()).message());
  text.resize(used);
  return text;
}

}  // namespace

Result<void> check_event_sequence(const std::vector<Event>& events, const std::string& name) {
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto expected = static_cast<std::int64_t>(i) + 1;
    if (events[i].seq.value != expected) {
      return invalid(name + ": events[" + std::to_string(i) + "] has seq " + std::to_string(events[i].seq.value) +
                     ", expected " + std::to_string(expected) + " (events must be numbered 1, 2, 3, ... without gaps)");
    }
  }
  if (events.empty()) return invalid(name + ": the history has no events");
  if (events.front().type != EventType::SessionStarted) {
    return invalid(name + ": event 1 is " + std::string(event_type_name(events.front().type)) +
                   ", expected SessionStarted");
  }
  return ok_result();
}

Result<History> parse_history(std::string_view text, std::string name, HistoryEncoding encoding) {
  return encoding == HistoryEncoding::json_lines ? parse_lines(text, std::move(name))
                                                 : parse_document(text, std::move(name));
}

Result<History> read_history_file(const std::filesystem::path& path) {
  const std::string name = path.string();
  auto text = read_text(path, name);
  if (!text) return text.error();
  const auto encoding = path.extension() == ".jsonl" ? HistoryEncoding::json_lines : HistoryEncoding::json_document;
  return parse_history(*text, name, encoding);
}

}  // namespace agentrt
