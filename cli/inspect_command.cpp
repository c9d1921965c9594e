#include "cli/inspect_command.hpp"

#include <ostream>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>

#include "cli/exit_codes.hpp"
#include "cli/inspect_views.hpp"
#include "cli/run_sync.hpp"
#include "cli/system_ports.hpp"
#include "core/definition/duration.hpp"

namespace agentrt::cli {
namespace {

Result<std::chrono::milliseconds> duration_flag(const char* flag, const std::string& text) {
  const auto d = parse_duration(text);
  if (!d) return Error{Errc::invalid, std::string(flag) + " \"" + text + "\": expected " + std::string(kDurationExpectation)};
  return *d;
}

// Flag combinations are checked before the database is opened.
Result<InspectRequest> validate(const InspectCommandOptions& o) {
  InspectRequest r;
  if (o.stuck && !o.target.empty()) return Error{Errc::invalid, "--stuck examines every session; give no SESSION with it"};
  if (!o.stuck && o.target.empty()) return Error{Errc::invalid, "give `sessions`, a SESSION id or --stuck"};
  r.view = o.stuck ? InspectRequest::View::stuck
                   : (o.target == "sessions" ? InspectRequest::View::sessions : InspectRequest::View::session);
  const bool listing = r.view != InspectRequest::View::session;
  if (o.follow && listing) return Error{Errc::invalid, "--follow follows one SESSION"};
  if (!listing && (o.org || o.bot || o.limit)) return Error{Errc::invalid, "--org, --bot and --limit filter `sessions` or --stuck"};
  if (r.view != InspectRequest::View::sessions && (o.status || o.waiting_longer_than)) {
    return Error{Errc::invalid, "--status and --waiting-longer-than filter `inspect sessions`"};
  }
  r.session = SessionId{o.target};
  r.json = o.json;
  r.follow = o.follow;
  if (o.org) r.query.org = OrgId{*o.org};
  if (o.bot) r.query.bot = BotId{*o.bot};
  if (o.status) {
    const auto status = parse_session_status(*o.status);
    if (!status) {
      return Error{Errc::invalid, "--status \"" + *o.status +
                                      "\": expected idle, running, waiting_for_input, sleeping, completed, failed or cancelled"};
    }
    r.query.status = *status;
  }
  if (o.waiting_longer_than) {
    auto d = duration_flag("--waiting-longer-than", *o.waiting_longer_than);
    if (!d) return d.error();
    r.waiting_longer_than = *d;
    if (!r.query.status) r.query.status = SessionStatus::waiting_for_input;
  }
  if (o.limit && *o.limit == 0) return Error{Errc::invalid, "--limit must be at least 1"};
  r.query.limit = o.limit.value_or(kInspectLimitDefault);
  auto inbox = duration_flag("--inbox-older-than", o.inbox_older_than);
  if (!inbox) return inbox.error();
  auto grace = duration_flag("--grace", o.grace);
  if (!grace) return grace.error();
  r.thresholds.inbox_age_ms = inbox->count();
  r.thresholds.timer_grace_ms = grace->count();
  r.thresholds.tool_grace_ms = grace->count();
  return r;
}

}  // namespace

void register_inspect_command(CLI::App& app, InspectCommandOptions& o) {
  auto* cmd = app.add_subcommand("inspect", "Show sessions, one session's state and history, or stuck sessions (read-only)");
  cmd->footer(
      "Examples:\n"
      "  agentrt inspect sessions --status waiting_for_input --waiting-longer-than 10m --db .agentrt/agentrt.db\n"
      "  agentrt inspect s-0123456789abcdef --follow\n"
      "  agentrt inspect --stuck --json\n"
      "The database is opened read-only: safe against a running agentrt run or serve.\n"
      "Exit status: 0 success, 1 database missing, corrupt or unreadable, 2 usage error or unknown session.");
  cmd->add_option("target", o.target, "`sessions` to list sessions, or a SESSION id to inspect one");
  cmd->add_flag("--stuck", o.stuck, "List sessions that should be moving and are not, with the command that fixes each");
  cmd->add_flag("--json", o.json, "Print a stable JSON document (docs/inspect.md) instead of text");
  cmd->add_flag("--follow,-f", o.follow, "SESSION: keep printing new events until the session is quiescent or Ctrl-C");
  cmd->add_option("--org", o.org, "Only sessions of this organisation");
  cmd->add_option("--bot", o.bot, "Only sessions of this bot");
  cmd->add_option("--status", o.status, "sessions: only sessions in this status");
  cmd->add_option("--waiting-longer-than", o.waiting_longer_than,
                  "sessions: only sessions in their status (default waiting_for_input) for longer than this, e.g. 10m");
  cmd->add_option("--limit", o.limit, "At most this many sessions, newest first (default 50)");
  cmd->add_option("--inbox-older-than", o.inbox_older_than, "Stuck: a pending message older than this is not drained")
      ->capture_default_str();
  cmd->add_option("--grace", o.grace, "Stuck: how late a timer or a tool call (past its timeout budget) may be")
      ->capture_default_str();
  cmd->add_option("--db", o.db_path, "SQLite database file")->envname("AGENTRT_DB")->capture_default_str();
}

int inspect_command(const InspectCommandOptions& options, std::ostream& out, std::ostream& err) {
  auto request = validate(options);
  if (!request) {
    err << "agentrt inspect: " << request.error().message << '\n';
    return kExitUsage;
  }
  boost::asio::io_context ctx;  // declared before the reader: the store stops before it goes
  auto reader = InspectReader::open(options.db_path);
  if (!reader) {
    err << "agentrt inspect: " << reader.error().message << '\n';
    return kExitFailure;
  }
  const SystemClock clock;
  const InspectIo io{**reader, clock, out, err};
  switch (request->view) {
    case InspectRequest::View::sessions:
      return run_sync(ctx, inspect_sessions(*request, io));
    case InspectRequest::View::stuck:
      return run_sync(ctx, inspect_stuck(*request, io));
    case InspectRequest::View::session:
      return run_sync(ctx, inspect_session(*request, io));
  }
  return kExitUsage;
}

}  // namespace agentrt::cli
