#pragma once
// The environment, read through an injected lookup so tests need not touch the process's.
// Same shape as serve's EnvLookup, so its process_env() can be passed in.

#include <functional>
#include <optional>
#include <string>

namespace agentrt {

using AwsEnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// A variable's value when set and non-empty.
[[nodiscard]] inline std::optional<std::string> env_value(const AwsEnvLookup& env, const std::string& name) {
  auto value = env ? env(name) : std::nullopt;
  if (!value || value->empty()) return std::nullopt;
  return value;
}

}  // namespace agentrt
