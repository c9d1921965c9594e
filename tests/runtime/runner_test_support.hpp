#pragma once
// The fixture of the SessionRunner tests: a memory store holding session "s-1", the fakes of
// runner_fakes.hpp, an agent definition built in code, and helpers to run the runner to
// completion and to read or hand-write a history.

#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

// GCC 12 reports a false -Wnull-dereference inside Asio's io_context executor comparison
// once co_spawn is inlined; the header is Boost's, so silence it for these includes only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#pragma GCC diagnostic pop
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "backends/memory/memory_session_store.hpp"
#include "core/definition/builtin_tools.hpp"
#include "core/ports/conformance/session_store_fixture.hpp"
#include "core/runtime/session_runner.hpp"
#include "tests/runtime/runner_fakes.hpp"

namespace agentrt::testing {

using json = nlohmann::json;

// Runs one awaitable to completion on a fresh io_context (rethrows what it threw): the
// conformance suites' helper, under the name these tests use.
template <class T>
T run_sync(boost::asio::awaitable<T> op) {
  return conformance::run_awaitable(std::move(op));
}

inline ToolDefinition http_tool(const std::string& name) {
  ToolDefinition t;
  t.name = name;
  t.description = "test tool " + name;
  t.kind = ToolKind::http;
  t.parameters = json::parse(R"({"type":"object","properties":{"q":{"type":"string"}},"required":["q"]})");
  t.http.url = "http://127.0.0.1:1/" + name;
  return t;
}

inline ToolDefinition builtin_tool(const std::string& name, ToolKind kind) {
  ToolDefinition t;
  t.name = name;
  t.description = std::string(builtin_description(kind));
  t.kind = kind;
  t.parameters = builtin_parameters(kind);
  return t;
}

// Tools: lookup and slow (http), ask_human, sleep.
inline AgentDefinition test_definition() {
  AgentDefinition d;
  d.name = "runner-test";
  d.system = "You are a test agent.";
  d.model.provider = "scripted";
  d.model.name = "fake";
  d.tools = {http_tool("lookup"), http_tool("slow"), builtin_tool("ask_human", ToolKind::ask_human),
             builtin_tool("sleep", ToolKind::sleep)};
  d.policies.max_steps_per_turn = 30;
  d.content_hash = "hash-runner-test";
  return d;
}

inline LlmToolCall tool_call(std::string id, std::string name, std::string arguments) {
  return LlmToolCall{std::move(id), std::move(name), std::move(arguments)};
}

inline std::vector<std::string> type_names(const std::vector<Event>& events) {
  std::vector<std::string> names;
  for (const auto& e : events) names.emplace_back(event_type_name(e.type));
  return names;
}

// Builds a history by hand, numbered from 1, stamped with recent wall times (the turn
// timeout counts from the MessageReceived time, so the times must be close to now).
class HistoryBuilder {
 public:
  explicit HistoryBuilder(std::int64_t start_ms) : time_ms_(start_ms) {}
  HistoryBuilder& add(EventType type, json data) {
    events_.push_back(Event{EventSeq{static_cast<std::int64_t>(events_.size()) + 1}, type, time_ms_++, std::move(data)});
    return *this;
  }
  [[nodiscard]] std::vector<Event> events() const { return events_; }

 private:
  std::int64_t time_ms_;
  std::vector<Event> events_;
};

class SessionRunnerTest : public ::testing::Test {
 protected:
  const SessionId kSession{"s-1"};

  // Creates s-1 with `first_events` (by default SessionStarted alone) and claims it.
  void start(std::vector<Event> first_events = {}) {
    if (first_events.empty()) first_events.push_back(started_event(clock_.wall_ms()));
    epoch_ = create_and_claim(*store_, std::move(first_events));
  }

  LeaseEpoch create_and_claim(SessionStore& store, std::vector<Event> first_events) {
    SessionRecord record;
    record.id = kSession;
    record.org = OrgId{"org-1"};
    record.bot = BotId{"bot-1"};
    record.definition_hash = definition_.content_hash;
    record.created_ms = first_events.front().time_ms;
    record.updated_ms = record.created_ms;
    auto created = run_sync(store.create_session(record, json{{"name", definition_.name}}, std::move(first_events)));
    EXPECT_TRUE(created.ok()) << created.error().to_string();
    auto epoch = run_sync(store.claim(kSession));
    EXPECT_TRUE(epoch.ok()) << epoch.error().to_string();
    return epoch.ok() ? *epoch : LeaseEpoch{};
  }

  static Event started_event(std::int64_t time_ms) {
    return Event{EventSeq{1}, EventType::SessionStarted, time_ms,
                 json{{"org", "org-1"}, {"bot", "bot-1"}, {"definition_hash", "hash-runner-test"},
                      {"definition_name", "runner-test"}, {"definition_version", 1}}};
  }

  // A history that starts like every real one: SessionStarted, then the user's message.
  HistoryBuilder history_builder(const std::string& text = "hello") {
    HistoryBuilder h(clock_.wall_ms());
    h.add(EventType::SessionStarted, started_event(0).data);
    h.add(EventType::MessageReceived, {{"message_id", "m-1"}, {"text", text}});
    return h;
  }

  void send(const std::string& text, const std::string& message_id = "m-1") {
    auto queued = run_sync(store_->enqueue(kSession, InboxMessage{MessageId{message_id}, text, clock_.wall_ms()}));
    ASSERT_TRUE(queued.ok()) << queued.error().to_string();
    ASSERT_TRUE(*queued) << "duplicate message id " << message_id;
  }

  RuntimePorts ports(SessionStore& store) { return RuntimePorts{&store, &llm_, &tools_, &command_tools_, &clock_}; }

  Result<RunOutcome> run_on(SessionStore& store, LeaseEpoch epoch, RunOptions options = {}) {
    SessionRunner runner(ports(store), kSession, definition_, epoch, std::move(options), nullptr);
    return run_sync(runner.run());
  }
  Result<RunOutcome> run(RunOptions options = {}) { return run_on(*store_, epoch_, std::move(options)); }

  std::vector<Event> history(SessionStore& store) {
    auto events = run_sync(store.read_events(kSession, EventSeq{0}, 10'000));
    EXPECT_TRUE(events.ok()) << events.error().to_string();
    return events.ok() ? *events : std::vector<Event>{};
  }
  std::vector<Event> history() { return history(*store_); }
  std::vector<std::string> types() { return type_names(history()); }

  SessionRecord record() {
    auto r = run_sync(store_->get_session(kSession));
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    return r.ok() ? *r : SessionRecord{};
  }

  // The first event of `type` in the history; fails the test if there is none.
  Event first_of(EventType type) {
    for (auto& e : history()) {
      if (e.type == type) return e;
    }
    ADD_FAILURE() << "no " << event_type_name(type) << " in the history";
    return Event{};
  }

  AgentDefinition definition_ = test_definition();
  WallClock clock_;
  FakeLlm llm_;
  FakeToolRunner tools_;
  FakeToolRunner command_tools_;  // no command tool in the definition: must stay unused
  std::unique_ptr<MemorySessionStore> store_ = make_memory_session_store();
  LeaseEpoch epoch_;
};

}  // namespace agentrt::testing
