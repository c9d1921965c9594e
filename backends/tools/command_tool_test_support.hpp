#pragma once
// Helpers for the command tool tests: a temporary directory, tool definitions running `sh -c`,
// and a check that a process is really gone.

#include <stdlib.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/model/definition.hpp"

namespace agentrt::test {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "agentrt-tools-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline std::string read_file(const std::string& path) {
  std::ifstream in{path};
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline ToolDefinition shell_tool(const std::string& script, std::chrono::milliseconds timeout = std::chrono::seconds{20},
                                 int attempts = 1) {
  ToolDefinition tool;
  tool.name = "probe";
  tool.kind = ToolKind::command;
  tool.command.argv = {"sh", "-c", script};
  tool.timeout = timeout;
  tool.retry = RetryPolicy{attempts, std::chrono::milliseconds{1}, std::chrono::milliseconds{5}, 2.0};
  return tool;
}

// True when `pid` no longer runs: no such process, or a zombie awaiting a reaper that is not us
// (a grandchild reparented to an init that may not reap it).
inline bool process_gone(pid_t pid) {
  std::ifstream stat{"/proc/" + std::to_string(pid) + "/stat"};
  if (!stat) return true;
  std::string line;
  std::getline(stat, line);
  const auto close_paren = line.rfind(')');
  return close_paren != std::string::npos && close_paren + 2 < line.size() && line[close_paren + 2] == 'Z';
}

// A process that was sent SIGKILL may still be exiting for a moment (its pipes already closed).
inline bool process_gone_soon(pid_t pid, std::chrono::milliseconds patience = std::chrono::seconds{2}) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (!process_gone(pid)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  return true;
}

inline pid_t read_pid(const std::string& path) {
  const std::string text = read_file(path);
  return text.empty() ? -1 : static_cast<pid_t>(std::stol(text));
}

}  // namespace agentrt::test
