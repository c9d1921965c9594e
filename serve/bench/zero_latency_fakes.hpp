#pragma once
// In-process LLM and tool adapters that answer at once (no I/O, no timer), so serve_bench
// measures the runtime alone; or, given a latency, after a timer of that length (a remote
// call's wait, which the overhead measurement leaves out), so a worker can be run below
// saturation. The LLM decides from the conversation, as the e2e fake_llm.py
// does, so a resumed or repeated request gets the same reply: a turn of `steps` steps (LLM
// calls + tool calls) asks for one `effect` call per reply, two in parallel in the reply that
// leaves exactly three steps (so an even count works out), then answers. Both record their
// request and result times in a StepTimeline. Used from the io_context thread only.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/ports/clock.hpp"
#include "core/ports/llm_provider.hpp"
#include "core/ports/tool_runner.hpp"
#include "serve/bench/step_timeline.hpp"
#include "serve/session_adapters.hpp"

namespace agentrt::serve::bench {

inline constexpr const char* kEffectTool = "effect";

// The system clock (the real one: cli/system_ports is not a library).
class SystemClock final : public Clock {
 public:
  std::int64_t wall_ms() const override;
  std::chrono::steady_clock::time_point monotonic() const override;
};

class ZeroLatencyLlm final : public LlmProvider {
 public:
  ZeroLatencyLlm(int steps, StepTimeline& timeline, std::chrono::microseconds latency = {})
      : steps_(steps), timeline_(&timeline), latency_(latency) {}
  boost::asio::awaitable<Result<LlmReply>> complete(LlmRequest request, TokenSink on_token) override;
  [[nodiscard]] std::uint64_t calls() const { return calls_; }

 private:
  [[nodiscard]] LlmReply reply_to(const nlohmann::json& messages) const;

  int steps_;
  StepTimeline* timeline_;
  std::chrono::microseconds latency_;
  std::uint64_t calls_ = 0;
};

class ZeroLatencyTools final : public ToolRunner {
 public:
  explicit ZeroLatencyTools(StepTimeline& timeline, std::chrono::microseconds latency = {})
      : timeline_(&timeline), latency_(latency) {}
  boost::asio::awaitable<Result<ToolResult>> run(ToolInvocation invocation) override;
  [[nodiscard]] std::uint64_t calls() const { return calls_; }

 private:
  StepTimeline* timeline_;
  std::chrono::microseconds latency_;
  std::uint64_t calls_ = 0;
};

// What the worker asks for per definition: the shared fakes (the bench owns them).
class BenchAdapters final : public SessionAdapters {
 public:
  BenchAdapters(LlmProvider& llm, ToolRunner& tools) : llm_(&llm), tools_(&tools) {}
  LlmProvider& llm() override { return *llm_; }
  ToolRunner& http_tools() override { return *tools_; }
  ToolRunner& command_tools() override { return *tools_; }
  [[nodiscard]] const std::string& api_key() const override { return api_key_; }

 private:
  LlmProvider* llm_;
  ToolRunner* tools_;
  std::string api_key_;
};

}  // namespace agentrt::serve::bench
