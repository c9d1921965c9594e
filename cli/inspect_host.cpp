#include "cli/inspect_host.hpp"

#include <signal.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <climits>
#include <fstream>
#include <sstream>

namespace agentrt::cli {

std::string local_host_name() {
  std::array<char, 256> buffer{};
  if (::gethostname(buffer.data(), buffer.size() - 1) != 0 || buffer[0] == '\0') return "localhost";
  return std::string(buffer.data());
}

bool process_alive(std::int64_t pid) {
  if (pid <= 0 || pid > INT_MAX) return false;
  // EPERM: it exists but belongs to another user (a serve running as a service account).
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM) return false;
  // A killed process whose parent has not reaped it yet still answers kill(); it runs no code.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;  // no /proc: trust kill()
  const auto close = line.rfind(')');  // the command name may contain spaces and parentheses
  return close == std::string::npos || close + 2 >= line.size() || line[close + 2] != 'Z';
}

OwnerAssessment assess_local_owner(const Lease& lease, std::int64_t now_ms) {
  return assess_owner(lease, now_ms, local_host_name(), [](std::int64_t pid) { return process_alive(pid); });
}

}  // namespace agentrt::cli
