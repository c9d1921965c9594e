#pragma once
// Clock: the only source of time for core/. Wall time stamps events; monotonic time drives
// deadlines. Tests substitute a manual clock.

#include <chrono>
#include <cstdint>

namespace agentrt {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::int64_t wall_ms() const = 0;                          // ms since the Unix epoch
  virtual std::chrono::steady_clock::time_point monotonic() const = 0;
};

}  // namespace agentrt
