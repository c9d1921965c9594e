#pragma once
// A gRPC call's deadline (system clock, "infinite" as its max) as a steady-clock time point
// for an io_context timer; nullopt when the call has none.

#include <chrono>
#include <optional>

namespace agentrt::serve::grpc_api {

[[nodiscard]] inline std::optional<std::chrono::steady_clock::time_point> steady_deadline(
    std::chrono::system_clock::time_point deadline) {
  constexpr auto kNoDeadline = std::chrono::hours(24 * 365);  // gRPC's "infinite" is far beyond this
  const auto now = std::chrono::system_clock::now();
  if (deadline >= now + kNoDeadline) return std::nullopt;
  const auto remaining = std::chrono::duration_cast<std::chrono::steady_clock::duration>(deadline - now);
  return std::chrono::steady_clock::now() + remaining;
}

}  // namespace agentrt::serve::grpc_api
