#pragma once
// The shared AWS credentials and config files (INI), reduced to the one profile in use.
//
// Profile: AWS_PROFILE, else "default". Files: AWS_SHARED_CREDENTIALS_FILE (default
// $HOME/.aws/credentials) and AWS_CONFIG_FILE (default $HOME/.aws/config). In the config
// file a profile's section is `[profile NAME]` (`[default]` for the default one); in the
// credentials file it is `[NAME]`. A key in the credentials file wins over the config file.
// Missing files are not an error (most production hosts have none); a file larger than
// 1 MiB or a profile named explicitly but found nowhere is.
//
// Files are read once, when the process configures AWS (startup), not on the event loop.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "backends/aws/aws_env.hpp"
#include "core/model/error.hpp"

namespace agentrt {

struct AwsProfile {
  std::string name = "default";
  std::map<std::string, std::string> values;  // lowercase keys: aws_access_key_id, region, ...
  bool found = false;                         // some file had a section for it

  [[nodiscard]] std::optional<std::string> value(const std::string& key) const;
};

// Parses INI text; returns the keys of section `section` (exact name between brackets).
[[nodiscard]] std::map<std::string, std::string> parse_ini_section(std::string_view text, std::string_view section,
                                                                   bool* found);

[[nodiscard]] Result<AwsProfile> load_aws_profile(const AwsEnvLookup& env);

}  // namespace agentrt
