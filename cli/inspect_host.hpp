#pragma once
// The operating-system facts `agentrt inspect` judges lease owners by: this host's name (as
// lease owners spell it, see cli_lease_owner) and whether a process id is a live process.

#include <cstdint>
#include <string>

#include "core/inspect/owner_liveness.hpp"

namespace agentrt::cli {

std::string local_host_name();

// True when `pid` names a live process on this host (kill(pid, 0); a zombie counts as gone).
bool process_alive(std::int64_t pid);

// assess_owner() with this host's name and process table.
OwnerAssessment assess_local_owner(const Lease& lease, std::int64_t now_ms);

}  // namespace agentrt::cli
