#include "core/decider/session_state.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace agentrt {
namespace {

using json = nlohmann::json;

constexpr std::array<std::pair<PendingCall::Stage, std::string_view>, 7> kStageNames{{
    {PendingCall::Stage::ready, "ready"},
    {PendingCall::Stage::needs_approval, "needs_approval"},
    {PendingCall::Stage::needs_answer, "needs_answer"},
    {PendingCall::Stage::asked, "asked"},
    {PendingCall::Stage::running, "running"},
    {PendingCall::Stage::sleeping, "sleeping"},
    {PendingCall::Stage::done, "done"},
}};

PendingCall::Stage parse_stage(const std::string& name) {
  for (const auto& [stage, n] : kStageNames) {
    if (n == name) return stage;
  }
  throw json::other_error::create(501, "unknown call stage '" + name + "'", nullptr);
}

json call_to_json(const PendingCall& c) {
  return json{{"call_id", c.call_id}, {"name", c.name},         {"arguments", c.arguments},
              {"stage", stage_name(c.stage)}, {"request_seq", c.request_seq}, {"due_ms", c.due_ms},
              {"ok", c.ok},           {"output", c.output},           {"input_kind", c.input_kind},
              {"prompt", c.prompt}};
}

PendingCall call_from_json(const json& j) {
  PendingCall c;
  c.call_id = j.at("call_id").get<std::string>();
  c.name = j.at("name").get<std::string>();
  c.arguments = j.value("arguments", json::object());
  c.stage = parse_stage(j.at("stage").get<std::string>());
  c.request_seq = j.value("request_seq", std::int64_t{0});
  c.due_ms = j.value("due_ms", std::int64_t{0});
  c.ok = j.value("ok", false);
  c.output = j.value("output", std::string{});
  c.input_kind = j.value("input_kind", std::string{});
  c.prompt = j.value("prompt", std::string{});
  return c;
}

}  // namespace

std::string_view stage_name(PendingCall::Stage s) noexcept {
  for (const auto& [stage, name] : kStageNames) {
    if (stage == s) return name;
  }
  return "unknown";
}

PendingCall* SessionState::find_call(std::string_view call_id) {
  for (auto& c : calls) {
    if (c.call_id == call_id) return &c;
  }
  return nullptr;
}

const PendingCall* SessionState::awaiting_human() const {
  for (const auto& c : calls) {
    if (c.stage == PendingCall::Stage::asked) return &c;
  }
  return nullptr;
}

bool SessionState::has_patch(std::string_view id) const {
  return std::binary_search(patches.begin(), patches.end(), id);
}

json to_json(const SessionState& s) {
  json calls = json::array();
  for (const auto& c : s.calls) calls.push_back(call_to_json(c));
  json queued = json::array();
  for (const auto& q : s.queued) queued.push_back({{"message_id", q.message_id}, {"text", q.text}});
  json outbox = json::array();
  for (const auto& c : s.outbox) outbox.push_back({{"type", event_type_name(c.type)}, {"data", c.data}});
  return json{{"status", session_status_name(s.status)},
              {"last_seq", s.last_seq},
              {"messages", s.messages},
              {"turn", s.turn},
              {"steps_in_turn", s.steps_in_turn},
              {"invalid_replies_in_turn", s.invalid_replies_in_turn},
              {"tokens_in_turn", s.tokens_in_turn},
              {"turn_started_ms", s.turn_started_ms},
              {"paused_ms", s.paused_ms},
              {"paused_since_ms", s.paused_since_ms},
              {"llm_in_flight", s.llm_in_flight},
              {"llm_request_seq", s.llm_request_seq},
              {"calls", std::move(calls)},
              {"queued", std::move(queued)},
              {"outbox", std::move(outbox)},
              {"patches", s.patches},
              {"tokens_in_total", s.tokens_in_total},
              {"tokens_out_total", s.tokens_out_total},
              {"failure_reason", s.failure_reason},
              {"traceparent", s.traceparent},
              {"tracestate", s.tracestate}};
}

SessionState session_state_from_json(const json& j) {
  SessionState s;
  const auto status_name = j.at("status").get<std::string>();
  const auto status = parse_session_status(status_name);
  if (!status) throw json::other_error::create(501, "unknown session status '" + status_name + "'", &j);
  s.status = *status;
  s.last_seq = j.at("last_seq").get<std::int64_t>();
  s.messages = j.value("messages", json::array());
  s.turn = j.value("turn", std::int64_t{0});
  s.steps_in_turn = j.value("steps_in_turn", 0);
  s.invalid_replies_in_turn = j.value("invalid_replies_in_turn", 0);
  s.tokens_in_turn = j.value("tokens_in_turn", 0LL);
  s.turn_started_ms = j.value("turn_started_ms", std::int64_t{0});
  s.paused_ms = j.value("paused_ms", std::int64_t{0});
  s.paused_since_ms = j.value("paused_since_ms", std::int64_t{0});
  s.llm_in_flight = j.value("llm_in_flight", false);
  s.llm_request_seq = j.value("llm_request_seq", std::int64_t{0});
  for (const auto& c : j.value("calls", json::array())) s.calls.push_back(call_from_json(c));
  for (const auto& q : j.value("queued", json::array())) {
    s.queued.push_back({q.at("message_id").get<std::string>(), q.at("text").get<std::string>()});
  }
  for (const auto& c : j.value("outbox", json::array())) {
    const auto type_name = c.at("type").get<std::string>();
    const auto type = parse_event_type(type_name);
    if (!type) throw json::other_error::create(501, "unknown command type '" + type_name + "'", &j);
    s.outbox.push_back({*type, c.value("data", json::object())});
  }
  s.patches = j.value("patches", std::vector<std::string>{});
  s.tokens_in_total = j.value("tokens_in_total", 0LL);
  s.tokens_out_total = j.value("tokens_out_total", 0LL);
  s.failure_reason = j.value("failure_reason", std::string{});
  s.traceparent = j.value("traceparent", std::string{});
  s.tracestate = j.value("tracestate", std::string{});
  return s;
}

}  // namespace agentrt
