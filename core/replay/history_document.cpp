#include "core/replay/history_document.hpp"

#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>
#include <system_error>

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

// `where` names the event for messages, e.g. "history.json: events[4]".
Result<Event> take_event(json& j, const std::string& where) {
  if (!j.is_object()) {
    return invalid(where + ": expected an event object {seq, type, time_ms, data}, got " + std::string(j.type_name()));
  }
  const auto seq = j.find("seq");
  if (seq == j.end() || !seq->is_number_integer()) return invalid(where + ": \"seq\" missing or not an integer");
  const std::string at = where + " (seq " + std::to_string(seq->get<std::int64_t>()) + ")";
  const auto type = j.find("type");
  if (type == j.end() || !type->is_string()) return invalid(at + ": \"type\" missing or not a string");
  const auto parsed = parse_event_type(type->get_ref<const std::string&>());
  if (!parsed) {
    return invalid(at + ": unknown event type \"" + type->get<std::string>() +
                   "\" (written by a newer agentrt, or the file was edited)");
  }
  const auto time = j.find("time_ms");
  if (time == j.end() || !time->is_number_integer()) return invalid(at + ": \"time_ms\" missing or not an integer");
  Event e{EventSeq{seq->get<std::int64_t>()}, *parsed, time->get<std::int64_t>(), json::object()};
  if (const auto data = j.find("data"); data != j.end()) {
    if (!data->is_object()) return invalid(at + ": \"data\" must be an object, got " + std::string(data->type_name()));
    e.data = std::move(*data);  // moved out of the document: no copy of every payload
  }
  return e;
}

Result<json> parse_json(std::string_view text, const std::string& where) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    return invalid(where + ": not valid JSON: " + e.what());
  }
}

History header_history(json& header, std::string name) {
  History h;
  h.name = std::move(name);
  if (auto session = header.find("session"); session != header.end()) h.session = std::move(*session);
  h.definition = std::move(header["definition"]);
  return h;
}

Result<History> parse_document(std::string_view text, std::string name) {
  auto doc = parse_json(text, name);
  if (!doc) return doc.error();
  if (auto ok = check_header(*doc, name); !ok) return ok.error();
  auto events = doc->find("events");
  if (events == doc->end() || !events->is_array()) return invalid(name + ": no \"events\" list");
  History h = header_history(*doc, name);
  h.events.reserve(events->size());
  for (std::size_t i = 0; i < events->size(); ++i) {
    auto e = take_event((*events)[i], name + ": events[" + std::to_string(i) + "]");
    if (!e) return e.error();
    h.events.push_back(std::move(e.value()));
  }
  if (auto ok = check_event_sequence(h.events, name); !ok) return ok.error();
  return h;
}

Result<History> parse_lines(std::string_view text, std::string name) {
  std::optional<History> h;
  std::size_t line_number = 0;
  while (!text.empty()) {
    const auto end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const std::string where = name + ":" + std::to_string(line_number);
    auto value = parse_json(line, where);
    if (!value) return value.error();
    if (!h) {
      if (auto ok = check_header(*value, name); !ok) return ok.error();
      h = header_history(*value, name);
      continue;
    }
    auto e = take_event(*value, where);
    if (!e) return e.error();
    h->events.push_back(std::move(e.value()));
  }
  if (!h) return invalid(name + ": empty file (expected a header line {\"format\", \"session\", \"definition\"})");
  if (auto ok = check_event_sequence(h->events, name); !ok) return ok.error();
  return std::move(*h);
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
  std::ifstream in(path, std::ios::binary);
  if (!in) return invalid("cannot read " + name + ": " + std::error_code(errno, std::generic_category()).message());
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return invalid("cannot read " + name + ": " + std::error_code(errno, std::generic_category()).message());
  const auto encoding = path.extension() == ".jsonl" ? HistoryEncoding::json_lines : HistoryEncoding::json_document;
  return parse_history(text.str(), name, encoding);
}

}  // namespace agentrt
