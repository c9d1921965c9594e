#pragma once
// Starting a child process for a tool: argv looked up in PATH, its own process group (so a
// timeout or a cancellation can signal everything it started), stdin/stdout/stderr connected
// to fresh descriptors, and a pidfd that becomes readable when the child exits.

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "backends/tools/process_fd.hpp"
#include "core/model/error.hpp"

namespace agentrt {

struct SpawnSpec {
  std::vector<std::string> argv;                             // argv[0] is looked up in PATH
  std::string working_dir;                                   // empty: inherit ours
  std::vector<std::pair<std::string, std::string>> env_set;  // added to (or replacing in) our environment
};

struct SpawnedProcess {
  pid_t pid = -1;       // also the process group id
  UniqueFd pidfd;       // readable once the child has exited
  UniqueFd stdin_fd;    // our end of the child's stdin: a Unix stream socket, so a write to a
                        // child that exited fails with EPIPE instead of raising SIGPIPE here
  UniqueFd stdout_fd;   // read end of the child's stdout pipe
  UniqueFd stderr_fd;   // read end of the child's stderr pipe
};

// Errors: not_found (no such executable), invalid (permission denied, bad working directory,
// not executable), retryable (out of processes, descriptors or memory), fatal (anything else).
// Descriptors are close-on-exec, so concurrent spawns never leak them into each other.
Result<SpawnedProcess> spawn_process(const SpawnSpec& spec);

}  // namespace agentrt
