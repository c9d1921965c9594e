#pragma once
// One try of a command tool: start the child, feed it the arguments, collect its output, and
// wait for it to exit within the try's deadline. Retrying is the runner's job.

#include <chrono>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "backends/tools/process_spawn.hpp"

namespace agentrt {

struct AttemptSpec {
  SpawnSpec spawn;
  std::string stdin_text;                       // written to the child's stdin, which is then closed
  std::chrono::milliseconds timeout{30'000};    // deadline of this try, from start to exit
  std::chrono::milliseconds kill_grace{2'000};  // SIGTERM -> SIGKILL delay after the deadline
  std::size_t stdout_bytes_max = 0;
  std::size_t stderr_tail_bytes = 4096;
};

struct AttemptOutcome {
  enum class Kind {
    succeeded,  // exit 0: text is stdout
    failed,     // not worth retrying (exit code, signal, missing executable): text says why
    transient,  // exit 75, timeout, or no resources to start: text says why
    cancelled,  // the caller cancelled us; the child is killed and reaped
  };
  Kind kind = Kind::failed;
  std::string text;
};

// Never throws for an outcome of the child. Runs with throw_if_cancelled(false) semantics: the
// caller checks cancellation itself (see CommandToolRunner::run).
boost::asio::awaitable<AttemptOutcome> run_command_attempt(boost::asio::any_io_executor ex, const AttemptSpec& spec);

}  // namespace agentrt
