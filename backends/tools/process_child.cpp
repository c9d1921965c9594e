#include "backends/tools/process_child.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace agentrt {
namespace asio = boost::asio;

std::string ExitStatus::describe() const {
  if (lost) return "ended (its exit status was collected elsewhere)";
  if (!signaled) return "exited with status " + std::to_string(value);
  const char* name = ::strsignal(value);
  return "was killed by signal " + std::to_string(value) + (name != nullptr ? std::string(" (") + name + ")" : "");
}

ChildProcess::ChildProcess(asio::any_io_executor ex, pid_t pid, UniqueFd pidfd)
    : pid_(pid), pidfd_(std::move(ex), pidfd.release()) {}

ChildProcess::~ChildProcess() {
  if (reaped()) return;
  // Last resort (the owner was cancelled or destroyed mid-wait): SIGKILL cannot be caught, so
  // this wait is short, and it is the only way not to leave a zombie or an orphan behind.
  signal_group(SIGKILL);
  int raw = 0;
  while (::waitpid(pid_, &raw, 0) < 0 && errno == EINTR) {
  }
}

asio::awaitable<bool> ChildProcess::wait_exited() {
  if (reaped()) co_return true;
  auto [ec] = co_await pidfd_.async_wait(asio::posix::descriptor_base::wait_read, asio::as_tuple(asio::use_awaitable));
  co_return !ec;
}

std::optional<ExitStatus> ChildProcess::try_reap() {
  if (reaped()) return status_;
  int raw = 0;
  pid_t r = 0;
  do {
    r = ::waitpid(pid_, &raw, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return std::nullopt;
  if (r < 0) {
    // ECHILD: someone else reaped it (e.g. SIGCHLD set to SIG_IGN). It is gone; the code is lost.
    status_ = ExitStatus{false, 0, true};
    return status_;
  }
  if (WIFSIGNALED(raw)) {
    status_ = ExitStatus{true, WTERMSIG(raw)};
  } else {
    status_ = ExitStatus{false, WEXITSTATUS(raw)};
  }
  return status_;
}

void ChildProcess::signal_group(int sig) noexcept {
  if (reaped()) return;
  ::kill(-pid_, sig);  // ESRCH (group already empty) is fine
}

}  // namespace agentrt
