#include "core/inspect/session_why.hpp"

#include <algorithm>

#include "core/definition/effective_definition.hpp"
#include "core/inspect/excerpt.hpp"
#include "core/inspect/history_fold.hpp"
#include "core/inspect/redaction.hpp"
#include "core/inspect/time_format.hpp"
#include "core/model/backoff.hpp"

namespace agentrt {
namespace {

using Stage = PendingCall::Stage;

// The newest event of `type` for `call_id`, scanning back from the end (open calls are recent).
const Event* newest_for_call(const std::vector<Event>& events, EventType type, std::string_view call_id) {
  for (auto it = events.rbegin(); it != events.rend(); ++it) {
    if (it->type == type && it->data.is_object() && it->data.value("call_id", std::string{}) == call_id) return &*it;
  }
  return nullptr;
}

std::optional<LastError> find_last_error(const std::vector<Event>& events) {
  for (auto it = events.rbegin(); it != events.rend(); ++it) {
    std::string key;
    if (it->type == EventType::LlmFailed || it->type == EventType::ToolFailed) key = "error";
    if (it->type == EventType::SessionFailed) key = "reason";
    if (key.empty()) continue;
    const auto text = it->data.is_object() ? it->data.value(key, std::string{}) : std::string{};
    return LastError{it->seq.value, it->time_ms, std::string(event_type_name(it->type)),
                     one_line(redact_text(text), 300)};
  }
  return std::nullopt;
}

std::string tools_clause(const std::vector<ToolInFlight>& tools, std::int64_t now_ms) {
  std::string text = std::to_string(tools.size()) + (tools.size() == 1 ? " tool call" : " tool calls") + " in flight: ";
  for (std::size_t i = 0; i < tools.size(); ++i) {
    const auto& t = tools[i];
    if (i > 0) text += ", ";
    text += t.name + " (" + t.call_id + ", seq " + std::to_string(t.seq) + ") for " + format_duration(now_ms - t.since_ms);
    if (t.timeout_ms > 0) {
      text += " [timeout " + format_duration(t.timeout_ms) + " x " + std::to_string(t.attempts) + "]";
    }
  }
  return text;
}

std::string running_summary(const SessionWhy& why, std::int64_t now_ms) {
  std::string text = "running";
  if (why.llm) {
    text += ": waiting for the model (turn " + std::to_string(why.llm->turn) + ", step " + std::to_string(why.llm->step) +
            ", seq " + std::to_string(why.llm->seq) + ") for " + format_duration(now_ms - why.llm->since_ms);
  }
  if (!why.tools.empty()) text += (why.llm ? "; " : ": ") + tools_clause(why.tools, now_ms);
  if (!why.timers.empty()) {
    text += (why.llm || !why.tools.empty() ? "; " : ": ") + std::to_string(why.timers.size()) + " timer(s) pending";
  }
  if (!why.llm && why.tools.empty() && why.timers.empty()) text += ": deciding the next step (nothing in flight)";
  return text;
}

std::string waiting_summary(const InputWait& w, std::int64_t now_ms) {
  const std::string what = w.kind == "approval" ? "approval of " + w.tool : "an answer to " + w.tool;
  return "waiting for input since " + format_utc(w.since_ms) + " (" + format_relative(w.since_ms, now_ms) + "): " + what +
         " (" + w.call_id + "): " + quoted_excerpt(w.prompt, 200);
}

std::string sleeping_summary(const std::vector<TimerWait>& timers, std::int64_t now_ms) {
  if (timers.empty()) return "sleeping (no timer found in the history)";
  std::int64_t due = timers.front().due_ms;
  for (const auto& t : timers) due = std::min(due, t.due_ms);
  const std::string when = due <= now_ms ? "overdue by " + format_duration(now_ms - due) : format_relative(due, now_ms);
  return "asleep until " + format_utc(due) + " (" + when + ")";
}

std::string summary_for(SessionStatus status, std::int64_t since_ms, const SessionWhy& why, std::size_t pending,
                        std::int64_t now_ms) {
  const std::string since = " since " + format_utc(since_ms) + " (" + format_relative(since_ms, now_ms) + ")";
  std::string text;
  switch (status) {
    case SessionStatus::idle:
      text = "idle" + since + ": waiting for the next message";
      break;
    case SessionStatus::running:
      text = running_summary(why, now_ms);
      break;
    case SessionStatus::waiting_for_input:
      text = why.waiting ? waiting_summary(*why.waiting, now_ms) : "waiting for input" + since;
      break;
    case SessionStatus::sleeping:
      text = sleeping_summary(why.timers, now_ms);
      break;
    case SessionStatus::completed:
      text = "completed" + since;
      break;
    case SessionStatus::failed:
      text = "failed" + since + ": " + (why.failure_reason.empty() ? "(no reason recorded)" : why.failure_reason);
      break;
    case SessionStatus::cancelled: {
      const auto& c = why.cancellation;
      text = "cancelled" + since;
      if (c.is_object()) {
        text += " (" + c.value("mode", std::string{"cancel"}) + " by " + c.value("by", std::string{"unknown"}) +
                "): " + one_line(redact_text(c.value("reason", std::string{})), 200);
      }
      break;
    }
  }
  if (pending > 0 && !is_terminal(status)) {
    text += "; " + std::to_string(pending) + (pending == 1 ? " message" : " messages") + " pending in the inbox";
  }
  return text;
}

}  // namespace

ToolInFlight tool_in_flight(const PendingCall& call, std::int64_t since_ms, const SessionState& state,
                            const AgentDefinition* definition) {
  ToolInFlight t{call.call_id, call.name, call.request_seq, since_ms, 0, 1, 0};
  if (definition == nullptr) return t;
  // The tool as this session runs it: a patch of its history may change timeout and retries.
  const auto effective = EffectiveDefinition(*definition, state.patches).find_tool(call.name);
  if (!effective) return t;
  const ToolDefinition tool = effective->to_definition();
  t.timeout_ms = tool.timeout.count();
  t.attempts = std::max(tool.retry.attempts, 1);
  t.budget_ms = tool_call_budget_ms(tool);
  return t;
}

std::int64_t tool_call_budget_ms(const ToolDefinition& tool) {
  const int attempts = std::max(tool.retry.attempts, 1);
  std::int64_t budget = tool.timeout.count() * attempts;
  for (int next_try = 2; next_try <= attempts; ++next_try) budget += backoff_delay(tool.retry, next_try, 1.0).count();
  return budget;
}

SessionWhy explain_session(SessionStatus status, std::int64_t status_since_ms, const SessionState& state,
                           const std::vector<Event>& events, const AgentDefinition* definition,
                           std::size_t pending_messages, std::int64_t now_ms) {
  SessionWhy why;
  if (!is_terminal(status)) {
    if (state.llm_in_flight) {
      LlmInFlight llm{state.llm_request_seq, 0, 0, 0};
      if (const auto* e = find_event(events, state.llm_request_seq)) {
        llm.since_ms = e->time_ms;
        llm.turn = e->data.value("turn", std::int64_t{0});
        llm.step = e->data.value("step", std::int64_t{0});
      }
      why.llm = llm;
    }
    for (const auto& call : state.calls) {
      if (call.stage == Stage::running) {
        const auto* requested = find_event(events, call.request_seq);
        why.tools.push_back(tool_in_flight(call, requested != nullptr ? requested->time_ms : 0, state, definition));
      }
      if (call.stage == Stage::sleeping) {
        const auto* started = newest_for_call(events, EventType::TimerStarted, call.call_id);
        why.timers.push_back(TimerWait{call.call_id, started != nullptr ? started->seq.value : 0, call.due_ms});
      }
      if (call.stage == Stage::asked) {
        const auto* asked = newest_for_call(events, EventType::InputRequested, call.call_id);
        why.waiting = InputWait{call.call_id,
                                call.name,
                                call.input_kind,
                                redact_text(call.prompt),
                                asked != nullptr ? asked->seq.value : 0,
                                asked != nullptr ? asked->time_ms : status_since_ms};
      }
    }
  }
  why.last_error = find_last_error(events);
  if (status == SessionStatus::failed) {
    why.failure_reason = one_line(redact_text(state.failure_reason), 500);
    if (why.failure_reason.empty() && why.last_error) why.failure_reason = why.last_error->message;
  }
  if (status == SessionStatus::cancelled) {
    for (auto it = events.rbegin(); it != events.rend(); ++it) {
      if (it->type == EventType::SessionCancelled) {
        why.cancellation = redact_json(it->data);
        break;
      }
    }
  }
  why.summary = summary_for(status, status_since_ms, why, pending_messages, now_ms);
  return why;
}

}  // namespace agentrt
