#pragma once
// A recorded session history as `agentrt export` writes it (docs/replay.md, "History files"):
//   {"format":"agentrt.history/1","session":{...},"definition":{canonical},"events":[...]}
// or, as JSON lines (.jsonl), that header without "events" on the first line and one event per
// line after it. Reading checks everything replay relies on: the format version, every event's
// shape and type, and seqs 1, 2, 3, ... without gaps. Errors are Errc::invalid and name the
// file (or session) and the event.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/model/error.hpp"
#include "core/model/event.hpp"

namespace agentrt {

inline constexpr std::string_view kHistoryFormat = "agentrt.history/1";
inline constexpr int kHistoryFormatVersion = 1;

struct History {
  std::string name;                                     // file name or "session <id>", for reports
  nlohmann::json session = nlohmann::json::object();    // the session record (id, definition_hash, status, ...)
  nlohmann::json definition;                            // canonical JSON of the definition it ran on
  std::vector<Event> events;
};

enum class HistoryEncoding { json_document, json_lines };

// Parses `text`; `name` prefixes every error message.
Result<History> parse_history(std::string_view text, std::string name, HistoryEncoding encoding);

// Reads a .json or .jsonl file (the extension picks the encoding).
Result<History> read_history_file(const std::filesystem::path& path);

// Checks a list of events already parsed (from a file or a store): seqs 1..N without gaps.
Result<void> check_event_sequence(const std::vector<Event>& events, const std::string& name);

}  // namespace agentrt
