#pragma once
// Retry budget of the AWS client: exponential backoff with full jitter (AWS's recommended
// form: a delay drawn uniformly in [0, min(cap, base * 2^n)]), so that many workers throttled
// at once spread their retries instead of coming back together.

#include <algorithm>
#include <chrono>
#include <cmath>

namespace agentrt {

struct AwsRetryPolicy {
  int attempts = 5;                           // total tries, the first included (1 = no retry)
  std::chrono::milliseconds base_delay{50};   // cap of the first retry's delay
  std::chrono::milliseconds max_delay{5'000};  // cap of any one delay
};

// Delay before retry number `retry` (1 = the first retry), for a jitter draw in [0,1).
[[nodiscard]] inline std::chrono::milliseconds aws_retry_delay(const AwsRetryPolicy& policy, int retry, double jitter01) {
  const double ceiling = std::min(static_cast<double>(policy.max_delay.count()),
                                  static_cast<double>(policy.base_delay.count()) * std::pow(2.0, std::max(retry - 1, 0)));
  return std::chrono::milliseconds{static_cast<long long>(ceiling * std::clamp(jitter01, 0.0, 1.0))};
}

}  // namespace agentrt
