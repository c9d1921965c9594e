#pragma once
// The output stream of a session: what a client watching it sees (docs/streaming.md).
//
// Every output event derives from one history event and carries that event's seq, so the
// stream is numbered by the history itself: a client that saw seq N resumes with the events
// after N, read from the store, and nothing is lost or reordered across workers or crashes
// (DESIGN.md, durability rule 5). History events a client has no use for (LlmRequested,
// Marker, ...) have no output event: the stream's seqs have gaps, never reorderings.
//
// Token deltas are the exception: they are not durable (the model's text is recorded whole in
// LlmCompleted and OutputEmitted), so they carry the seq of the last durable event before them
// and `durable = false`. A client that resumes after a disconnect gets the durable events only;
// the final text replaces whatever deltas it saw.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/model/event.hpp"

namespace agentrt {

struct OutputEvent {
  std::int64_t seq = 0;  // the history seq it derives from (tokens: the last durable one)
  std::string kind;      // message, token, tool_started, tool_finished, waiting, output,
                         // turn_completed, status, reset
  nlohmann::json data = nlohmann::json::object();
  bool durable = true;   // false for token deltas
  // Set by a live publisher (OutputPublisher); -1 when unknown. The seq of the output event
  // before this one in the session's stream: no history event between the two has an output
  // event. A subscriber that has looked at every event up to follows_seq can send this one
  // without reading the store; otherwise it missed one and reads the store first. For a token,
  // the last output event before it.
  std::int64_t follows_seq = -1;
};

// The output event of a history event, or nullopt for an event clients do not see.
[[nodiscard]] std::optional<OutputEvent> output_event_of(const Event& event);

// A streamed token delta, after the durable event `after_seq`.
[[nodiscard]] OutputEvent token_event(std::int64_t after_seq, std::string_view text);

// {"seq":N,"kind":"...", ...data}: the JSON a client receives (SSE data, Socket.IO payload).
[[nodiscard]] nlohmann::json to_json(const OutputEvent& event);

// The event's size as a subscriber buffer counts it (kind and data, roughly the wire size).
[[nodiscard]] std::size_t approximate_bytes(const OutputEvent& event);

}  // namespace agentrt
