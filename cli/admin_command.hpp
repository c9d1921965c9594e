#pragma once
// `agentrt admin create-tables`: creates the DynamoDB table of `--store dynamodb` (with its
// indexes and schema version item), waits until it is ACTIVE; safe to run again.

#include <iosfwd>
#include <string>

namespace CLI {
class App;
}

namespace agentrt::cli {

struct AdminCommandOptions {
  std::string table = "agentrt";  // AGENTRT_DYNAMODB_TABLE
  std::string region;             // empty: AWS_REGION, AWS_DEFAULT_REGION, the profile's
  std::string endpoint;           // empty: AGENTRT_DYNAMODB_ENDPOINT, AGENTRT_AWS_ENDPOINT, AWS's
  std::string wait = "120s";      // how long to wait for ACTIVE
  bool json = false;
};

void register_admin_command(CLI::App& app, AdminCommandOptions& options);
int admin_command(const AdminCommandOptions& options, std::ostream& out, std::ostream& err);

}  // namespace agentrt::cli
