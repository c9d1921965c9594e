#include "core/decider/decider.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "core/definition/effective_definition.hpp"
#include "core/definition/json_schema.hpp"

namespace agentrt {
namespace {

using json = nlohmann::json;
using Stage = PendingCall::Stage;

bool is_pause_status(SessionStatus s) {
  return s == SessionStatus::waiting_for_input || s == SessionStatus::sleeping;
}

std::string truncate_for_prompt(std::string text, std::size_t max_bytes) {
  if (text.size() > max_bytes) {
    text.resize(max_bytes);
    text += "...";
  }
  return text;
}

// One decide() call: the state, the event and the commands it produces.
class Step {
 public:
  Step(SessionState& state, const Event& event, const AgentDefinition& definition)
      : s_(state), e_(event), def_(definition, state.patches) {}

  Decision run() {
    s_.last_seq = e_.seq.value;
    if (is_decision_event(e_.type)) {
      apply_decision_event();
    } else {
      apply_input_event();
    }
    return std::move(out_);
  }

 private:
  // ---- recording of our own decisions -------------------------------------------------------

  void apply_decision_event() {
    if (!pop_outbox()) return;
    switch (e_.type) {
      case EventType::LlmRequested:
        s_.llm_in_flight = true;
        s_.llm_request_seq = e_.seq.value;
        ++s_.steps_in_turn;
        set_status(SessionStatus::running);
        break;
      case EventType::ToolRequested:
        if (auto* call = s_.find_call(e_.data.at("call_id").get<std::string>())) {
          call->stage = Stage::running;
          call->request_seq = e_.seq.value;
          ++s_.steps_in_turn;
        }
        update_acting_status();
        break;
      case EventType::TimerStarted:
        if (auto* call = s_.find_call(e_.data.at("call_id").get<std::string>())) {
          call->stage = Stage::sleeping;
          call->due_ms = e_.time_ms + e_.data.at("duration_ms").get<std::int64_t>();
          ++s_.steps_in_turn;
        }
        update_acting_status();
        break;
      case EventType::InputRequested:
        if (auto* call = s_.find_call(e_.data.at("call_id").get<std::string>())) {
          call->stage = Stage::asked;
          call->input_kind = e_.data.value("kind", std::string{});
          call->prompt = e_.data.value("prompt", std::string{});
        }
        set_status(SessionStatus::waiting_for_input);
        break;
      case EventType::TurnCompleted:
        s_.calls.clear();
        set_status(SessionStatus::idle);
        start_queued_turn();
        break;
      case EventType::SessionFailed:
        s_.failure_reason = e_.data.value("reason", std::string{});
        finish(SessionStatus::failed);
        break;
      case EventType::SessionCompleted:
        finish(SessionStatus::completed);
        break;
      default:  // OutputEmitted: nothing more to track
        break;
    }
  }

  // The recorded decision must be the one we asked for; otherwise the history diverges.
  bool pop_outbox() {
    // Compared in place: replay passes here for every decision event; a copy of each payload shows.
    if (!s_.outbox.empty() && s_.outbox.front().type == e_.type && s_.outbox.front().data == e_.data) {
      s_.outbox.pop_front();
      return true;
    }
    std::string expected = "nothing";
    if (!s_.outbox.empty()) {
      expected = std::string(event_type_name(s_.outbox.front().type)) + " " + s_.outbox.front().data.dump();
    }
    out_.divergence = "event " + std::to_string(e_.seq.value) + ": history recorded " +
                      std::string(event_type_name(e_.type)) + " " + e_.data.dump() + ", the decider expected " +
                      expected;
    return false;
  }

  // ---- inputs from the outside world --------------------------------------------------------

