#pragma once
// DependencyHealth: whether a backend a worker depends on (the store, the inbox queue) answers,
// judged from the outcomes of the calls the worker makes anyway (no probe of its own), for
// serve's /readyz.
//
// - answered(): the service gave an answer (a success or a definite refusal such as a failed
//   condition): reachable.
// - unavailable(why): no answer (connection refused or reset, timeout, 5xx), or a call that gave
//   up because the service kept throttling it: unreachable until the next answer.
// Throttled attempts that are then retried say nothing: the service is there, only slow.
// Thread-safe: a backend reports from its I/O thread while the API reads from another.
// Logs each change (unreachable / reachable again) once.

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

namespace agentrt {

class DependencyHealth {
 public:
  // `name` says what it is in readiness reasons and logs: "store (dynamodb table agentrt)".
  explicit DependencyHealth(std::string name);

  void answered();
  void unavailable(const std::string& why);

  // nullopt while reachable; else "<name> unreachable: <why>" (the last failure).
  [[nodiscard]] std::optional<std::string> problem() const;
  // How many times it went from reachable to unreachable (tests, metrics).
  [[nodiscard]] std::uint64_t outages() const;
  [[nodiscard]] const std::string& name() const { return name_; }

 private:
  const std::string name_;
  mutable std::mutex mutex_;
  bool reachable_ = true;
  std::string why_;
  std::uint64_t outages_ = 0;
};

}  // namespace agentrt
