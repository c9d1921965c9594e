#include "cli/run_command.hpp"

#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/spdlog.h>

#include "cli/exit_codes.hpp"
#include "cli/run_output.hpp"
#include "cli/run_sync.hpp"
#include "cli/cli_lease.hpp"
#include "cli/system_ports.hpp"
#include "cli/wiring.hpp"
#include "core/definition/definition_loader.hpp"
#include "core/definition/effective_definition.hpp"
#include "core/runtime/new_session.hpp"
#include "core/runtime/kv_tool_runner.hpp"
#include "core/runtime/session_runner.hpp"

namespace agentrt::cli {
namespace {

namespace asio = boost::asio;
using json = nlohmann::json;

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

// Flags beat AGENTRT_LLM_* variables, which beat the definition. A base URL override means
// "talk to this OpenAI-compatible server", so it switches a scripted definition to openai.
void apply_model_overrides(ModelConfig& model, const RunCommandOptions& o) {
  const auto base_url = !o.llm_base_url.empty() ? o.llm_base_url : env_or("AGENTRT_LLM_BASE_URL", "");
  const auto provider = !o.llm_provider.empty() ? o.llm_provider : env_or("AGENTRT_LLM_PROVIDER", "");
  const auto model_name = !o.llm_model.empty() ? o.llm_model : env_or("AGENTRT_LLM_MODEL", "");
  if (!base_url.empty()) {
    model.base_url = base_url;
    model.provider = "openai";
  }
  if (!provider.empty()) model.provider = provider;
  if (!model_name.empty()) model.name = model_name;
}

std::string resolve_api_key(const ModelConfig& model, const RunCommandOptions& o) {
  if (!o.llm_api_key.empty()) return o.llm_api_key;
  const auto from_env = env_or("AGENTRT_LLM_API_KEY", "");
  if (!from_env.empty()) return from_env;
  return model.api_key_env.empty() ? std::string{} : env_or(model.api_key_env.c_str(), "");
}

int exit_code_for(const SessionState& state) {
  switch (state.status) {
    case SessionStatus::idle:
    case SessionStatus::completed:
    case SessionStatus::sleeping:
      return kExitOk;
    case SessionStatus::waiting_for_input:
      return kExitWaitingForInput;
    default:
      return kExitFailure;
  }
}

struct OpenedSession {
  SessionId id;
  AgentDefinition definition;
  json info;
  std::vector<Event> created_events;  // a new session's first events, shown like every later one
};

// A usage problem (bad definition, unknown session) exits 2; a store problem exits 1.
struct OpenError {
  Error error;
  int exit_code;
};

class RunCommand {
 public:
  RunCommand(const RunCommandOptions& options, std::istream& in, std::ostream& out, std::ostream& err)
      : o_(options), in_(in), out_(out), err_(err) {}

  int execute() {
    auto stores = open_embedded_stores(o_.db_path, false);
    if (!stores) return report(stores.error(), kExitFailure);
    store_ = std::move(stores->sessions);
    leases_ = std::move(stores->leases);
    kv_ = std::move(stores->kv);

    auto opened = open_session();
    if (std::holds_alternative<OpenError>(opened)) {
      const auto& e = std::get<OpenError>(opened);
      return report(e.error, e.exit_code);
    }
    session_ = std::move(std::get<OpenedSession>(opened));
    apply_model_overrides(session_.definition.model, o_);
    api_key_ = resolve_api_key(session_.definition.model, o_);

    auto adapters = make_adapters(ctx_.get_executor(), session_.definition.model);
    if (!adapters) return report(adapters.error(), kExitUsage);
    adapters_ = std::move(adapters.value());

    if (o_.json) {
      output_ = std::make_unique<JsonRunOutput>(out_);
    } else {
      output_ = std::make_unique<HumanRunOutput>(out_, err_);
    }
    output_->session_opened(session_.id, session_.info);
    for (const auto& event : session_.created_events) output_->on_event(session_.id, event);

    const bool interactive = !o_.message && (o_.interactive || ::isatty(STDIN_FILENO) == 1);
    if (o_.message) {
      if (auto queued = enqueue(*o_.message, o_.message_id); !queued) return finish_with_error(queued.error());
    }
    auto outcome = run_once();
    if (!outcome) return finish_with_error(outcome.error());
    if (interactive) return converse(std::move(outcome.value()));
    const int code = exit_code_for(outcome->state);
    output_->finished(session_.id, outcome->state, code, "");
    return code;
  }

