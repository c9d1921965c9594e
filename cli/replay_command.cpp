#include "cli/replay_command.hpp"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <limits>
#include <ostream>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>

#include "cli/exit_codes.hpp"
#include "cli/run_sync.hpp"
#include "cli/wiring.hpp"
#include "core/definition/definition_loader.hpp"
#include "core/replay/replay_engine.hpp"
#include "core/replay/store_history.hpp"

namespace agentrt::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// A usage problem: exit 2 with this message, nothing replayed.
struct UsageError {
  std::string message;
};

// Where histories come from: files (read one at a time) or sessions of the store.
struct Sources {
  std::vector<fs::path> files;
  std::vector<SessionId> sessions;
};

bool is_history_file(const fs::path& p) { return p.extension() == ".json" || p.extension() == ".jsonl"; }

std::optional<UsageError> add_path(const std::string& arg, Sources& sources) {
  std::error_code ec;
  const auto status = fs::status(arg, ec);
  if (ec || !fs::exists(status)) {
    return UsageError{"cannot read " + arg + ": " + (ec ? ec.message() : std::string("No such file or directory"))};
  }
  if (!fs::is_directory(status)) {
    sources.files.emplace_back(arg);
    return std::nullopt;
  }
  std::vector<fs::path> found;
  for (const auto& entry : fs::directory_iterator(arg, ec)) {
    if (entry.is_regular_file() && is_history_file(entry.path())) found.push_back(entry.path());
  }
  if (ec) return UsageError{"cannot list " + arg + ": " + ec.message()};
  if (found.empty()) return UsageError{"no *.json or *.jsonl histories in " + arg};
  std::sort(found.begin(), found.end());
  sources.files.insert(sources.files.end(), found.begin(), found.end());
  return std::nullopt;
}

class Report {
 public:
  Report(const ReplayCommandOptions& o, std::ostream& out) : o_(o), out_(out) {}

  void add(ReplayOutcome outcome) {
    events_ += outcome.events;
    if (outcome.status == ReplayStatus::ok) ++ok_;
    if (outcome.status == ReplayStatus::diverged) ++diverged_;
    if (outcome.status == ReplayStatus::error) ++errors_;
    if (o_.json) {
      histories_.push_back(to_json(outcome));
    } else {
      print(outcome);
    }
  }

  int finish() {
    if (o_.json) {
      out_ << json{{"histories", std::move(histories_)}, {"ok", ok_}, {"diverged", diverged_}, {"errors", errors_}}.dump(2)
           << '\n';
    } else {
      out_ << "replayed " << (ok_ + diverged_ + errors_) << " histories (" << events_ << " events): " << ok_ << " ok, "
           << diverged_ << " diverged, " << errors_ << (errors_ == 1 ? " error" : " errors") << '\n';
    }
    return diverged_ + errors_ == 0 ? kExitOk : kExitFailure;
  }

 private:
  void print(const ReplayOutcome& o) {
    if (o.status == ReplayStatus::error) {
      out_ << "error     " << o.error << '\n';
      return;
    }
    out_ << (o.status == ReplayStatus::ok ? "ok        " : "DIVERGED  ") << o.name << " (" << o.events << " events)\n";
    if (o.divergence) {
      out_ << "  " << o.divergence->summary << '\n';
      std::string_view diff = o.divergence->diff;
      while (!diff.empty()) {
        const auto end = diff.find('\n');
        out_ << "    " << diff.substr(0, end) << '\n';
        diff = end == std::string_view::npos ? std::string_view{} : diff.substr(end + 1);
      }
    }
    for (const auto& note : o.notes) out_ << "  note: " << note << '\n';
  }

  const ReplayCommandOptions& o_;
  std::ostream& out_;
  json histories_ = json::array();
  int ok_ = 0;
  int diverged_ = 0;
  int errors_ = 0;
  std::int64_t events_ = 0;
};

class ReplayCommand {
 public:
  ReplayCommand(const ReplayCommandOptions& o, std::ostream& out, std::ostream& err) : o_(o), out_(out), err_(err) {}

