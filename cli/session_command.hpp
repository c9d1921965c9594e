#pragma once
// `agentrt session cancel|terminate|retry|reset ID --reason R`: the on-call repair commands.
// Each one is recorded in the session's history with who did it and why, and writes only
// while holding the session's lease (docs/cli.md, "agentrt session").

#include <cstdint>
#include <iosfwd>
#include <string>

#include "cli/run_command.hpp"

namespace CLI {
class App;
}

namespace agentrt::cli {

enum class RepairAction { none, cancel, terminate, retry, reset };

struct SessionCommandOptions {
  RepairAction action = RepairAction::none;  // the subcommand given
  std::string session_id;
  std::string reason;                        // --reason: required
  std::string by;                            // --by: default $USER, else "unknown"
  std::int64_t to_event = 0;                 // reset --to-event N
  bool json = false;                         // --json: one JSON line (retry: then the run's lines)
  std::string db_path = ".agentrt/agentrt.db";
  RunCommandOptions run;                     // retry: the --llm-* overrides of the run that follows
};

void register_session_command(CLI::App& app, SessionCommandOptions& options);
int session_command(const SessionCommandOptions& options, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace agentrt::cli
