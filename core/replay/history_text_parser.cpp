#include "core/replay/history_text_parser.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <utility>

#include <boost/json/basic_parser_impl.hpp>

#include "core/replay/json_capture.hpp"

namespace agentrt {
namespace {

using json = nlohmann::json;
using Kind = json::value_t;
using boost::system::error_code;
using BoostView = boost::json::string_view;

Error invalid(std::string message) { return Error{Errc::invalid, std::move(message)}; }

bool is_integer(Kind kind) { return kind == Kind::number_integer || kind == Kind::number_unsigned; }

std::string kind_name(Kind kind) { return json(kind).type_name(); }

// Boost.JSON 1.81 may round a double's last bit unlike strtod, which nlohmann::json::parse
// uses: parse the text again, so that replay compares the values it always compared.
double precise_double(std::string_view text) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc{} && end == text.data() + text.size()) return value;
  return std::strtod(std::string(text).c_str(), nullptr);  // out of range: what strtod makes of it
}

// An event object's fields as they are read; checked when it ends. Absent: Kind::discarded.
struct EventFields {
  Kind seq_kind = Kind::discarded;
  std::int64_t seq = 0;
  Kind type_kind = Kind::discarded;
  std::optional<EventType> type;
  std::string unknown_type;  // the text of a type that is not one of ours
  Kind time_kind = Kind::discarded;
  std::int64_t time_ms = 0;
  Kind data_kind = Kind::discarded;
  json data;
};

// The first thing wrong with an event, to follow its place in a message.
std::optional<std::string> shape_problem(const EventFields& f) {
  if (!is_integer(f.seq_kind)) return std::string(": \"seq\" missing or not an integer");
  std::string problem;
  if (f.type_kind != Kind::string) {
    problem = "\"type\" missing or not a string";
  } else if (!f.type) {
    problem = "unknown event type \"" + f.unknown_type + "\" (written by a newer agentrt, or the file was edited)";
  } else if (!is_integer(f.time_kind)) {
    problem = "\"time_ms\" missing or not an integer";
  } else if (f.data_kind != Kind::discarded && f.data_kind != Kind::object) {
    problem = "\"data\" must be an object, got " + kind_name(f.data_kind);
  } else {
    return std::nullopt;
  }
  return " (seq " + std::to_string(f.seq) + "): " + problem;
}

// Where the handler is, above the values it captures or skips.
enum class Level { root, document, events, event, done };
// What the value after the last key at the document or event level is.
enum class Member { other, events, header, seq, type, time_ms, data };

Member document_member(std::string_view key) {
  if (key == "events") return Member::events;
  if (key == "format" || key == "session" || key == "definition") return Member::header;
  return Member::other;  // e.g. archived_branches: replay does not read it
}

Member event_member(std::string_view key) {
  if (key == "seq") return Member::seq;
  if (key == "type") return Member::type;
  if (key == "time_ms") return Member::time_ms;
  if (key == "data") return Member::data;
  return Member::other;
}

// Boost.JSON's SAX interface (boost/json/basic_parser.hpp). Walks the document, the events
// list and each event itself; hands the values it keeps (header, data) to a JsonCapture.
class HistoryHandler {
 public:
  static constexpr std::size_t max_object_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_array_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_key_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_string_size = std::numeric_limits<std::size_t>::max();

