#include "cli/session_command.hpp"

#include <cstdlib>

#include <CLI/CLI.hpp>

#include "cli/exit_codes.hpp"
#include "cli/session_repair.hpp"

namespace agentrt::cli {
namespace {

std::string default_actor() {
  const char* user = std::getenv("USER");
  return user != nullptr && *user != '\0' ? std::string(user) : std::string("unknown");
}

CLI::App* add_repair(CLI::App& session, const char* name, const char* description, RepairAction action,
                     SessionCommandOptions& o) {
  auto* cmd = session.add_subcommand(name, description);
  cmd->add_option("session", o.session_id, "Session id")->required();
  cmd->add_option("--reason", o.reason, "Why (recorded in the history)")->required();
  cmd->add_option("--by", o.by, "Who (recorded in the history; default $USER)");
  cmd->add_flag("--json", o.json, "Print the recorded event as one JSON line");
  cmd->add_option("--db", o.db_path, "SQLite database file")->envname("AGENTRT_DB")->capture_default_str();
  cmd->callback([&o, action] { o.action = action; });
  return cmd;
}

}  // namespace

void register_session_command(CLI::App& app, SessionCommandOptions& o) {
  o.by = default_actor();
  auto* session = app.add_subcommand("session", "Repair a session: cancel, terminate, retry, reset");
  session->require_subcommand(1);
  session->footer(
      "Examples:\n"
      "  agentrt session cancel s-0123456789abcdef --reason \"customer withdrew the request\"\n"
      "  agentrt session terminate s-0123456789abcdef --reason \"tool loops\" --by alice\n"
      "  agentrt session retry s-0123456789abcdef --reason \"LLM outage is over\" --json\n"
      "  agentrt session reset s-0123456789abcdef --to-event 12 --reason \"bad tool output\"\n"
      "Exit status: 0 done (retry: the run's status), 1 store or runtime error, 2 bad input or\n"
      "a session in the wrong state (nothing is written then).");
  add_repair(*session, "cancel", "Cancel a session that no process is running (waiting, asleep, idle)",
             RepairAction::cancel, o);
  add_repair(*session, "terminate", "Stop a session now, also one a live process runs (it is fenced)",
             RepairAction::terminate, o);
  auto* retry = add_repair(*session, "retry", "Run a failed session's turn again, like run --session",
                           RepairAction::retry, o);
  add_llm_override_flags(*retry, o.run);
  auto* reset = add_repair(*session, "reset", "Rewind to event N; later events are kept as an archived branch",
                           RepairAction::reset, o);
  reset->add_option("--to-event", o.to_event, "Keep events 1..N (N >= 1, below the last event)")->required();
}

int session_command(const SessionCommandOptions& options, std::istream& in, std::ostream& out, std::ostream& err) {
  if (options.action == RepairAction::none) return kExitUsage;
  const int code = repair_session(options, out, err);
  if (code != kExitOk || options.action != RepairAction::retry) return code;
  // The retried turn runs exactly like `agentrt run --session ID`.
  RunCommandOptions run = options.run;
  run.session_id = options.session_id;
  run.db_path = options.db_path;
  run.json = options.json;
  run.definition_path.clear();
  run.message.reset();
  return run_command(run, in, out, err);
}

}  // namespace agentrt::cli
