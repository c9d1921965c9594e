#include "core/runtime/dependency_health.hpp"

#include <utility>

#include <spdlog/spdlog.h>

namespace agentrt {
namespace {
constexpr std::size_t kMaxWhy = 300;  // a reason is one line of /readyz, not a server's whole answer
}

DependencyHealth::DependencyHealth(std::string name) : name_(std::move(name)) {}

void DependencyHealth::answered() {
  std::lock_guard lock(mutex_);
  if (reachable_) return;
  reachable_ = true;
  why_.clear();
  spdlog::info("{} reachable again", name_);
}

void DependencyHealth::unavailable(const std::string& why) {
  std::lock_guard lock(mutex_);
  why_ = why.substr(0, kMaxWhy);
  if (!reachable_) return;
  reachable_ = false;
  ++outages_;
  spdlog::warn("{} unreachable: {}", name_, why_);
}

std::optional<std::string> DependencyHealth::problem() const {
  std::lock_guard lock(mutex_);
  if (reachable_) return std::nullopt;
  return name_ + " unreachable: " + why_;
}

std::uint64_t DependencyHealth::outages() const {
  std::lock_guard lock(mutex_);
  return outages_;
}

}  // namespace agentrt
