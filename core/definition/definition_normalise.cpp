#include "core/definition/definition_normalise.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace agentrt {

std::string normal_path(const std::string& path) {
  if (path.empty()) return path;
  auto normal = std::filesystem::path(path).lexically_normal();
  if (!normal.has_filename() && normal.has_relative_path()) normal = normal.parent_path();
  return normal.string();
}

void normalise_definition(AgentDefinition& def) {
  auto& base_url = def.model.base_url;
  while (base_url.size() > 1 && base_url.back() == '/') base_url.pop_back();
  def.model.script = normal_path(def.model.script);
  for (auto& tool : def.tools) {
    auto& method = tool.http.method;
    std::transform(method.begin(), method.end(), method.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    tool.command.working_dir = normal_path(tool.command.working_dir);
  }
}

}  // namespace agentrt
