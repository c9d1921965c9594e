// agentrt: durable AI-agent sessions. One file per subcommand; this one only dispatches.

#include <iostream>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/admin_command.hpp"
#include "cli/exit_codes.hpp"
#include "cli/export_command.hpp"
#include "cli/inspect_command.hpp"
#include "cli/replay_command.hpp"
#include "cli/run_command.hpp"
#include "cli/serve_command.hpp"
#include "cli/session_command.hpp"

int main(int argc, char** argv) {
  // Logs go to stderr so stdout stays machine-readable; AGENTRT_LOG_LEVEL=debug for more.
  spdlog::set_default_logger(spdlog::stderr_color_mt("agentrt"));
  const char* level = std::getenv("AGENTRT_LOG_LEVEL");
  spdlog::set_level(level != nullptr ? spdlog::level::from_str(level) : spdlog::level::warn);

  CLI::App app{"agentrt: durable AI-agent sessions (run, serve, inspect, replay, export, session, admin)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "agentrt 0.1.0");
  agentrt::cli::RunCommandOptions run_options;
  agentrt::cli::register_run_command(app, run_options);
  agentrt::cli::ExportCommandOptions export_options;
  agentrt::cli::register_export_command(app, export_options);
  agentrt::cli::InspectCommandOptions inspect_options;
  agentrt::cli::register_inspect_command(app, inspect_options);
  agentrt::cli::ReplayCommandOptions replay_options;
  agentrt::cli::register_replay_command(app, replay_options);
  agentrt::cli::SessionCommandOptions session_options;
  agentrt::cli::register_session_command(app, session_options);
  agentrt::cli::ServeCommandOptions serve_options;
  agentrt::cli::register_serve_command(app, serve_options);
  agentrt::cli::AdminCommandOptions admin_options;
  agentrt::cli::register_admin_command(app, admin_options);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : agentrt::cli::kExitUsage;
  }
  if (app.got_subcommand("run")) return agentrt::cli::run_command(run_options, std::cin, std::cout, std::cerr);
  if (app.got_subcommand("serve")) return agentrt::cli::serve_command(serve_options, std::cout, std::cerr);
  if (app.got_subcommand("export")) return agentrt::cli::export_command(export_options, std::cout, std::cerr);
  if (app.got_subcommand("inspect")) return agentrt::cli::inspect_command(inspect_options, std::cout, std::cerr);
  if (app.got_subcommand("replay")) return agentrt::cli::replay_command(replay_options, std::cout, std::cerr);
  if (app.got_subcommand("admin")) return agentrt::cli::admin_command(admin_options, std::cout, std::cerr);
  if (app.got_subcommand("session")) {
    return agentrt::cli::session_command(session_options, std::cin, std::cout, std::cerr);
  }
  return agentrt::cli::kExitUsage;
}
