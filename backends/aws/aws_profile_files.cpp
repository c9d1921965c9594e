#include "backends/aws/aws_profile_files.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace agentrt {
namespace {

constexpr std::uintmax_t kProfileFileBytesMax = 1024 * 1024;

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The file's text, nullopt when it does not exist. The error never quotes the content.
Result<std::optional<std::string>> read_file_if_present(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<std::string>{};
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return Error{Errc::invalid, "AWS profile file " + path + ": " + ec.message()};
  if (size > kProfileFileBytesMax) {
    return Error{Errc::invalid, "AWS profile file " + path + " is larger than 1 MiB"};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{Errc::invalid, "AWS profile file " + path + ": cannot be opened"};
  std::ostringstream text;
  text << in.rdbuf();
  return std::optional<std::string>{text.str()};
}

}  // namespace

std::optional<std::string> AwsProfile::value(const std::string& key) const {
  const auto it = values.find(key);
  if (it == values.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

std::map<std::string, std::string> parse_ini_section(std::string_view text, std::string_view section, bool* found) {
  std::map<std::string, std::string> out;
  bool inside = false;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    const std::string_view line = trim(text.substr(start, end - start));
    start = end + 1;
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      const std::size_t close = line.find(']');
      const std::string_view name = trim(line.substr(1, close == std::string_view::npos ? line.npos : close - 1));
      inside = name == section;
      if (inside && found != nullptr) *found = true;
      continue;
    }
    const std::size_t eq = line.find('=');
    if (!inside || eq == std::string_view::npos) continue;  // sub-properties and junk are ignored
    const std::string key = lower(trim(line.substr(0, eq)));
    if (!key.empty()) out[key] = std::string(trim(line.substr(eq + 1)));
  }
  return out;
}

Result<AwsProfile> load_aws_profile(const AwsEnvLookup& env) {
  AwsProfile profile;
  const auto named = env_value(env, "AWS_PROFILE");
  if (named) profile.name = *named;
  const auto home = env_value(env, "HOME");
  const auto credentials_path =
      env_value(env, "AWS_SHARED_CREDENTIALS_FILE").value_or(home ? *home + "/.aws/credentials" : std::string());
  const auto config_path = env_value(env, "AWS_CONFIG_FILE").value_or(home ? *home + "/.aws/config" : std::string());

  if (!config_path.empty()) {
    auto text = read_file_if_present(config_path);
    if (!text) return text.error();
    if (text.value()) {
      const std::string section = profile.name == "default" ? "default" : "profile " + profile.name;
      profile.values = parse_ini_section(**text, section, &profile.found);
    }
  }
  if (!credentials_path.empty()) {
    auto text = read_file_if_present(credentials_path);
    if (!text) return text.error();
    if (text.value()) {
      for (auto& [key, value] : parse_ini_section(**text, profile.name, &profile.found)) {
        profile.values[key] = std::move(value);  // the credentials file wins
      }
    }
  }
  if (named && !profile.found) {
    return Error{Errc::invalid, "AWS_PROFILE '" + profile.name + "' is in neither " + credentials_path + " nor " +
                                    config_path};
  }
  return profile;
}

}  // namespace agentrt
