#include "backends/tools/command_tool_runner.hpp"

#include <algorithm>
#include <exception>
#include <mutex>
#include <random>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "backends/tools/command_tool_attempt.hpp"
#include "core/model/backoff.hpp"

namespace agentrt {
namespace asio = boost::asio;
using asio::awaitable;

namespace {

std::string arguments_json(const nlohmann::json& arguments) {
  if (arguments.is_null()) return "{}";
  return arguments.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

class CommandToolRunner final : public ToolRunner {
 public:
  CommandToolRunner(asio::any_io_executor ex, CommandToolRunnerOptions options)
      : ex_(std::move(ex)),
        options_(options),
        rng_(options.jitter_seed ? *options.jitter_seed : std::random_device{}()) {}

  awaitable<Result<ToolResult>> run(ToolInvocation invocation) override {
    if (invocation.tool == nullptr) co_return Error{Errc::invalid, "command tool runner: invocation without a tool"};
    if (invocation.tool->kind != ToolKind::command) {
      co_return Error{Errc::invalid, "command tool runner: tool " + invocation.tool->name + " is not a command tool"};
    }
    // Cancellation is handled as a value below (the child must be killed and reaped first), so
    // waits must not throw; the caller's setting is restored before returning.
    const bool throw_before = co_await asio::this_coro::throw_if_cancelled();
    co_await asio::this_coro::throw_if_cancelled(false);
    std::exception_ptr failure;
    std::optional<Result<ToolResult>> result;
    try {
      result.emplace(co_await run_tries(invocation));
    } catch (...) {
      failure = std::current_exception();
    }
    co_await asio::this_coro::throw_if_cancelled(throw_before);
    if (failure) std::rethrow_exception(failure);
    co_return std::move(*result);
  }

 private:
  AttemptSpec attempt_spec(const ToolInvocation& invocation) const {
    const ToolDefinition& tool = *invocation.tool;
    AttemptSpec spec;
    spec.spawn.argv = tool.command.argv;
    spec.spawn.working_dir = tool.command.working_dir;
    spec.spawn.env_set = {{"AGENTRT_IDEMPOTENCY_KEY", invocation.idempotency_key},
                          {"AGENTRT_TOOL_NAME", tool.name}};
    // The environment carrier of OpenTelemetry's proposal for process-to-process context.
    if (!invocation.traceparent.empty()) spec.spawn.env_set.emplace_back("TRACEPARENT", invocation.traceparent);
    spec.stdin_text = arguments_json(invocation.arguments);
    spec.timeout = tool.timeout;
    spec.kill_grace = options_.kill_grace;
    spec.stdout_bytes_max = options_.stdout_bytes_max;
    spec.stderr_tail_bytes = options_.stderr_tail_bytes;
    return spec;
  }

  awaitable<Result<ToolResult>> run_tries(const ToolInvocation& invocation) {
    const ToolDefinition& tool = *invocation.tool;
    if (tool.command.argv.empty() || tool.command.argv.front().empty()) {
      co_return ToolResult{false, "command tool " + tool.name + ": argv is empty", 0};
    }
    const AttemptSpec spec = attempt_spec(invocation);
    const int tries = std::max(1, tool.retry.attempts);
    for (int attempt = 1;; ++attempt) {
      AttemptOutcome outcome = co_await run_command_attempt(ex_, spec);
      switch (outcome.kind) {
        case AttemptOutcome::Kind::succeeded:
          co_return ToolResult{true, std::move(outcome.text), attempt};
        case AttemptOutcome::Kind::failed:
          co_return ToolResult{false, std::move(outcome.text), attempt};
        case AttemptOutcome::Kind::cancelled:
          co_return Error{Errc::cancelled, "tool " + tool.name + ": " + outcome.text};
        case AttemptOutcome::Kind::transient:
          break;
      }
      if (attempt >= tries) co_return ToolResult{false, std::move(outcome.text), attempt};
      const auto delay = backoff_delay(tool.retry, attempt + 1, draw_jitter());
      // The outcome text (stderr) is not logged: a tool may print what it should not.
      spdlog::debug("tool {}: try {} of {} failed transiently; retrying in {} ms", tool.name, attempt, tries,
                    delay.count());
      asio::steady_timer timer{ex_, delay};
      auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return Error{Errc::cancelled, "tool " + tool.name + ": cancelled during retry backoff"};
    }
  }

  double draw_jitter() {
    const std::lock_guard lock{rng_mutex_};  // one runner may serve several event-loop threads
    return std::uniform_real_distribution<double>{0.0, 1.0}(rng_);
  }

  asio::any_io_executor ex_;
  CommandToolRunnerOptions options_;
  std::mutex rng_mutex_;
  std::mt19937 rng_;
};

}  // namespace

std::unique_ptr<ToolRunner> make_command_tool_runner(asio::any_io_executor ex) {
  return make_command_tool_runner(std::move(ex), CommandToolRunnerOptions{});
}

std::unique_ptr<ToolRunner> make_command_tool_runner(asio::any_io_executor ex, CommandToolRunnerOptions options) {
  return std::make_unique<CommandToolRunner>(std::move(ex), options);
}

}  // namespace agentrt
