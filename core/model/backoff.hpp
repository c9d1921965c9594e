#pragma once
// Exponential backoff with jitter. The caller supplies the jitter draw in [0,1) so the core
// stays deterministic (no randomness inside core/).

#include <algorithm>
#include <chrono>

#include "core/model/definition.hpp"

namespace agentrt {

// Delay before try number `next_try` (2 = first retry). "Equal jitter": half fixed, half random,
// so retries of many sessions spread out but never collapse to zero.
inline milliseconds backoff_delay(const RetryPolicy& policy, int next_try, double jitter01) {
  double delay = static_cast<double>(policy.initial_backoff.count());
  for (int i = 2; i < next_try; ++i) delay *= policy.multiplier;
  delay = std::min(delay, static_cast<double>(policy.max_backoff.count()));
  const double jitter = std::clamp(jitter01, 0.0, 1.0);
  return milliseconds{static_cast<long long>(delay / 2 + delay / 2 * jitter)};
}

}  // namespace agentrt
