#include "core/inspect/timeline.hpp"

#include "core/inspect/excerpt.hpp"
#include "core/inspect/redaction.hpp"
#include "core/inspect/time_format.hpp"

namespace agentrt {
namespace {

using json = nlohmann::json;

std::string str(const json& data, const char* key) {
  if (!data.is_object()) return {};
  const auto it = data.find(key);
  if (it == data.end()) return {};
  return it->is_string() ? it->get<std::string>() : safe_dump(*it);
}

std::int64_t num(const json& data, const char* key) {
  if (!data.is_object()) return 0;
  const auto it = data.find(key);
  return it != data.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

// A string field that may hold JSON text (tool output, raw tool-call arguments).
std::string json_text_excerpt(const json& data, const char* key, std::size_t bytes_max) {
  if (!data.is_object() || !data.contains(key)) return "";
  const auto& value = data.at(key);
  if (!value.is_string()) return json_excerpt(value, bytes_max);
  return one_line(value.get<std::string>(), bytes_max);
}

std::string attempts_clause(const json& data) {
  const auto attempts = num(data, "attempts");
  if (attempts <= 0) return "";
  return ", " + std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts");
}

std::string llm_completed_summary(const json& data) {
  std::string text = std::to_string(num(data, "tokens_in")) + " in + " + std::to_string(num(data, "tokens_out")) +
                     " out tokens";
  const auto finish = str(data, "finish_reason");
  if (!finish.empty() && finish != "stop" && finish != "tool_calls") text += ", finish " + finish;
  const auto calls = data.is_object() ? data.value("tool_calls", json::array()) : json::array();
  if (calls.is_array() && !calls.empty()) {
    text += ", " + std::to_string(calls.size()) + (calls.size() == 1 ? " tool call: " : " tool calls: ");
    for (std::size_t i = 0; i < calls.size(); ++i) {
      if (i > 0) text += ", ";
      text += str(calls[i], "name") + "(" + json_text_excerpt(calls[i], "arguments", 80) + ")";
    }
  }
  const auto content = str(data, "content");
  if (!content.empty()) text += ": " + quoted_excerpt(content, 120);
  return text;
}

// The tool-call arguments of an LlmCompleted are JSON text: redact them as JSON.
json redact_event_data(const Event& e) {
  json data = redact_json(e.data);
  if (e.type == EventType::LlmCompleted && data.is_object() && data.contains("tool_calls") &&
      data["tool_calls"].is_array()) {
    for (auto& call : data["tool_calls"]) {
      if (call.is_object() && call.contains("arguments") && call["arguments"].is_string()) {
        call["arguments"] = redact_json_text(call["arguments"].get<std::string>());
      }
    }
  }
  if (e.type == EventType::ToolCompleted && data.is_object() && data.contains("output") && data["output"].is_string()) {
    data["output"] = redact_json_text(data["output"].get<std::string>());
  }
  return data;
}

}  // namespace

void TimelineBuilder::link(TimelineEntry& entry, const Request& request) {
  entry.request_seq = request.seq;
  entry.duration_ms = entry.time_ms - request.time_ms;
}

std::string TimelineBuilder::summarize(const Event& e, const json& d, TimelineEntry& entry) {
  const auto call_id = str(d, "call_id");
  switch (e.type) {
    case EventType::SessionStarted: {
      std::string text = str(d, "definition_name") + " v" + std::to_string(num(d, "definition_version")) +
                         " (definition " + str(d, "definition_hash").substr(0, 12) + "), org " + str(d, "org") +
                         ", bot " + str(d, "bot");
      if (const auto trace = trace_id_of(d); !trace.empty()) text += ", trace " + trace;
      return text;
    }
    case EventType::MessageReceived: {
      std::string text = str(d, "message_id") + ": " + quoted_excerpt(str(d, "text"));
      if (input_request_) {
        link(entry, *input_request_);
        text = "answer to " + input_request_->name + ", " + text;
        input_request_.reset();
      }
      return text;
    }
    case EventType::LlmRequested:
      llm_request_ = Request{e.seq.value, e.time_ms, ""};
      return "turn " + std::to_string(num(d, "turn")) + ", step " + std::to_string(num(d, "step"));
    case EventType::LlmCompleted:
    case EventType::LlmFailed: {
      if (llm_request_) {
        link(entry, *llm_request_);
        llm_request_.reset();
      }
      if (e.type == EventType::LlmFailed) return "error: " + one_line(str(d, "error"), 300);
      return llm_completed_summary(d);
    }
    case EventType::ToolRequested:
      tool_requests_[call_id] = Request{e.seq.value, e.time_ms, str(d, "name")};
      return str(d, "name") + " " + call_id + " " + json_excerpt(d.is_object() ? d.value("arguments", json::object()) : json{});
    case EventType::ToolCompleted:
    case EventType::ToolFailed: {
      std::string text = call_id;
      if (const auto it = tool_requests_.find(call_id); it != tool_requests_.end()) {
        link(entry, it->second);
        text = it->second.name + " " + call_id;
        tool_requests_.erase(it);
      }
      text += attempts_clause(d);
      if (e.type == EventType::ToolFailed) return text + ": error: " + one_line(str(d, "error"), 200);
      return text + ": " + json_text_excerpt(d, "output", 200);
    }
    case EventType::InputRequested:
      input_request_ = Request{e.seq.value, e.time_ms, str(d, "tool")};
      return str(d, "kind") + " for " + str(d, "tool") + " (" + call_id + "): " + quoted_excerpt(str(d, "prompt"));
    case EventType::TimerStarted: {
      const auto duration = num(d, "duration_ms");
      timers_[call_id] = Request{e.seq.value, e.time_ms, ""};
      return call_id + " for " + format_duration(duration) + ", due " + format_utc(e.time_ms + duration);
    }
    case EventType::TimerFired:
      if (const auto it = timers_.find(call_id); it != timers_.end()) {
        link(entry, it->second);
        timers_.erase(it);
        return call_id;
      }
      return call_id;
    case EventType::OutputEmitted:
      return quoted_excerpt(str(d, "text"));
    case EventType::TurnCompleted:
      return "turn " + std::to_string(num(d, "turn"));
    case EventType::SessionCompleted:
      return "";
    case EventType::SessionFailed:
      return one_line(str(d, "reason"), 300);
    case EventType::SessionCancelled:
      return str(d, "mode") + " by " + str(d, "by") + ": " + quoted_excerpt(str(d, "reason"));
    case EventType::Marker:
      return "patch " + str(d, "patch");
    case EventType::SessionReset:
      return "to seq " + std::to_string(num(d, "to_seq")) + " (archived branch " + str(d, "archived_branch") + ") by " +
             str(d, "by") + ": " + quoted_excerpt(str(d, "reason"));
    case EventType::SessionRetried:
      return "by " + str(d, "by") + ": " + quoted_excerpt(str(d, "reason"));
  }
  return json_excerpt(d);
}

TimelineEntry TimelineBuilder::add(const Event& event) {
  TimelineEntry entry;
  entry.seq = event.seq.value;
  entry.type = event.type;
  entry.time_ms = event.time_ms;
  const json data = redact_event_data(event);
  entry.summary = summarize(event, data, entry);
  entry.data = truncate_strings(data);
  return entry;
}

json to_json(const TimelineEntry& entry) {
  json j{{"seq", entry.seq},
         {"type", event_type_name(entry.type)},
         {"time_ms", entry.time_ms},
         {"time", format_utc(entry.time_ms)},
         {"summary", entry.summary}};
  if (entry.request_seq) j["request_seq"] = *entry.request_seq;
  if (entry.duration_ms) j["duration_ms"] = *entry.duration_ms;
  j["data"] = entry.data;
  return j;
}

std::string trace_id_of(const json& data) {
  if (!data.is_object()) return "";
  if (const auto id = str(data, "trace_id"); !id.empty()) return id;
  const auto parent = str(data, "traceparent");
  // version "-" trace-id (32 hex) "-" parent-id (16 hex) "-" flags
  if (parent.size() >= 55 && parent[2] == '-' && parent[35] == '-') {
    const auto id = parent.substr(3, 32);
    if (id.find_first_not_of("0123456789abcdef") == std::string::npos && id != std::string(32, '0')) return id;
  }
  return "";
}

}  // namespace agentrt