 private:
  std::variant<OpenedSession, OpenError> open_session() {
    return o_.session_id.empty() ? create_session() : resume_session();
  }

  std::variant<OpenedSession, OpenError> create_session() {
    if (o_.definition_path.empty()) {
      return OpenError{{Errc::invalid, "run: give an agent definition file or --session ID"}, kExitUsage};
    }
    auto definition = load_definition(o_.definition_path);
    if (!definition) return OpenError{definition.error(), kExitUsage};
    auto created_session = new_session(SessionId{ids_.next("s-")}, OrgId{o_.org},
                                       BotId{o_.bot.empty() ? definition->name : o_.bot}, *definition, clock_.wall_ms());
    OpenedSession s{created_session.record.id, std::move(definition.value()), created_session.info, {}};
    SessionRecord record = created_session.record;
    std::vector<Event> first = std::move(created_session.first_events);
    s.created_events = first;
    auto created = run_sync(ctx_, store_->create_session(record, s.definition.canonical, std::move(first)));
    if (!created) return OpenError{created.error().with_context("create session"), kExitFailure};
    return s;
  }

  std::variant<OpenedSession, OpenError> resume_session() {
    const SessionId id{o_.session_id};
    auto record = run_sync(ctx_, store_->get_session(id));
    if (!record) {
      const int code = record.error().code == Errc::not_found ? kExitUsage : kExitFailure;
      return OpenError{record.error().with_context("resume session " + id.str() + " in " + o_.db_path), code};
    }
    auto canonical = run_sync(ctx_, store_->get_definition(record->definition_hash));
    if (!canonical) return OpenError{canonical.error().with_context("load definition of session " + id.str()), kExitFailure};
    auto definition = definition_from_canonical(*canonical);
    if (!definition) {
      return OpenError{definition.error().with_context("pinned definition of session " + id.str()), kExitFailure};
    }
    if (!o_.definition_path.empty()) {
      auto given = load_definition(o_.definition_path);
      if (given && given->content_hash != definition->content_hash) {
        err_ << "note: session " << id.str() << " stays on its pinned definition " << definition->content_hash.substr(0, 12)
             << "; " << o_.definition_path << " differs and is not used\n";
      }
    }
    json info{{"org", record->org.str()},
              {"bot", record->bot.str()},
              {"definition_hash", record->definition_hash},
              {"definition_name", definition->name},
              {"definition_version", definition->version}};
    return OpenedSession{id, std::move(definition.value()), std::move(info), {}};
  }

  Result<void> enqueue(const std::string& text, const std::string& message_id) {
    InboxMessage message{MessageId{message_id.empty() ? ids_.next("m-") : message_id}, text, clock_.wall_ms()};
    auto queued = run_sync(ctx_, store_->enqueue(session_.id, std::move(message)));
    if (!queued) return queued.error().with_context("send message to session " + session_.id.str());
    if (!*queued) err_ << "note: message " << message_id << " was already received by this session; not sent again\n";
    return ok_result();
  }

  // Takes the session's lease over (an older process still running it is fenced), runs it
  // until it is quiescent while a heartbeat renews the lease, then releases the lease.
  Result<RunOutcome> run_once() {
    auto lease = run_sync(ctx_, HeldLease::take(*leases_, clock_, session_.id, lease_owner_, HeldLease::Mode::take_over, kCliLease));
    if (!lease) return lease.error().with_context("take over session " + session_.id.str());
    RuntimePorts ports{store_.get(), adapters_.llm.get(), adapters_.http_tools.get(), adapters_.command_tools.get(), &clock_};
    // kv_get/kv_put: the SQLite KV of this database, in the session's (org, bot) scope.
    KvToolRunner kv_tools(*kv_, KvScope{OrgId{session_.info.value("org", "")}, BotId{session_.info.value("bot", "")}});
    ports.kv_tools = &kv_tools;
    RunOptions options;
    options.api_key = api_key_;
    SessionRunner runner(ports, session_.id, session_.definition, lease->epoch(), std::move(options), output_.get());
    auto outcome = run_sync(ctx_, run_holding_lease(runner, *lease));
    // Fenced here means someone took the session over meanwhile: nothing of ours to release.
    if (auto released = run_sync(ctx_, lease->release()); !released && released.error().code != Errc::fenced) {
      spdlog::warn("session {}: lease not released: {}", session_.id.str(), released.error().to_string());
    }
    return outcome;
  }