  void apply_input_event() {
    if (e_.type == EventType::SessionCancelled) {
      s_.outbox.clear();
      s_.failure_reason = e_.data.value("reason", std::string{});
      finish(SessionStatus::cancelled);
      return;
    }
    if (e_.type == EventType::SessionStarted) {
      s_.traceparent = e_.data.value("traceparent", std::string{});
      s_.tracestate = e_.data.value("tracestate", std::string{});
      return;
    }
    if (e_.type == EventType::SessionReset) return;
    if (e_.type == EventType::Marker) {
      const auto patch = e_.data.value("patch", std::string{});
      const auto at = std::lower_bound(s_.patches.begin(), s_.patches.end(), patch);
      if (at == s_.patches.end() || *at != patch) s_.patches.insert(at, patch);
      return;
    }
    if (e_.type == EventType::SessionRetried) {
      if (s_.status == SessionStatus::failed) retry_turn();
      return;
    }
    if (is_terminal(s_.status)) return;  // late results of a finished session change nothing
    switch (e_.type) {
      case EventType::MessageReceived:
        on_message();
        break;
      case EventType::LlmCompleted:
        if (s_.llm_in_flight && !over_turn_time()) on_llm_completed();
        break;
      case EventType::LlmFailed:
        s_.llm_in_flight = false;
        fail("LLM call failed: " + e_.data.value("error", std::string{"unknown error"}));
        break;
      case EventType::ToolCompleted:
      case EventType::ToolFailed:
      case EventType::TimerFired:
        on_call_finished();
        break;
      default:
        break;
    }
  }

  void on_message() {
    const auto text = e_.data.value("text", std::string{});
    const auto message_id = e_.data.value("message_id", std::string{});
    if (s_.status == SessionStatus::idle) {
      start_turn(text);
    } else if (s_.status == SessionStatus::waiting_for_input) {
      answer_open_call(text);
    } else {
      s_.queued.push_back({message_id, text});
    }
  }

  // A failed turn runs again from its transcript: fresh budgets, calls that never finished
  // are dropped (their results would have no assistant message to answer), the model decides anew.
  void retry_turn() {
    s_.failure_reason.clear();
    s_.steps_in_turn = 0;
    s_.invalid_replies_in_turn = 0;
    s_.tokens_in_turn = 0;
    s_.turn_started_ms = e_.time_ms;
    s_.paused_ms = 0;
    s_.paused_since_ms = 0;
    s_.llm_in_flight = false;
    drop_unanswered_tool_calls();
    s_.calls.clear();
    s_.outbox.clear();
    s_.status = SessionStatus::running;
    call_llm();
  }

  // The transcript must not end with an assistant message whose tool calls have no results.
  void drop_unanswered_tool_calls() {
    auto& m = s_.messages;
    if (!m.empty() && m.back().value("role", std::string{}) == "assistant" && m.back().contains("tool_calls")) {
      m.erase(m.size() - 1);
    }
  }

  void start_queued_turn() {
    if (s_.queued.empty()) return;
    auto next = std::move(s_.queued.front());
    s_.queued.pop_front();
    start_turn(next.text);
  }

  void start_turn(const std::string& text) {
    ++s_.turn;
    s_.steps_in_turn = 0;
    s_.invalid_replies_in_turn = 0;
    s_.tokens_in_turn = 0;
    s_.turn_started_ms = e_.time_ms;
    s_.paused_ms = 0;
    s_.paused_since_ms = 0;
    s_.calls.clear();
    s_.messages.push_back({{"role", "user"}, {"content", text}});
    set_status(SessionStatus::running);
    call_llm();
  }

  void answer_open_call(const std::string& text) {
    const PendingCall* open = s_.awaiting_human();
    if (open == nullptr) {  // nothing is asked after all: treat it as the next turn's message
      s_.queued.push_back({e_.data.value("message_id", std::string{}), text});
      return;
    }
    PendingCall& call = *s_.find_call(open->call_id);
    const auto tool = def_.find_tool(call.name);
    set_status(SessionStatus::running);
    if (tool && tool->base->kind == ToolKind::ask_human) {
      complete_call(call, true, text);
    } else if (is_approval(text)) {
      call.stage = Stage::ready;
      request_call(call);
    } else {
      complete_call(call, false, "the user denied this call: " + text);
    }
    advance();
  }

