#pragma once
// Is a session's lease owner alive? CLI processes own a session as "<role>:<host>:<pid>"
// ("run:build-7:4242"): on the same host the process table is the truth (a killed run is gone
// at once, long before its lease expires); for any other owner (another host, a serve worker)
// only the lease expiry can tell. The process probe is passed in, so this stays pure.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/ports/lease_store.hpp"

namespace agentrt {

struct ProcessOwner {
  std::string role;  // "run", "session", ...
  std::string host;
  std::int64_t pid = 0;
};

// "<role>:<host>:<pid>" (role [a-z0-9-]+; the host may itself contain ':'); nullopt for any
// other owner ("worker-3").
std::optional<ProcessOwner> parse_process_owner(std::string_view owner);

enum class OwnerState {
  none,     // nobody holds the lease
  alive,    // the owner process runs on this host, or the lease has not expired
  gone,     // the owner process does not exist on this host
  expired,  // the lease expired and the owner cannot be probed
};

std::string_view owner_state_name(OwnerState s) noexcept;

struct OwnerAssessment {
  OwnerState state = OwnerState::none;
  std::string reason;  // one clause: "process 4242 runs on this host", "lease expired 12s ago", ...
  [[nodiscard]] bool alive() const { return state == OwnerState::alive; }
};

// `pid_exists` is called only for process owners on `this_host`.
OwnerAssessment assess_owner(const Lease& lease, std::int64_t now_ms, std::string_view this_host,
                             const std::function<bool(std::int64_t pid)>& pid_exists);

}  // namespace agentrt