  HistoryHandler(HistoryText kind, HistoryTextPlace place, HistoryParts& parts)
      : kind_(kind), place_(place), parts_(parts) {}

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) { return begin(Kind::object); }
  bool on_object_end(std::size_t, error_code&) { return end(); }
  bool on_array_begin(error_code&) { return begin(Kind::array); }
  bool on_array_end(std::size_t, error_code&) { return end(); }
  bool on_key_part(BoostView part, std::size_t, error_code&) { return append(part); }
  bool on_key(BoostView last, std::size_t, error_code&) { return key(whole(last)); }
  bool on_string_part(BoostView part, std::size_t, error_code&) { return append(part); }
  bool on_string(BoostView last, std::size_t, error_code&) { return string(whole(last)); }
  // write_some gets the whole text at once, so numbers never come in parts: on_double sees all of one.
  bool on_number_part(BoostView, error_code&) { return true; }
  bool on_int64(std::int64_t value, BoostView text, error_code&) {
    // nlohmann makes every integer without a minus sign unsigned; keep its types.
    if (text.starts_with('-')) return scalar(json(value));
    return scalar(json(static_cast<std::uint64_t>(value)));
  }
  bool on_uint64(std::uint64_t value, BoostView, error_code&) { return scalar(json(value)); }
  bool on_double(double, BoostView text, error_code& ec) {
    const double value = precise_double({text.data(), text.size()});
    if (std::isfinite(value)) return scalar(json(value));
    failure_ = "number overflow: " + std::string(text.data(), text.size());  // as nlohmann refuses it
    ec = boost::json::error::exception;
    return false;
  }
  bool on_bool(bool value, error_code&) { return scalar(json(value)); }
  bool on_null(error_code&) { return scalar(json(nullptr)); }
  bool on_comment_part(BoostView, error_code&) { return true; }  // comments are refused: never called
  bool on_comment(BoostView, error_code&) { return true; }

  [[nodiscard]] std::string failure(const error_code& ec) const { return failure_.empty() ? ec.message() : failure_; }

 private:
  // A key or string in several parts (long, or with escapes) is gathered in `partial_`.
  bool append(BoostView part) {
    partial_.append(part.data(), part.size());
    return true;
  }
  std::string_view whole(BoostView last) {
    if (partial_.empty()) return {last.data(), last.size()};
    partial_.append(last.data(), last.size());
    return partial_;
  }

  bool begin(Kind container) {
    if (!capture_.active()) {
      if (level_ == Level::root && container == Kind::object && kind_ != HistoryText::header_line) {
        if (kind_ == HistoryText::event_line) return event_begins();
        parts_.header = json::object();
        level_ = Level::document;
        return true;
      }
      if (level_ == Level::document && member_ == Member::events && container == Kind::array) return events_begin();
      if (level_ == Level::events && container == Kind::object) return event_begins();
      capture_.start(value_target(container));
    }
    capture_.begin(container);
    return true;
  }

  bool end() {
    if (capture_.active()) {
      capture_.end();
    } else if (level_ == Level::document) {
      level_ = Level::done;
    } else if (level_ == Level::events) {
      level_ = Level::document;
    } else if (level_ == Level::event) {
      event_ends();
    }
    return true;
  }

  bool key(std::string_view key) {
    if (capture_.active()) {
      capture_.key(key);
    } else if (level_ == Level::document) {
      member_ = document_member(key);
      if (member_ == Member::header) header_key_.assign(key);
    } else if (level_ == Level::event) {
      member_ = event_member(key);
    }
    partial_.clear();
    return true;
  }

  bool string(std::string_view text) {
    if (capture_.active()) {
      capture_.string(text);
    } else if (level_ == Level::event && member_ == Member::type) {
      fields_.type_kind = Kind::string;
      fields_.type = parse_event_type(text);
      if (!fields_.type) fields_.unknown_type.assign(text);
    } else if (json* target = value_target(Kind::string)) {
      *target = json(text);
    }
    partial_.clear();
    return true;
  }

  bool scalar(json value) {
    if (capture_.active()) {
      capture_.scalar(std::move(value));
    } else if (level_ == Level::event && (member_ == Member::seq || member_ == Member::time_ms)) {
      const bool seq = member_ == Member::seq;
      (seq ? fields_.seq_kind : fields_.time_kind) = value.type();
      if (value.is_number_integer()) (seq ? fields_.seq : fields_.time_ms) = value.get<std::int64_t>();
    } else if (json* target = value_target(value.type())) {
      *target = std::move(value);
    }
    return true;
  }

  // Notes a value the handler does not walk itself; returns where to keep it (nullptr: nowhere).
  json* value_target(Kind kind) {
    switch (level_) {
      case Level::root:
        if (kind_ != HistoryText::event_line) return &parts_.header;  // a header, or a root that is no object
        bad_element(kind);
        return nullptr;
      case Level::document:
        if (member_ == Member::events) parts_.has_events_list = false;  // the last "events" counts
        return member_ == Member::header ? &parts_.header[header_key_] : nullptr;
      case Level::events:
        bad_element(kind);
        return nullptr;
      case Level::event:
        return event_field_target(kind);
      case Level::done:
        return nullptr;
    }
    return nullptr;
  }

  json* event_field_target(Kind kind) {
    switch (member_) {
      case Member::seq: fields_.seq_kind = kind; return nullptr;
      case Member::type: fields_.type_kind = kind; return nullptr;
      case Member::time_ms: fields_.time_kind = kind; return nullptr;
      case Member::data:
        fields_.data_kind = kind;
        return kind == Kind::object && !parts_.bad_event ? &fields_.data : nullptr;  // after a bad event, only parse
      default: return nullptr;
    }
  }

  bool events_begin() {
    level_ = Level::events;
    parts_.has_events_list = true;
    parts_.events.clear();  // a repeated "events" replaces the earlier one, as in a DOM
    parts_.bad_event.reset();
    next_index_ = 0;
    return true;
  }

  bool event_begins() {
    level_ = Level::event;
    fields_ = EventFields{};
    return true;
  }

  void event_ends() {
    const std::size_t index = next_index_++;
    level_ = kind_ == HistoryText::document ? Level::events : Level::done;
    if (parts_.bad_event) return;  // the first bad event is the one reported
    if (auto problem = shape_problem(fields_)) {
      parts_.bad_event = invalid(place_.event(index) + *problem);
      return;
    }
    parts_.events.push_back(Event{EventSeq{fields_.seq}, *fields_.type, fields_.time_ms,
                                  fields_.data_kind == Kind::object ? std::move(fields_.data) : json::object()});
  }

  void bad_element(Kind kind) {
    const std::size_t index = next_index_++;
    if (parts_.bad_event) return;
    parts_.bad_event =
        invalid(place_.event(index) + ": expected an event object {seq, type, time_ms, data}, got " + kind_name(kind));
  }

  const HistoryText kind_;
  const HistoryTextPlace place_;
  HistoryParts& parts_;
  Level level_ = Level::root;
  Member member_ = Member::other;
  std::string header_key_;
  std::string partial_;
  std::size_t next_index_ = 0;  // of the next element of "events"
  EventFields fields_;
  JsonCapture capture_;
  std::string failure_;  // why the handler stopped the parser
};

