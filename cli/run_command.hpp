#pragma once
// `agentrt run`: run an agent locally on the embedded store, interactively or one scripted
// turn at a time, and resume any session (also one whose process was killed).

#include <iosfwd>
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace agentrt::cli {

struct RunCommandOptions {
  std::string definition_path;           // AGENT.yaml; required unless --session
  std::string session_id;                // --session: resume this session on its pinned definition
  std::optional<std::string> message;    // --message: one scripted turn
  std::string message_id;                // --message-id: client id for deduplication (default: random)
  bool json = false;                     // --json: JSON lines on stdout
  bool interactive = false;              // --interactive: read messages from stdin even if not a TTY
  std::string db_path = ".agentrt/agentrt.db";
  std::string org = "local";
  std::string bot;                       // default: the definition's name
  std::string llm_provider;              // overrides model.provider
  std::string llm_base_url;              // overrides model.base_url (and implies provider openai)
  std::string llm_api_key;               // overrides the key from model.api_key_env
  std::string llm_model;                 // overrides model.name
};

void register_run_command(CLI::App& app, RunCommandOptions& options);
// The --llm-* flags of `run`, also offered by commands that run a session (`session retry`).
void add_llm_override_flags(CLI::App& command, RunCommandOptions& options);
int run_command(const RunCommandOptions& options, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace agentrt::cli
