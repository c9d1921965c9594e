#include "cli/export_command.hpp"

#include <cstdlib>
#include <optional>
#include <ostream>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>

#include "cli/exit_codes.hpp"
#include "cli/run_sync.hpp"
#include "cli/wiring.hpp"

namespace agentrt::cli {
namespace {

using json = nlohmann::json;

constexpr std::size_t kPage = 1000;

json session_json(const SessionRecord& r) {
  json j{{"id", r.id.str()},
         {"org", r.org.str()},
         {"bot", r.bot.str()},
         {"definition_hash", r.definition_hash},
         {"status", session_status_name(r.status)},
         {"last_seq", r.last_seq.value},
         {"epoch", r.epoch.value},
         {"created_ms", r.created_ms},
         {"updated_ms", r.updated_ms}};
  if (r.wake_at_ms) j["wake_at_ms"] = *r.wake_at_ms;
  return j;
}

}  // namespace

namespace {

// The DynamoDB store of `agentrt serve --store dynamodb` (AWS settings from the environment).
Result<std::unique_ptr<SessionStore>> open_dynamodb_store(const std::string& table) {
  const EnvReader env = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    return value != nullptr ? std::optional<std::string>(value) : std::nullopt;
  };
  auto stores = open_dynamodb_stores(DynamoDbTarget{table, "", "", nullptr}, env);
  if (!stores) return stores.error();
  stores->leases.reset();
  return std::move(stores->sessions);
}

}  // namespace

void register_export_command(CLI::App& app, ExportCommandOptions& o) {
  auto* cmd = app.add_subcommand("export", "Print a session's history and definition as JSON");
  cmd->footer("Example:\n  agentrt export s-0123456789abcdef --db .agentrt/agentrt.db > history.json");
  cmd->add_option("session", o.session_id, "Session id")->required();
  cmd->add_option("--db", o.db_path, "SQLite database file")->envname("AGENTRT_DB")->capture_default_str();
  cmd->add_option("--store", o.store, "sqlite or dynamodb (region and endpoint from AWS_REGION, AGENTRT_DYNAMODB_ENDPOINT)")
      ->envname("AGENTRT_STORE")
      ->check(CLI::IsMember({"sqlite", "dynamodb"}))
      ->capture_default_str();
  cmd->add_option("--dynamodb-table", o.dynamodb_table, "DynamoDB table (with --store dynamodb)")
      ->envname("AGENTRT_DYNAMODB_TABLE")
      ->capture_default_str();
}

int export_command(const ExportCommandOptions& o, std::ostream& out, std::ostream& err) {
  // DynamoDB has no read-only handle: export only ever reads.
  auto store = o.store == "dynamodb" ? open_dynamodb_store(o.dynamodb_table) : open_embedded_store(o.db_path, true);
  if (!store) {
    err << "agentrt export: " << store.error().message << '\n';
    return kExitFailure;
  }
  boost::asio::io_context ctx;
  const SessionId id{o.session_id};
  auto record = run_sync(ctx, (*store)->get_session(id));
  if (!record) {
    err << "agentrt export: session " << id.str() << ": " << record.error().message << '\n';
    return record.error().code == Errc::not_found ? kExitUsage : kExitFailure;
  }
  auto definition = run_sync(ctx, (*store)->get_definition(record->definition_hash));
  if (!definition) {
    err << "agentrt export: definition of session " << id.str() << ": " << definition.error().message << '\n';
    return kExitFailure;
  }
  json events = json::array();
  EventSeq after{0};
  for (;;) {
    auto page = run_sync(ctx, (*store)->read_events(id, after, kPage));
    if (!page) {
      err << "agentrt export: history of session " << id.str() << ": " << page.error().message << '\n';
      return kExitFailure;
    }
    for (const auto& e : *page) events.push_back(to_json(e));
    if (page->size() < kPage) break;
    after = page->back().seq;
  }
  auto archived = run_sync(ctx, (*store)->read_archived_branches(id));
  if (!archived) {
    err << "agentrt export: archived branches of session " << id.str() << ": " << archived.error().message << '\n';
    return kExitFailure;
  }
  json branches = json::array();
  for (const auto& branch : *archived) {
    json branch_events = json::array();
    for (const auto& e : branch.events) branch_events.push_back(to_json(e));
    branches.push_back({{"branch", branch.branch}, {"events", std::move(branch_events)}});
  }
  json doc{{"format", "agentrt.history/1"},
           {"session", session_json(*record)},
           {"definition", *definition},
           {"events", std::move(events)},
           {"archived_branches", std::move(branches)}};  // history moved aside by `session reset`
  out << doc.dump(2) << '\n';
  return kExitOk;
}

}  // namespace agentrt::cli
