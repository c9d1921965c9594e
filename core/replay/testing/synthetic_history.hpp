#pragma once
// Synthetic histories for the replay tests and the replay benchmark: the decider driven the
// way the executor drives it (an input, then every command it caused, recorded as events),
// with made-up LLM replies and tool results. Header-only test support, not in the library.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/decider/decider.hpp"
#include "core/definition/definition_loader.hpp"
#include "core/replay/history_document.hpp"

namespace agentrt::testing {

// lookup (http), write (http, needs approval), ask (ask_human), nap (sleep). `extra` is
// appended to the YAML (e.g. a patches: list); `lookup_extra` to the lookup tool's mapping.
inline std::string synthetic_definition_yaml(const std::string& extra = "", const std::string& lookup_extra = "") {
  return "name: synthetic\n"
         "version: 1\n"
         "model: {provider: openai, name: m}\n"
         "system: You are a synthetic agent.\n"
         "tools:\n"
         "  - name: lookup\n"
         "    parameters: {type: object, properties: {q: {type: string}}, required: [q]}\n"
         "    http: {url: \"http://127.0.0.1:9/lookup\"}\n" +
         lookup_extra +
         "  - name: write\n"
         "    http: {url: \"http://127.0.0.1:9/write\"}\n"
         "    requires_approval: true\n"
         "  - name: ask\n"
         "    builtin: ask_human\n"
         "  - name: nap\n"
         "    builtin: sleep\n"
         "policies: {max_steps_per_turn: 50}\n" +
         extra;
}

inline AgentDefinition synthetic_definition(const std::string& extra = "", const std::string& lookup_extra = "") {
  auto def = parse_definition(synthetic_definition_yaml(extra, lookup_extra), "synthetic.yaml", "/tmp");
  if (!def) throw std::runtime_error("synthetic definition: " + def.error().message);
  return std::move(def.value());
}

// Plays the executor over the decider and keeps every event it would append.
class HistoryRecorder {
 public:
  explicit HistoryRecorder(const AgentDefinition& definition) : def_(definition) {
    input(EventType::SessionStarted, {{"definition_hash", def_.content_hash}});
  }

  void input(EventType type, nlohmann::json data) {
    record(type, std::move(data));
    while (!state_.outbox.empty()) {
      const Command next = state_.outbox.front();
      record(next.type, next.data);
    }
  }

  void message(const std::string& text) {
    input(EventType::MessageReceived, {{"message_id", "m" + std::to_string(seq_ + 1)}, {"text", text}});
  }

  void reply(const std::string& content, nlohmann::json tool_calls = nlohmann::json::array()) {
    input(EventType::LlmCompleted, {{"content", content},
                                    {"tool_calls", std::move(tool_calls)},
                                    {"tokens_in", 100},
                                    {"tokens_out", 20},
                                    {"finish_reason", "stop"}});
  }

  void tool_done(const std::string& call_id, const std::string& output) {
    input(EventType::ToolCompleted, {{"call_id", call_id}, {"output", output}, {"attempts", 1}});
  }

  // One turn of 11 to 19 events: parallel lookups, and every 3rd turn an approved write, every
  // 5th a sleep.
  void turn(int n) {
    const std::string t = std::to_string(n);
    message("question " + t);
    reply("", nlohmann::json::array({call("a" + t, "lookup", R"({"q":"x)" + t + R"("})"),
                                     call("b" + t, "lookup", R"({"q":"y)" + t + R"("})")}));
    tool_done("a" + t, "result a " + t);
    tool_done("b" + t, "result b " + t);
    if (n % 3 == 0) {
      reply("", nlohmann::json::array({call("w" + t, "write", R"({"text":"note )" + t + R"("})")}));
      message("yes");
      tool_done("w" + t, "written");
    }
    if (n % 5 == 0) {
      reply("", nlohmann::json::array({call("s" + t, "nap", R"({"seconds":1})")}));
      input(EventType::TimerFired, {{"call_id", "s" + t}});
    }
    reply("answer " + t);
  }

  [[nodiscard]] const std::vector<Event>& events() const { return events_; }
  [[nodiscard]] const SessionState& state() const { return state_; }

  [[nodiscard]] History history(const std::string& name) const {
    History h;
    h.name = name;
    h.session = {{"id", name}, {"definition_hash", def_.content_hash}, {"status", session_status_name(state_.status)}};
    h.definition = def_.canonical;
    h.events = events_;
    return h;
  }

  static nlohmann::json call(const std::string& id, const std::string& name, const std::string& arguments) {
    return {{"id", id}, {"name", name}, {"arguments", arguments}};
  }

 private:
  void record(EventType type, nlohmann::json data) {
    now_ms_ += 5;
    Event e{EventSeq{++seq_}, type, now_ms_, std::move(data)};
    (void)decide(state_, e, def_);
    events_.push_back(std::move(e));
  }

  const AgentDefinition& def_;
  SessionState state_;
  std::int64_t seq_ = 0;
  std::int64_t now_ms_ = 1'700'000'000'000;
  std::vector<Event> events_;
};

// A session of `turns` turns (about 13 events per turn).
inline History synthetic_history(const AgentDefinition& definition, int turns, const std::string& name) {
  HistoryRecorder r(definition);
  for (int n = 1; n <= turns; ++n) r.turn(n);
  return r.history(name);
}

}  // namespace agentrt::testing
