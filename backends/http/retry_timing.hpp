#pragma once
// Shared by the HTTP adapters (LLM provider, HTTP tool runner): how long to wait before the
// next try, and a cancellable wait.

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>

#include <boost/asio/awaitable.hpp>

#include "core/model/definition.hpp"
#include "core/model/error.hpp"

namespace agentrt {

// Jitter draws in [0,1). One per adapter instance (no global RNG); seeded from
// std::random_device unless a seed is given (tests).
class RetryJitter {
 public:
  RetryJitter();
  explicit RetryJitter(std::uint32_t seed) : rng_(seed) {}
  double next() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }

 private:
  std::mt19937 rng_;
};

// Delay before try `next_try` (2 = the first retry): exponential backoff with jitter, or the
// server's Retry-After when that is longer; never more than policy.max_backoff.
[[nodiscard]] std::chrono::milliseconds retry_delay(const RetryPolicy& policy, int next_try, double jitter01,
                                                    std::optional<std::chrono::milliseconds> retry_after);

// Waits on the calling coroutine's executor. Errc::cancelled when the coroutine's
// cancellation slot fires (or had fired) first.
boost::asio::awaitable<Result<void>> sleep_for(std::chrono::milliseconds delay);

}  // namespace agentrt
