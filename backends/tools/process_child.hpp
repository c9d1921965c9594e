#pragma once
// ChildProcess: a started child and its process group, waited for without blocking the event
// loop (its pidfd becomes readable when it exits) and never left behind: destroying a child
// that was not reaped kills its group and reaps it.

#include <sys/types.h>

#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "backends/tools/process_fd.hpp"

namespace agentrt {

// How a child ended: exited with a code, or was killed by a signal.
struct ExitStatus {
  bool signaled = false;
  int value = 0;      // exit code, or signal number when signaled
  bool lost = false;  // reaped by someone else (e.g. SIGCHLD ignored): how it ended is unknown

  [[nodiscard]] bool success() const { return !lost && !signaled && value == 0; }
  // "exited with status 3" / "was killed by signal 9 (Killed)"
  [[nodiscard]] std::string describe() const;
};

class ChildProcess {
 public:
  ChildProcess(boost::asio::any_io_executor ex, pid_t pid, UniqueFd pidfd);
  ChildProcess(ChildProcess&&) = delete;  // Asio descriptor is bound to this object's lifetime
  ChildProcess& operator=(ChildProcess&&) = delete;
  ~ChildProcess();

  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] bool reaped() const { return status_.has_value(); }
  [[nodiscard]] const std::optional<ExitStatus>& status() const { return status_; }

  // Completes when the child has exited (true), or when the wait was cancelled (false).
  // Does not reap, so the process group id stays ours until reap().
  boost::asio::awaitable<bool> wait_exited();

  // Reaps the child if it has exited (non-blocking). Returns the status once known.
  std::optional<ExitStatus> try_reap();

  // Sends `sig` to the whole process group; a no-op once the child is reaped, because its
  // group id may then belong to someone else.
  void signal_group(int sig) noexcept;

 private:
  pid_t pid_;
  boost::asio::posix::stream_descriptor pidfd_;
  std::optional<ExitStatus> status_;
};

}  // namespace agentrt
