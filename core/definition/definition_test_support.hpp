#pragma once
// Test helpers: where the fixtures are (ctest sets AGENTRT_SOURCE_DIR) and file I/O.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace agentrt::testing_support {

inline std::filesystem::path definitions_dir() {
  const char* root = std::getenv("AGENTRT_SOURCE_DIR");
  if (root == nullptr) {
    ADD_FAILURE() << "AGENTRT_SOURCE_DIR is not set: run the tests through ctest";
    return {};
  }
  return std::filesystem::path(root) / "testdata" / "definitions";
}

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace agentrt::testing_support