  int execute() {
    const int targets = (o_.paths.empty() ? 0 : 1) + (o_.session_id.empty() ? 0 : 1) + (o_.all ? 1 : 0);
    if (targets != 1) return usage("give exactly one of FILE or DIR (one or more), --session ID or --all");
    if (!o_.definition_path.empty()) {
      auto loaded = load_definition(o_.definition_path);
      if (!loaded) return usage(loaded.error().message);
      new_definition_ = std::move(loaded.value());
    }
    Sources sources;
    for (const auto& path : o_.paths) {
      if (auto problem = add_path(path, sources)) return usage(problem->message);
    }
    if (!o_.paths.empty()) return replay_files(sources.files);
    return replay_store();
  }

 private:
  int replay_files(const std::vector<fs::path>& files) {
    Report report(o_, out_);
    for (const auto& file : files) {
      auto history = read_history_file(file);
      report.add(history ? replay(*history) : replay_error(file.string(), history.error().message));
    }
    return report.finish();
  }

  int replay_store() {
    auto store = open_embedded_store(o_.db_path, true);
    if (!store) {
      err_ << "agentrt replay: " << store.error().message << '\n';
      return kExitFailure;
    }
    boost::asio::io_context ctx;
    std::vector<SessionId> ids;
    if (o_.all) {
      SessionQuery query;
      query.limit = std::numeric_limits<std::size_t>::max();
      auto listed = run_sync(ctx, (*store)->list_sessions(query));
      if (!listed) {
        err_ << "agentrt replay: list sessions in " << o_.db_path << ": " << listed.error().message << '\n';
        return kExitFailure;
      }
      for (auto it = listed->rbegin(); it != listed->rend(); ++it) ids.push_back(it->id);  // oldest first
    } else {
      ids.emplace_back(o_.session_id);
    }
    Report report(o_, out_);
    for (const auto& id : ids) {
      auto history = run_sync(ctx, read_session_history(**store, id));
      if (!history && history.error().code == Errc::not_found && !o_.all) {
        return usage("session " + id.str() + " not found in " + o_.db_path);
      }
      report.add(history ? replay(*history) : replay_error("session " + id.str(), history.error().message));
    }
    if (ids.empty() && !o_.json) out_ << "no sessions in " << o_.db_path << '\n';
    return report.finish();
  }

  ReplayOutcome replay(const History& history) {
    if (!replayer_) replayer_.emplace(new_definition_ ? &*new_definition_ : nullptr);
    return replayer_->replay(history);
  }

  int usage(const std::string& message) {
    err_ << "agentrt replay: " << message << '\n';
    return kExitUsage;
  }

  const ReplayCommandOptions& o_;
  std::ostream& out_;
  std::ostream& err_;
  std::optional<AgentDefinition> new_definition_;
  std::optional<HistoryReplayer> replayer_;  // after new_definition_, which it points to
};

}  // namespace

void register_replay_command(CLI::App& app, ReplayCommandOptions& o) {
  auto* cmd = app.add_subcommand("replay", "Re-run recorded histories through this build and report divergences");
  cmd->footer(
      "Examples:\n"
      "  agentrt replay testdata/histories                       # every *.json / *.jsonl in the folder\n"
      "  agentrt replay history.json --definition agent.yaml     # would the new definition behave the same?\n"
      "  agentrt replay --all --db .agentrt/agentrt.db --json    # every stored session, a report for CI\n"
      "Exit status: 0 every history replays, 1 a divergence or an unreadable history, 2 usage error.");
  cmd->add_option("histories", o.paths, "History files (agentrt export) or folders of them");
  cmd->add_option("--session", o.session_id, "Replay this session of the store");
  cmd->add_flag("--all", o.all, "Replay every session of the store");
  cmd->add_option("--definition", o.definition_path, "Replay on this definition instead of the recorded one");
  cmd->add_option("--db", o.db_path, "SQLite database file (opened read-only)")->envname("AGENTRT_DB")->capture_default_str();
  cmd->add_flag("--json", o.json, "Print one JSON report: {histories:[...], ok, diverged, errors}");
}

int replay_command(const ReplayCommandOptions& options, std::ostream& out, std::ostream& err) {
  return ReplayCommand(options, out, err).execute();
}

}  // namespace agentrt::cli