  void on_llm_completed() {
    s_.llm_in_flight = false;
    const long long tokens_in = e_.data.value("tokens_in", 0LL);
    const long long tokens_out = e_.data.value("tokens_out", 0LL);
    s_.tokens_in_turn += tokens_in + tokens_out;
    s_.tokens_in_total += tokens_in;
    s_.tokens_out_total += tokens_out;
    if (def_.policies().max_tokens_per_turn && s_.tokens_in_turn > *def_.policies().max_tokens_per_turn) {
      fail("budget exceeded: " + std::to_string(s_.tokens_in_turn) + " LLM tokens in turn " +
           std::to_string(s_.turn) + " (max_tokens_per_turn=" + std::to_string(*def_.policies().max_tokens_per_turn) +
           ")");
      return;
    }
    const auto content = e_.data.value("content", std::string{});
    const auto tool_calls = e_.data.value("tool_calls", json::array());
    if (tool_calls.empty()) {
      s_.invalid_replies_in_turn = 0;
      s_.messages.push_back({{"role", "assistant"}, {"content", content}});
      emit(EventType::OutputEmitted, {{"text", content}});
      emit(EventType::TurnCompleted, {{"turn", s_.turn}});
      return;
    }
    accept_tool_calls(content, tool_calls);
  }

  // ---- tool calls -----------------------------------------------------------------------------

  struct ParsedCall {
    std::string id, name, raw_arguments;
    json arguments;
    std::string error;  // empty when valid
  };

  ParsedCall parse_call(const json& tc, std::size_t index, std::vector<std::string>& seen_ids) const {
    ParsedCall pc;
    pc.id = tc.value("id", std::string{});
    if (pc.id.empty()) pc.id = "call_" + std::to_string(e_.seq.value) + "_" + std::to_string(index);
    pc.name = tc.value("name", std::string{});
    pc.raw_arguments = tc.value("arguments", std::string{});
    if (std::find(seen_ids.begin(), seen_ids.end(), pc.id) != seen_ids.end()) {
      pc.error = "duplicate tool call id '" + pc.id + "'";
      return pc;
    }
    seen_ids.push_back(pc.id);
    const auto tool = def_.find_tool(pc.name);
    if (!tool) {
      std::string known;
      for (const auto& t : def_.base().tools) known += (known.empty() ? "" : ", ") + t.name;
      pc.error = "unknown tool '" + pc.name + "' (available: " + (known.empty() ? "none" : known) + ")";
      return pc;
    }
    pc.arguments = json::parse(pc.raw_arguments.empty() ? std::string{"{}"} : pc.raw_arguments, nullptr, false);
    if (pc.arguments.is_discarded()) {
      pc.error = "arguments of " + pc.name + " are not valid JSON: " + truncate_for_prompt(pc.raw_arguments, 200);
      return pc;
    }
    if (auto violation = validate_against_schema(*tool->parameters, pc.arguments)) {
      pc.error = "arguments of " + pc.name + " do not match its parameters: " + *violation;
    }
    return pc;
  }

  void accept_tool_calls(const std::string& content, const json& tool_calls) {
    std::vector<ParsedCall> parsed;
    std::vector<std::string> seen_ids;
    for (std::size_t i = 0; i < tool_calls.size(); ++i) parsed.push_back(parse_call(tool_calls[i], i, seen_ids));

    json assistant_calls = json::array();
    for (const auto& pc : parsed) {
      assistant_calls.push_back(
          {{"id", pc.id}, {"type", "function"}, {"function", {{"name", pc.name}, {"arguments", pc.raw_arguments}}}});
    }
    json assistant{{"role", "assistant"}, {"tool_calls", assistant_calls}};
    assistant["content"] = content.empty() ? json(nullptr) : json(content);
    s_.messages.push_back(std::move(assistant));

    const auto first_bad = std::find_if(parsed.begin(), parsed.end(), [](const ParsedCall& pc) { return !pc.error.empty(); });
    if (first_bad != parsed.end()) {
      reject_reply(parsed, first_bad->error);
      return;
    }
    s_.invalid_replies_in_turn = 0;
    const int steps_max = def_.policies().max_steps_per_turn;
    if (s_.steps_in_turn + static_cast<int>(parsed.size()) > steps_max) {
      fail_steps_budget();
      return;
    }
    s_.calls.clear();
    for (auto& pc : parsed) {
      const EffectiveTool tool = *def_.find_tool(pc.name);
      PendingCall call;
      call.call_id = pc.id;
      call.name = pc.name;
      call.arguments = std::move(pc.arguments);
      if (tool.base->kind == ToolKind::ask_human) {
        call.stage = Stage::needs_answer;
      } else if (tool.requires_approval) {
        call.stage = Stage::needs_approval;
      }
      s_.calls.push_back(std::move(call));
    }
    for (auto& call : s_.calls) {
      if (call.stage == Stage::ready) request_call(call);
    }
    advance();
  }

