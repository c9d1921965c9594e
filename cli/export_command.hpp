#pragma once
// `agentrt export SESSION`: the whole history with the definition it ran on, as one JSON
// document (the format `agentrt replay` reads).

#include <iosfwd>
#include <string>

namespace CLI {
class App;
}

namespace agentrt::cli {

struct ExportCommandOptions {
  std::string session_id;
  std::string db_path = ".agentrt/agentrt.db";
  std::string store = "sqlite";          // --store / AGENTRT_STORE: sqlite or dynamodb
  std::string dynamodb_table = "agentrt";  // --dynamodb-table / AGENTRT_DYNAMODB_TABLE
};

void register_export_command(CLI::App& app, ExportCommandOptions& options);
int export_command(const ExportCommandOptions& options, std::ostream& out, std::ostream& err);

}  // namespace agentrt::cli
