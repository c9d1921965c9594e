#pragma once
// `agentrt replay (FILE|DIR|--session ID|--all) [--definition NEW.yaml] [--db PATH] [--json]`:
// re-runs recorded histories through this build's decider, optionally on a new definition,
// and reports OK or the first divergence of each (docs/cli.md, docs/versioning.md).
// Exit status: 0 every history replays, 1 a divergence or an unreadable history, 2 usage.

#include <iosfwd>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace agentrt::cli {

struct ReplayCommandOptions {
  std::vector<std::string> paths;        // history files and folders (*.json, *.jsonl in them)
  std::string session_id;                // --session: one session of the store
  bool all = false;                      // --all: every session of the store
  std::string definition_path;           // --definition: replay on this definition instead
  std::string db_path = ".agentrt/agentrt.db";
  bool json = false;                     // --json: one report document for CI
};

void register_replay_command(CLI::App& app, ReplayCommandOptions& options);
int replay_command(const ReplayCommandOptions& options, std::ostream& out, std::ostream& err);

}  // namespace agentrt::cli