  // Every call of a bad reply gets an error result so the transcript stays well-formed.
  void reject_reply(const std::vector<ParsedCall>& parsed, const std::string& first_error) {
    ++s_.invalid_replies_in_turn;
    for (const auto& pc : parsed) {
      const std::string result = pc.error.empty() ? "not run: another tool call in this reply was invalid; send all calls again"
                                                  : "error: " + pc.error;
      s_.messages.push_back({{"role", "tool"}, {"tool_call_id", pc.id}, {"content", result}});
    }
    if (s_.invalid_replies_in_turn > def_.policies().max_invalid_replies) {
      fail("the model sent invalid tool calls " + std::to_string(s_.invalid_replies_in_turn) +
           " times in a row (max_invalid_replies=" + std::to_string(def_.policies().max_invalid_replies) +
           "); last: " + first_error);
      return;
    }
    call_llm();
  }

  void request_call(PendingCall& call) {
    const auto tool = def_.find_tool(call.name);
    if (tool && tool->base->kind == ToolKind::sleep) {
      const double seconds = call.arguments.value("seconds", 0.0);
      emit(EventType::TimerStarted,
           {{"call_id", call.call_id}, {"duration_ms", static_cast<std::int64_t>(std::llround(seconds * 1000.0))}});
    } else {
      emit(EventType::ToolRequested, {{"call_id", call.call_id}, {"name", call.name}, {"arguments", call.arguments}});
    }
  }

  void on_call_finished() {
    PendingCall* call = s_.find_call(e_.data.value("call_id", std::string{}));
    if (call == nullptr || call->stage == Stage::done) return;  // duplicate or unknown: nothing to do
    if (e_.type == EventType::TimerFired) {
      complete_call(*call, true, "slept " + call->arguments.value("seconds", json(0)).dump() + " s");
    } else if (e_.type == EventType::ToolCompleted) {
      complete_call(*call, true, e_.data.value("output", std::string{}));
    } else {
      complete_call(*call, false, "error: " + e_.data.value("error", std::string{"tool failed"}));
    }
    if (over_turn_time()) return;
    advance();
  }

  void complete_call(PendingCall& call, bool ok, std::string output) {
    call.stage = Stage::done;
    call.ok = ok;
    call.output = std::move(output);
  }

  // Next step once a call changed: wait for running calls, then ask humans one at a time, then
  // give every result back to the model.
  void advance() {
    const auto in_stage = [&](std::initializer_list<Stage> stages) {
      return std::any_of(s_.calls.begin(), s_.calls.end(), [&](const PendingCall& c) {
        return std::find(stages.begin(), stages.end(), c.stage) != stages.end();
      });
    };
    if (in_stage({Stage::ready, Stage::running, Stage::sleeping, Stage::asked})) {
      update_acting_status();
      return;
    }
    for (auto& call : s_.calls) {
      if (call.stage == Stage::needs_answer || call.stage == Stage::needs_approval) {
        ask(call);
        return;
      }
    }
    for (const auto& call : s_.calls) {
      s_.messages.push_back({{"role", "tool"}, {"tool_call_id", call.call_id}, {"content", call.output}});
    }
    s_.calls.clear();
    set_status(SessionStatus::running);
    call_llm();
  }

  void ask(const PendingCall& call) {
    if (call.stage == Stage::needs_answer) {
      emit(EventType::InputRequested, {{"call_id", call.call_id},
                                       {"kind", "question"},
                                       {"tool", call.name},
                                       {"prompt", call.arguments.value("question", std::string{})}});
    } else {
      emit(EventType::InputRequested,
           {{"call_id", call.call_id},
            {"kind", "approval"},
            {"tool", call.name},
            {"prompt", "Allow " + call.name + " with arguments " + truncate_for_prompt(call.arguments.dump(), 500) + "?"}});
    }
  }

