#pragma once
// ToolRunner for ToolKind::command: runs the tool's argv as a child process per try.
//
// - The arguments are written to the child's stdin as JSON, then stdin is closed. The
//   environment is ours plus AGENTRT_IDEMPOTENCY_KEY (the same on every try) and
//   AGENTRT_TOOL_NAME. The child runs in its own process group, in tool.command.working_dir.
// - Exit 0: ToolResult{ok, stdout} (stdout bounded by stdout_bytes_max, cut with a marker).
// - Exit 75 (EX_TEMPFAIL) or a timeout (tool.timeout per try: SIGTERM to the group, SIGKILL
//   after kill_grace): retried per tool.retry with backoff and jitter.
// - Any other exit code or a killing signal: ToolResult{ok=false, "command <argv0> exited with
//   status N: <stderr tail>"} at once. A missing executable: "command <argv0>: not found".
// - When the child exits, what is left of its process group is killed; cancelling run() kills
//   the group too and returns Errc::cancelled. No child outlives its call.
// Never blocks the event loop: pipes and the child's pidfd are Asio descriptors.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

#include <boost/asio/any_io_executor.hpp>

#include "core/ports/tool_runner.hpp"

namespace agentrt {

struct CommandToolRunnerOptions {
  std::chrono::milliseconds kill_grace{2'000};     // SIGTERM -> SIGKILL after a timeout
  std::size_t stdout_bytes_max = kToolOutputBytesMax;
  std::size_t stderr_tail_bytes = 4096;           // stderr kept for the failure message
  std::optional<std::uint32_t> jitter_seed;       // empty: seeded from std::random_device
};

std::unique_ptr<ToolRunner> make_command_tool_runner(boost::asio::any_io_executor ex);
std::unique_ptr<ToolRunner> make_command_tool_runner(boost::asio::any_io_executor ex,
                                                     CommandToolRunnerOptions options);

}  // namespace agentrt
