#pragma once
// A fresh name per test (tables, queues), so tests against the shared local servers never see
// each other's resources.

#include <atomic>
#include <chrono>
#include <string>

namespace agentrt::testing {

inline std::string unique_name(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + "-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1'000'000'000) +
         "-" + std::to_string(counter++);
}

}  // namespace agentrt::testing
