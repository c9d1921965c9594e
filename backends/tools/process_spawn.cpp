#include "backends/tools/process_spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;  // NOLINT: read-only view of our environment, copied for the child

namespace agentrt {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

Result<Pipe> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Error{Errc::retryable, "pipe: " + errno_text(errno)};
  return Pipe{UniqueFd{fds[0]}, UniqueFd{fds[1]}};
}

Result<Pipe> make_socket_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return Error{Errc::retryable, "socketpair: " + errno_text(errno)};
  }
  return Pipe{UniqueFd{fds[0]}, UniqueFd{fds[1]}};
}

// Our environment with `env_set` applied, as "NAME=value" strings.
std::vector<std::string> child_environment(const SpawnSpec& spec) {
  std::vector<std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view kv{*entry};
    bool replaced = false;
    for (const auto& [name, value] : spec.env_set) {
      if (kv.size() > name.size() && kv.substr(0, name.size()) == name && kv[name.size()] == '=') {
        replaced = true;
        break;
      }
    }
    if (!replaced) env.emplace_back(kv);
  }
  for (const auto& [name, value] : spec.env_set) env.push_back(name + "=" + value);
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

Error spawn_error(int err, const std::string& program) {
  switch (err) {
    case ENOENT:
      return Error{Errc::not_found, "command " + program + ": not found"};
    case EACCES:
    case ENOEXEC:
    case ENOTDIR:
    case EISDIR:
    case ELOOP:
    case ENAMETOOLONG:
      return Error{Errc::invalid, "command " + program + ": " + errno_text(err)};
    case EAGAIN:
    case EMFILE:
    case ENFILE:
    case ENOMEM:
      return Error{Errc::retryable, "command " + program + ": cannot start: " + errno_text(err)};
    default:
      return Error{Errc::fatal, "command " + program + ": cannot start: " + errno_text(err)};
  }
}

// RAII for the posix_spawn attribute objects.
struct SpawnAttributes {
  posix_spawnattr_t attr{};
  posix_spawn_file_actions_t actions{};
  SpawnAttributes() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  ~SpawnAttributes() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
};

// New process group; default signal dispositions and an empty mask, so a SIGPIPE or SIGTERM
// we ignore is not ignored by the tool.
void configure_attributes(posix_spawnattr_t& attr) {
  sigset_t all;
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
}

// Reaps a child we could not take a pidfd for; it was just started, so kill it first.
void discard_child(pid_t pid) {
  ::kill(-pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

Result<SpawnedProcess> spawn_process(const SpawnSpec& spec) {
  if (spec.argv.empty() || spec.argv.front().empty()) return Error{Errc::invalid, "command: empty argv"};
  const std::string& program = spec.argv.front();
  if (!spec.working_dir.empty()) {
    struct stat st{};
    if (::stat(spec.working_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return Error{Errc::invalid, "command " + program + ": working directory " + spec.working_dir +
                                      " is not a directory"};
    }
  }
  auto in = make_socket_pair();
  if (!in) return in.error();
  auto out = make_pipe();
  if (!out) return out.error();
  auto err = make_pipe();
  if (!err) return err.error();

  SpawnAttributes sa;
  configure_attributes(sa.attr);
  posix_spawn_file_actions_adddup2(&sa.actions, in->read.get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&sa.actions, out->write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&sa.actions, err->write.get(), STDERR_FILENO);
  if (!spec.working_dir.empty()) posix_spawn_file_actions_addchdir_np(&sa.actions, spec.working_dir.c_str());

  std::vector<std::string> argv_strings = spec.argv;
  std::vector<std::string> env_strings = child_environment(spec);
  std::vector<char*> argv = c_strings(argv_strings);
  std::vector<char*> envp = c_strings(env_strings);

  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, program.c_str(), &sa.actions, &sa.attr, argv.data(), envp.data());
  if (rc != 0) return spawn_error(rc, program);

  const long pidfd = ::syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) {
    const int e = errno;
    discard_child(pid);
    return Error{Errc::fatal, "command " + program + ": pidfd_open: " + errno_text(e)};
  }
  SpawnedProcess p;
  p.pid = pid;
  p.pidfd = UniqueFd{static_cast<int>(pidfd)};
  p.stdin_fd = std::move(in->write);
  p.stdout_fd = std::move(out->read);
  p.stderr_fd = std::move(err->read);
  return p;  // the child's ends close here, so EOF arrives when the child (and its group) is gone
}

}  // namespace agentrt