  int converse(RunOutcome outcome) {
    for (;;) {
      if (is_terminal(outcome.state.status)) break;
      const auto waiting = waiting_for(outcome.state);
      if (waiting.is_null()) {
        err_ << "you> ";
      } else if (waiting["kind"] == "approval") {
        err_ << "approve? [y/N]> ";
      } else {
        err_ << "answer> ";
      }
      err_.flush();
      std::string line;
      if (!std::getline(in_, line)) break;
      if (line.empty()) continue;
      if (auto queued = enqueue(line, ""); !queued) return finish_with_error(queued.error());
      auto next = run_once();
      if (!next) return finish_with_error(next.error());
      outcome = std::move(next.value());
    }
    const int code = exit_code_for(outcome.state);
    output_->finished(session_.id, outcome.state, code, "");
    return code;
  }

  int report(const Error& error, int code) {
    err_ << "agentrt run: " << error.message << '\n';
    return code;
  }

  int finish_with_error(const Error& error) {
    SessionState unknown;
    unknown.status = SessionStatus::failed;
    output_->finished(session_.id, unknown, kExitFailure, error.to_string());
    if (o_.json) err_ << "agentrt run: " << error.to_string() << '\n';
    return kExitFailure;
  }

  const RunCommandOptions& o_;
  std::istream& in_;
  std::ostream& out_;
  std::ostream& err_;
  asio::io_context ctx_;
  SystemClock clock_;
  RandomIdSource ids_;
  std::unique_ptr<SessionStore> store_;
  std::unique_ptr<LeaseStore> leases_;  // after store_: destroyed first
  std::unique_ptr<KvStore> kv_;         // after store_: destroyed first
  std::string lease_owner_ = process_lease_owner("run");
  OpenedSession session_;
  Adapters adapters_;  // after store_: destroyed first, while the io_context still exists
  std::unique_ptr<RunOutput> output_;
  std::string api_key_;
};

}  // namespace

void register_run_command(CLI::App& app, RunCommandOptions& o) {
  auto* run = app.add_subcommand("run", "Run an agent locally on the embedded store");
  run->footer(
      "Examples:\n"
      "  agentrt run examples/helpdesk/agent.yaml                          # interactive\n"
      "  agentrt run examples/helpdesk/agent.yaml --message \"My VPN is down\" --json\n"
      "  agentrt run --session s-0123456789abcdef --message yes            # answer an approval\n"
      "Exit status: 0 turn completed, 3 waiting for input, 1 failed, 2 usage or definition error.");
  run->add_option("definition", o.definition_path, "Agent definition (YAML or JSON)");
  run->add_option("--session", o.session_id, "Resume this session (on its pinned definition)")->envname("AGENTRT_SESSION");
  run->add_option("--message,-m", o.message, "Send this message, run the turn, and exit");
  run->add_option("--message-id", o.message_id, "Client message id: a repeated id is not sent twice");
  run->add_flag("--json", o.json, "Print one JSON object per line (events, tokens, result)");
  run->add_flag("--interactive,-i", o.interactive, "Read messages from stdin even when it is not a terminal");
  run->add_option("--db", o.db_path, "SQLite database file")->envname("AGENTRT_DB")->capture_default_str();
  run->add_option("--org", o.org, "Organisation of a new session")->envname("AGENTRT_ORG")->capture_default_str();
  run->add_option("--bot", o.bot, "Bot of a new session (default: the definition's name)");
  add_llm_override_flags(*run, o);
}

void add_llm_override_flags(CLI::App& command, RunCommandOptions& o) {
  command.add_option("--llm-provider", o.llm_provider, "Override the model provider (openai or scripted)");
  command.add_option("--llm-base-url", o.llm_base_url, "Override the model's base URL (AGENTRT_LLM_BASE_URL)");
  command.add_option("--llm-api-key", o.llm_api_key, "Override the model's API key (AGENTRT_LLM_API_KEY)");
  command.add_option("--llm-model", o.llm_model, "Override the model name (AGENTRT_LLM_MODEL)");
}

int run_command(const RunCommandOptions& options, std::istream& in, std::ostream& out, std::ostream& err) {
  return RunCommand(options, in, out, err).execute();
}

}  // namespace agentrt::cli