  void update_acting_status() {
    bool running = s_.llm_in_flight;
    bool sleeping = false;
    bool asked = false;
    for (const auto& c : s_.calls) {
      running = running || c.stage == Stage::ready || c.stage == Stage::running;
      sleeping = sleeping || c.stage == Stage::sleeping;
      asked = asked || c.stage == Stage::asked;
    }
    if (running) {
      set_status(SessionStatus::running);
    } else if (sleeping) {
      set_status(SessionStatus::sleeping);
    } else if (asked) {
      set_status(SessionStatus::waiting_for_input);
    }
  }

  // ---- budgets, status, emission ----------------------------------------------------------------

  void call_llm() {
    if (s_.steps_in_turn + 1 > def_.policies().max_steps_per_turn) {
      fail_steps_budget();
      return;
    }
    emit(EventType::LlmRequested, {{"turn", s_.turn}, {"step", s_.steps_in_turn + 1}});
  }

  void fail_steps_budget() {
    fail("budget exceeded: turn " + std::to_string(s_.turn) + " needs more than max_steps_per_turn=" +
         std::to_string(def_.policies().max_steps_per_turn) + " steps (LLM calls + tool calls)");
  }

  // Turn time excludes waiting for a human and sleeping. Reaching the limit is over, as in the
  // executor, which gives a call no time at all once the turn has none left.
  bool over_turn_time() {
    std::int64_t paused = s_.paused_ms;
    if (s_.paused_since_ms != 0) paused += e_.time_ms - s_.paused_since_ms;
    const std::int64_t active_ms = e_.time_ms - s_.turn_started_ms - paused;
    const auto limit_ms = def_.policies().turn_timeout.count();
    if (active_ms < limit_ms) return false;
    fail("turn timeout: turn " + std::to_string(s_.turn) + " ran " + std::to_string(active_ms) +
         " ms, reaching turn_timeout=" + std::to_string(limit_ms) + " ms");
    return true;
  }

  void set_status(SessionStatus next) {
    const bool was_paused = is_pause_status(s_.status);
    const bool now_paused = is_pause_status(next);
    if (was_paused && !now_paused && s_.paused_since_ms != 0) {
      s_.paused_ms += e_.time_ms - s_.paused_since_ms;
      s_.paused_since_ms = 0;
    } else if (!was_paused && now_paused) {
      s_.paused_since_ms = e_.time_ms;
    }
    s_.status = next;
  }

  void finish(SessionStatus terminal) {
    s_.status = terminal;
    s_.llm_in_flight = false;
    s_.calls.clear();
    s_.paused_since_ms = 0;
  }

  void fail(std::string reason) { emit(EventType::SessionFailed, {{"reason", std::move(reason)}}); }

  void emit(EventType type, json data) {
    Command command{type, std::move(data)};
    s_.outbox.push_back(command);
    out_.commands.push_back(std::move(command));
  }

  SessionState& s_;
  const Event& e_;
  // The definition with this session's patches applied. Made from the patches as they were
  // before this event: a Marker changes nothing else in the step that records it.
  EffectiveDefinition def_;
  Decision out_;
};

}  // namespace

Decision decide(SessionState& state, const Event& event, const AgentDefinition& definition) {
  return Step(state, event, definition).run();
}

json llm_messages(const SessionState& state, const AgentDefinition& definition) {
  json messages = json::array();
  messages.push_back({{"role", "system"}, {"content", EffectiveDefinition(definition, state.patches).system()}});
  for (const auto& m : state.messages) messages.push_back(m);
  return messages;
}

json llm_tool_specs(const AgentDefinition& definition) { return llm_tool_specs(SessionState{}, definition); }

json llm_tool_specs(const SessionState& state, const AgentDefinition& definition) {
  const EffectiveDefinition effective(definition, state.patches);
  json tools = json::array();
  for (const auto& t : definition.tools) {
    const EffectiveTool tool = *effective.find_tool(t.name);
    tools.push_back({{"type", "function"},
                     {"function", {{"name", t.name}, {"description", *tool.description}, {"parameters", *tool.parameters}}}});
  }
  return tools;
}

bool is_approval(std::string_view answer) {
  std::string a;
  for (char c : answer) {
    if (!std::isspace(static_cast<unsigned char>(c))) a.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  while (!a.empty() && (a.back() == '.' || a.back() == '!')) a.pop_back();
  return a == "y" || a == "yes" || a == "approve" || a == "approved" || a == "ok";
}

}  // namespace agentrt
