#pragma once
// Helpers for the AWS unit tests (header-only, test code only): an injected environment and
// small files in a scratch folder.

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "backends/aws/aws_env.hpp"
#include "core/model/scratch_dir.hpp"

namespace agentrt::testing {

inline AwsEnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

inline std::string write_file(const ScratchDir& dir, const std::string& name, const std::string& text) {
  const std::filesystem::path file = dir.path() / name;
  std::ofstream(file) << text;
  return file.string();
}

}  // namespace agentrt::testing
