#pragma once
// The lease timing of the CLI's writers (`agentrt run`, the repair commands): one process on
// a developer's machine, so a longer TTL than serve's (a paused debugger should not lose it).

#include <chrono>

#include "core/runtime/held_lease.hpp"

namespace agentrt::cli {

inline constexpr LeaseTiming kCliLease{std::chrono::milliseconds{15'000}, std::chrono::milliseconds{5'000}};

}  // namespace agentrt::cli
