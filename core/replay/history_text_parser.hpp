#pragma once
// Reads the JSON text of a history file (docs/replay.md "History files") straight into
// Events, with Boost.JSON's SAX parser: no DOM of the whole document is built and then taken
// apart, and only the header and each event's "data" become nlohmann::json. Boost.JSON's lexer
// is several times faster than nlohmann's, and replay's speed target (>= 200,000 events/s on
// one core, docs/versioning.md "Speed") needs it: see core/replay/bench.
//
// It accepts the JSON that nlohmann::json::parse accepts, with the same values (a repeated key
// keeps its last value, a leading UTF-8 BOM is skipped, doubles are rounded correctly) except
// that nesting deeper than kMaxJsonDepth is refused. It checks each event's shape; the checks
// of the whole history (format, seqs) are history_document.cpp's.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/model/error.hpp"
#include "core/model/event.hpp"

namespace agentrt {

// Far deeper than any history; shallow enough that the recursive parser stays within a stack.
inline constexpr std::size_t kMaxJsonDepth = 10'000;

enum class HistoryText {
  document,     // a .json file: {"format", "session", "definition", "events": [...], ...}
  header_line,  // the first line of a .jsonl file: {"format", "session", "definition"}
  event_line,   // any other line of a .jsonl file: one event
};

// Where a text comes from, for messages: "h.json", "h.json: events[4]", "h.jsonl:7".
struct HistoryTextPlace {
  std::string_view name;
  std::size_t line = 0;  // of a .jsonl file, from 1; 0 for a .json document

  [[nodiscard]] std::string text() const;
  [[nodiscard]] std::string event(std::size_t index) const;
};

// What the texts of one history held; parse_history_text adds to it.
struct HistoryParts {
  // The header: a header line's whole value; of a document, the root's "format", "session" and
  // "definition" (the root itself when it is not an object).
  nlohmann::json header;
  bool has_events_list = false;         // a document's root has an "events" array
  std::vector<Event> events;            // the events read, in order, up to the first bad one
  std::optional<Error> bad_event;       // the first event that is not {seq, type, time_ms, data}
};

// Errc::invalid "<place>: not valid JSON: <why> at ..." when `text` is not one JSON value.
// A bad event is not an error here: it is recorded in `parts` (a document's header is checked
// before its events, and a document need not list its header first).
Result<void> parse_history_text(std::string_view text, HistoryText kind, HistoryTextPlace place, HistoryParts& parts);

}  // namespace agentrt
