#pragma once
// `agentrt inspect`: on-call triage against the embedded database, read-only.
//   agentrt inspect sessions [--org --bot --status --waiting-longer-than D --limit N] [--json]
//   agentrt inspect SESSION [--json] [--follow]
//   agentrt inspect --stuck [--org --bot --limit N] [--json]
// docs/inspect.md describes the output and the --json documents.

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace agentrt::cli {

struct InspectCommandOptions {
  std::string target;                               // "sessions" or a session id
  bool stuck = false;                               // --stuck
  bool json = false;                                // --json
  bool follow = false;                              // --follow (SESSION only)
  std::optional<std::string> org;                   // --org filter
  std::optional<std::string> bot;                   // --bot filter
  std::optional<std::string> status;                // --status filter (sessions)
  std::optional<std::string> waiting_longer_than;   // --waiting-longer-than D (sessions)
  std::optional<std::size_t> limit;                 // --limit N (default 50)
  std::string inbox_older_than = "30s";             // --inbox-older-than D (stuck threshold)
  std::string grace = "5s";                         // --grace D: slack before a timer or tool call is late
  std::string db_path = ".agentrt/agentrt.db";      // --db / AGENTRT_DB
};

void register_inspect_command(CLI::App& app, InspectCommandOptions& options);
int inspect_command(const InspectCommandOptions& options, std::ostream& out, std::ostream& err);

}  // namespace agentrt::cli
