#pragma once
// Test helpers: a definition with http and built-in tools, and a recorder that plays the
// executor over the real decider, so the tests inspect histories the runtime would write.

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/decider/decider.hpp"

namespace agentrt::inspect_testing {

using json = nlohmann::json;

inline ToolDefinition http_tool(const std::string& name) {
  ToolDefinition t;
  t.name = name;
  t.description = "test tool " + name;
  t.kind = ToolKind::http;
  t.parameters = json::parse(R"({"type":"object"})");
  t.http.url = "http://127.0.0.1:1/" + name;
  t.timeout = milliseconds{5'000};
  t.retry = RetryPolicy{3, milliseconds{200}, milliseconds{1'000}, 2.0};
  return t;
}

inline AgentDefinition test_definition() {
  AgentDefinition d;
  d.name = "helpdesk";
  d.version = 3;
  d.content_hash = "0123456789abcdef0123456789abcdef";
  d.system = "You are a test agent.";
  d.tools.push_back(http_tool("lookup"));
  d.tools.push_back(http_tool("write"));
  d.tools.back().requires_approval = true;
  ToolDefinition ask;
  ask.name = "ask_human";
  ask.kind = ToolKind::ask_human;
  ask.parameters = json::parse(R"({"type":"object","properties":{"question":{"type":"string"}},"required":["question"]})");
  d.tools.push_back(ask);
  ToolDefinition sleep;
  sleep.name = "sleep";
  sleep.kind = ToolKind::sleep;
  sleep.parameters = json::parse(R"({"type":"object","properties":{"seconds":{"type":"number"}},"required":["seconds"]})");
  d.tools.push_back(sleep);
  return d;
}

inline json tool_call(const std::string& id, const std::string& name, const std::string& arguments) {
  return {{"id", id}, {"name", name}, {"arguments", arguments}};
}

// Plays the executor: each input event is followed by the events of the commands it causes.
class HistoryRecorder {
 public:
  explicit HistoryRecorder(AgentDefinition d = test_definition()) : def(std::move(d)) {}

  void start(json extra = json::object()) {
    json data{{"org", "acme"},
              {"bot", "helpdesk"},
              {"definition_hash", def.content_hash},
              {"definition_name", def.name},
              {"definition_version", def.version}};
    data.update(extra);
    apply(EventType::SessionStarted, data);
  }

  void input(EventType type, json data, std::int64_t advance_ms = 100) {
    now_ms += advance_ms;
    apply(type, std::move(data));
    while (!state.outbox.empty()) {
      const Command c = state.outbox.front();
      apply(c.type, c.data);
    }
  }

  void message(const std::string& text, std::int64_t advance_ms = 100) {
    input(EventType::MessageReceived, {{"message_id", "m-" + std::to_string(events.size())}, {"text", text}},
          advance_ms);
  }

  void llm(const std::string& content, json calls = json::array(), std::int64_t advance_ms = 1'200) {
    input(EventType::LlmCompleted,
          {{"content", content}, {"tool_calls", calls}, {"tokens_in", 120}, {"tokens_out", 30},
           {"finish_reason", calls.empty() ? "stop" : "tool_calls"}},
          advance_ms);
  }

  AgentDefinition def;
  SessionState state;
  std::vector<Event> events;
  std::int64_t now_ms = 1'763'900'000'000;  // 2025-11-23T12:13:20Z

 private:
  void apply(EventType type, json data) {
    Event e{EventSeq{static_cast<std::int64_t>(events.size()) + 1}, type, now_ms, std::move(data)};
    events.push_back(e);
    auto decision = decide(state, e, def);
    ASSERT_FALSE(decision.divergence) << *decision.divergence;
  }
};

}  // namespace agentrt::inspect_testing
