#pragma once
// Server-Sent Events framing of output events (WHATWG HTML, "Server-sent events").
//
//   id: 12                       durable events only: a reconnecting EventSource sends it back
//   event: tool_started          OutputEvent::kind
//   data: {"seq":12,...}         to_json(event), one line (JSON escapes every newline)
//
// A token delta has no `id:` line, so Last-Event-ID stays at the durable event before it.

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/stream/output_event.hpp"

namespace agentrt::serve {

// Appends the frame of `event` to `out`.
void append_sse_frame(std::string& out, const OutputEvent& event);

// An `event: error` frame that ends a stream: {"code","message","resume_from"}.
void append_sse_error(std::string& out, std::string_view code, std::string_view message, std::int64_t resume_from);

// The seq a client resumes after: Last-Event-ID when present (a reconnecting EventSource),
// else the from_seq query parameter, else 0 (the whole stream). nullopt when malformed.
std::optional<std::int64_t> parse_resume_seq(std::string_view text);

}  // namespace agentrt::serve
