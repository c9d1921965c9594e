#include "cli/session_repair.hpp"

#include <optional>
#include <ostream>
#include <string>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "cli/exit_codes.hpp"
#include "cli/run_sync.hpp"
#include "cli/cli_lease.hpp"
#include "cli/session_reset_state.hpp"
#include "cli/system_ports.hpp"
#include "cli/wiring.hpp"

namespace agentrt::cli {
namespace {

using json = nlohmann::json;

const char* action_name(RepairAction action) {
  switch (action) {
    case RepairAction::cancel:
      return "cancel";
    case RepairAction::terminate:
      return "terminate";
    case RepairAction::retry:
      return "retry";
    case RepairAction::reset:
      return "reset";
    case RepairAction::none:
      break;
  }
  return "session";
}

// A refusal that writes nothing: the exit status and the message.
struct Refusal {
  int exit_code;
  std::string message;
};

class SessionRepair {
 public:
  SessionRepair(const SessionCommandOptions& options, std::ostream& out, std::ostream& err)
      : o_(options), out_(out), err_(err), id_(options.session_id) {}

  int execute() {
    if (o_.reason.empty()) return report({kExitUsage, "--reason must not be empty"});
    auto stores = open_embedded_stores(o_.db_path, false);
    if (!stores) return report({kExitFailure, stores.error().message});
    store_ = std::move(stores->sessions);
    leases_ = std::move(stores->leases);

    // Checked first without the lease, so bad input writes nothing (not even an epoch).
    if (auto refused = check(); refused) return report(*refused);
    const auto mode = o_.action == RepairAction::cancel ? HeldLease::Mode::acquire : HeldLease::Mode::take_over;
    auto lease = run_sync(ctx_, HeldLease::take(*leases_, clock_, id_, process_lease_owner(action_name(o_.action)), mode,
                                                kCliLease));
    if (!lease) return report(lease_refusal(lease.error()));
    auto recorded = record_under(*lease);
    if (auto released = run_sync(ctx_, lease->release()); !released) {
      spdlog::warn("session {}: lease not released: {}", id_.str(), released.error().to_string());
    }
    if (std::holds_alternative<Refusal>(recorded)) return report(std::get<Refusal>(recorded));
    print(std::get<Event>(recorded));
    return kExitOk;
  }

 private:
  // The session as it is now, or why the command does not apply to it.
  std::optional<Refusal> check() {
    auto record = run_sync(ctx_, store_->get_session(id_));
    if (!record) {
      if (record.error().code == Errc::not_found) {
        return Refusal{kExitUsage, "session " + id_.str() + " not found in " + o_.db_path};
      }
      return Refusal{kExitFailure, record.error().message};
    }
    record_ = std::move(record).value();
    const auto status = std::string(session_status_name(record_.status));
    switch (o_.action) {
      case RepairAction::cancel:
      case RepairAction::terminate:
        if (is_terminal(record_.status)) {
          return Refusal{kExitUsage, "session " + id_.str() + " is already " + status + "; nothing to stop"};
        }
        break;
      case RepairAction::retry:
        if (record_.status != SessionStatus::failed) {
          return Refusal{kExitUsage, "session " + id_.str() + " is " + status + ", not failed; only a failed session can be retried"};
        }
        break;
      case RepairAction::reset:
        if (o_.to_event < 1 || o_.to_event >= record_.last_seq.value) {
          return Refusal{kExitUsage, "cannot reset session " + id_.str() + " to event " + std::to_string(o_.to_event) +
                                         ": it must be between 1 and " + std::to_string(record_.last_seq.value - 1) +
                                         " (the last event is " + std::to_string(record_.last_seq.value) + ")"};
        }
        break;
      case RepairAction::none:
        return Refusal{kExitUsage, "no session command given"};
    }
    return std::nullopt;
  }

  Refusal lease_refusal(const Error& error) const {
    if (error.code == Errc::conflict) {
      return Refusal{kExitUsage, "session " + id_.str() + " is being run by another process (" + error.message +
                                     "); use `agentrt session terminate` to stop it"};
    }
    return Refusal{error.code == Errc::not_found ? kExitUsage : kExitFailure, error.message};
  }

  // Under the lease: check again (the session may have moved meanwhile), then write.
  std::variant<Event, Refusal> record_under(const HeldLease& lease) {
    if (auto refused = check(); refused) return *refused;
    const auto now_ms = clock_.wall_ms();
    const EventSeq next{record_.last_seq.value + 1};
    if (o_.action == RepairAction::reset) return reset(lease, now_ms);
    Event event{next, EventType::SessionCancelled, now_ms, json{{"reason", o_.reason}, {"by", o_.by}}};
    auto status = SessionStatus::cancelled;
    if (o_.action == RepairAction::retry) {
      event.type = EventType::SessionRetried;
      status = SessionStatus::running;
    } else {
      event.data["mode"] = action_name(o_.action);
    }
    AppendRequest request{id_, lease.epoch(), {event}, status, std::nullopt, {}};
    auto appended = run_sync(ctx_, store_->append(std::move(request)));
    if (!appended) return Refusal{kExitFailure, appended.error().message};
    return event;
  }

  std::variant<Event, Refusal> reset(const HeldLease& lease, std::int64_t now_ms) {
    const EventSeq to{o_.to_event};
    auto state = run_sync(ctx_, state_after(*store_, record_, to));
    if (!state) return Refusal{kExitFailure, state.error().message};
    Event event{EventSeq{to.value + 1}, EventType::SessionReset, now_ms,
                json{{"to_seq", to.value}, {"by", o_.by}, {"reason", o_.reason}}};
    ResetRequest request{id_, lease.epoch(), to, event, state->status, wake_at(*state)};
    auto branch = run_sync(ctx_, store_->reset(std::move(request)));
    if (!branch) {
      return Refusal{branch.error().code == Errc::invalid ? kExitUsage : kExitFailure, branch.error().message};
    }
    event.data["archived_branch"] = *branch;
    return event;
  }

  void print(const Event& event) {
    const bool to_stdout = o_.action != RepairAction::retry;  // retry: stdout is the run's output
    if (o_.json && to_stdout) {
      out_ << json{{"kind", "repair"}, {"command", action_name(o_.action)}, {"session", id_.str()}, {"event", to_json(event)}}
                  .dump()
           << '\n';
      return;
    }
    auto& stream = to_stdout ? out_ : err_;
    stream << "session " << id_.str() << ": " << event_type_name(event.type) << " recorded as event " << event.seq.value
           << " (by " << o_.by << ": " << o_.reason << ")";
    if (event.type == EventType::SessionReset) {
      stream << "; events after " << o_.to_event << " archived as branch " << event.data.value("archived_branch", 0);
    }
    stream << '\n';
  }

  int report(const Refusal& refusal) {
    err_ << "agentrt session " << action_name(o_.action) << ": " << refusal.message << '\n';
    return refusal.exit_code;
  }

  const SessionCommandOptions& o_;
  std::ostream& out_;
  std::ostream& err_;
  SessionId id_;
  boost::asio::io_context ctx_;
  SystemClock clock_;
  std::unique_ptr<SessionStore> store_;
  std::unique_ptr<LeaseStore> leases_;  // after store_: destroyed first
  SessionRecord record_;
};

}  // namespace

int repair_session(const SessionCommandOptions& options, std::ostream& out, std::ostream& err) {
  return SessionRepair(options, out, err).execute();
}

}  // namespace agentrt::cli
