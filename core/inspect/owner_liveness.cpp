#include "core/inspect/owner_liveness.hpp"

#include <algorithm>
#include <charconv>

#include "core/inspect/time_format.hpp"

namespace agentrt {

std::optional<ProcessOwner> parse_process_owner(std::string_view owner) {
  const auto first = owner.find(':');
  if (first == std::string_view::npos || first == 0) return std::nullopt;
  const auto role = owner.substr(0, first);
  const bool role_ok = std::all_of(role.begin(), role.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
  const auto rest = owner.substr(first + 1);
  const auto colon = rest.rfind(':');
  if (!role_ok || colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size()) return std::nullopt;
  const auto pid_text = rest.substr(colon + 1);
  std::int64_t pid = 0;
  const auto [end, ec] = std::from_chars(pid_text.data(), pid_text.data() + pid_text.size(), pid);
  if (ec != std::errc{} || end != pid_text.data() + pid_text.size() || pid <= 0) return std::nullopt;
  return ProcessOwner{std::string(role), std::string(rest.substr(0, colon)), pid};
}

std::string_view owner_state_name(OwnerState s) noexcept {
  switch (s) {
    case OwnerState::none:
      return "none";
    case OwnerState::alive:
      return "alive";
    case OwnerState::gone:
      return "gone";
    case OwnerState::expired:
      return "expired";
  }
  return "unknown";
}

OwnerAssessment assess_owner(const Lease& lease, std::int64_t now_ms, std::string_view this_host,
                             const std::function<bool(std::int64_t pid)>& pid_exists) {
  if (lease.owner.empty()) return {OwnerState::none, "nobody holds the lease"};
  const bool expired = lease.expires_ms <= now_ms;
  const std::string expiry =
      expired ? "lease expired " + format_relative(lease.expires_ms, now_ms) : "lease expires " + format_relative(lease.expires_ms, now_ms);
  if (const auto run = parse_process_owner(lease.owner); run && run->host == this_host && pid_exists) {
    const auto pid = std::to_string(run->pid);
    if (pid_exists(run->pid)) return {OwnerState::alive, "process " + pid + " runs on this host; " + expiry};
    return {OwnerState::gone, "process " + pid + " no longer exists on this host; " + expiry};
  }
  if (expired) return {OwnerState::expired, expiry};
  return {OwnerState::alive, expiry};
}

}  // namespace agentrt