// "line 3, column 7" of a document, "column 7" of a line (columns count bytes, from 1).
std::string position(std::string_view text, std::size_t offset, bool one_line) {
  offset = std::min(offset, text.size());
  const std::string_view before = text.substr(0, offset);
  const std::size_t line_start = before.rfind('\n') == std::string_view::npos ? 0 : before.rfind('\n') + 1;
  const std::string column = "column " + std::to_string(offset - line_start + 1);
  if (one_line) return column;
  return "line " + std::to_string(std::count(before.begin(), before.end(), '\n') + 1) + ", " + column;
}

}  // namespace

std::string HistoryTextPlace::text() const {
  return line == 0 ? std::string(name) : std::string(name) + ":" + std::to_string(line);
}

std::string HistoryTextPlace::event(std::size_t index) const {
  return line == 0 ? std::string(name) + ": events[" + std::to_string(index) + "]" : text();
}

Result<void> parse_history_text(std::string_view text, HistoryText kind, HistoryTextPlace place, HistoryParts& parts) {
  constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";  // nlohmann::json::parse skips it too
  const std::size_t first = text.starts_with(kByteOrderMark) ? kByteOrderMark.size() : 0;
  boost::json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  boost::json::basic_parser<HistoryHandler> parser(options, kind, place, parts);
  error_code ec;
  const std::size_t used = parser.write_some(false, text.data() + first, text.size() - first, ec);
  if (!ec && first + used == text.size()) return ok_result();
  const std::string why = ec ? parser.handler().failure(ec) : "unexpected text after the JSON value";
  return invalid(place.text() + ": not valid JSON: " + why + " at " + position(text, first + used, place.line != 0));
}

}  // namespace agentrt
