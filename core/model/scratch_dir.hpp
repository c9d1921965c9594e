#pragma once
// A fresh, uniquely named folder under the system temp folder (mkdtemp), removed with
// everything in it on every way out. For tests and benchmarks that need real files.

#include <stdlib.h>  // mkdtemp

#include <filesystem>
#include <cerrno>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace agentrt {

class ScratchDir {
 public:
  // `prefix` starts the folder's name, e.g. "replay_bench" -> /tmp/replay_bench-Ab12Cd.
  explicit ScratchDir(std::string_view prefix) {
    std::string pattern = (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::system_error(errno, std::generic_category(), "create a scratch folder " + pattern);
    }
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace agentrt
