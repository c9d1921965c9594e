#include "cli/admin_command.hpp"

#include <ostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/exit_codes.hpp"
#include "cli/wiring.hpp"
#include "core/definition/duration.hpp"
#include "serve/serve_config.hpp"

namespace agentrt::cli {

void register_admin_command(CLI::App& app, AdminCommandOptions& o) {
  auto* admin = app.add_subcommand("admin", "Operator tasks on a production store");
  admin->require_subcommand(1);
  auto* create = admin->add_subcommand("create-tables", "Create the DynamoDB table and its indexes (idempotent)");
  create->footer(
      "Creates the table (PAY_PER_REQUEST) with the GSIs by_org, by_created and runnable, waits until\n"
      "it and its indexes are ACTIVE and writes the schema version item. Running it again is harmless.\n"
      "Example:\n"
      "  agentrt admin create-tables --table agentrt --region eu-west-1\n"
      "  agentrt admin create-tables --table agentrt --endpoint http://127.0.0.1:8000 --region us-east-1 --json");
  create->add_option("--table", o.table, "Table name")->envname("AGENTRT_DYNAMODB_TABLE");
  create->add_option("--region", o.region, "AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's)");
  create->add_option("--endpoint", o.endpoint, "DynamoDB endpoint URL, for local servers")
      ->envname("AGENTRT_DYNAMODB_ENDPOINT");
  create->add_option("--wait", o.wait, "Longest wait for ACTIVE, e.g. 120s");
  create->add_flag("--json", o.json, "Print one JSON line");
}

int admin_command(const AdminCommandOptions& o, std::ostream& out, std::ostream& err) {
  const auto wait = parse_duration(o.wait);
  if (!wait || wait->count() <= 0) {
    err << "agentrt admin create-tables: --wait: expected a duration such as 120s, got \"" << o.wait << "\"\n";
    return kExitUsage;
  }
  const DynamoDbTarget target{o.table, o.region, o.endpoint};
  auto created = create_dynamodb_tables(target, serve::process_env(), *wait);
  if (!created) {
    err << "agentrt admin create-tables: " << created.error().message << '\n';
    return created.error().code == Errc::invalid ? kExitUsage : kExitFailure;
  }
  const char* outcome = *created ? "created" : "existed";
  if (o.json) {
    out << nlohmann::json{{"table", o.table}, {"outcome", outcome}, {"status", "ACTIVE"}}.dump() << '\n';
  } else {
    out << "table " << o.table << ": " << outcome << ", ACTIVE\n";
  }
  return kExitOk;
}

}  // namespace agentrt::cli
