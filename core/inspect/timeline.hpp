#pragma once
// A readable timeline of a history: one entry per event with a one-line summary (tool names,
// arguments and results truncated, token counts), the time since the matching request for
// results (LLM reply, tool result, timer, human answer), and the event's data redacted and
// with long strings cut. Incremental, so `--follow` adds events as they arrive.

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/model/event.hpp"

namespace agentrt {

struct TimelineEntry {
  std::int64_t seq = 0;
  EventType type = EventType::SessionStarted;
  std::int64_t time_ms = 0;
  std::string summary;                      // one line, redacted
  std::optional<std::int64_t> request_seq;  // a result: the seq of its request
  std::optional<std::int64_t> duration_ms;  // a result: time since its request
  nlohmann::json data;                      // redacted; strings longer than kDataStringBytesMax cut
};

class TimelineBuilder {
 public:
  TimelineEntry add(const Event& event);

 private:
  struct Request {
    std::int64_t seq = 0;
    std::int64_t time_ms = 0;
    std::string name;  // tool name for tool calls and input requests
  };
  std::string summarize(const Event& e, const nlohmann::json& data, TimelineEntry& entry);
  void link(TimelineEntry& entry, const Request& request);

  std::optional<Request> llm_request_;
  std::map<std::string, Request> tool_requests_;   // by call_id
  std::map<std::string, Request> timers_;          // by call_id
  std::optional<Request> input_request_;           // the open InputRequested
};

nlohmann::json to_json(const TimelineEntry& entry);

// The trace id of a session from its SessionStarted data: `trace_id`, or the trace-id field
// of a W3C `traceparent` ("00-<32 hex>-<16 hex>-<2 hex>"). Empty when there is none.
std::string trace_id_of(const nlohmann::json& session_started_data);

}  // namespace agentrt
